"""Vectors computed once, in batches: what imports, `claimbot index`, start-up and `claimbot ask` cost.

    python benchmarks/embeddings.py                  # all 14,231 CheckThat! 2022 2A claims
    python benchmarks/embeddings.py --records 2000   # a quicker run on the first 2,000
    python benchmarks/embeddings.py --sweep 512      # batch size x threads on 512 claims

Prints, on a fresh SQLite database in a temporary directory, with the default settings:
import records/s (no encoding on that path), `claimbot index` records/s (a vector and the claim,
title and summary vectors per fact-check; it also writes the match index files), the start-up of a
service on that database (a fresh process, `ClaimService.open`: the index files mapped), the wall
and CPU time of `claimbot ask` and what it is made of, and the installed size of the default
install. The load average is printed with the figures: on shared cores wall times move with it,
CPU times (user + system of the process) much less.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from itertools import islice
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.domain import FactCheckRecord  # noqa: E402
from bot.importers import read_records  # noqa: E402
from bot.matching import Encoder, MatchDocument  # noqa: E402
from bot.service import ClaimService  # noqa: E402

VCLAIMS = ROOT / "benchmarks/data/checkthat2022-2a-en/vclaims.jsonl"
QUESTION = "did a new york cop arrest an ice agent"


def environment(db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))}
    return env | {"CLAIMBOT_DATABASE_URL": db}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def run(args: list[str], db: str, extra: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        args, capture_output=True, text=True, env=environment(db) | (extra or {}), cwd=ROOT, check=True
    )
    return time.perf_counter() - started, result.stdout


def timed_run(args: list[str], db: str, extra: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of a command: CPU is the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, _ = run(args, db, extra)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sweep(count: int) -> None:
    records = [r for r in islice(read_records(VCLAIMS), count) if isinstance(r, FactCheckRecord)]
    docs = [MatchDocument(0, r.claim, r.title, r.summary) for r in records]
    # intra-op threads x batches at once (CLAIMBOT_EMBED_THREADS, `claimbot index --threads`)
    for threads, parallel in ((1, 1), (2, 1), (1, 2)):
        for batch in (8, 16, 32, 64):
            encoder = Encoder(batch_size=batch, threads=threads, parallel=parallel)
            encoder.encode_fact_checks(docs[:batch])  # loads the model
            started, cpu = time.perf_counter(), time.process_time()
            encoder.encode_fact_checks(docs)
            rate = len(docs) / (time.perf_counter() - started)
            per_cpu = len(docs) / (time.process_time() - cpu)
            print(
                f"encode {len(docs)} (vector + claim, title, summary): intra-op threads={threads} "
                f"parallel={parallel} batch={batch}: {rate:.0f} records/s, {per_cpu:.0f} per CPU second "
                f"({load()})"
            )


def installed_size() -> tuple[int, list[tuple[str, int]]]:
    """Bytes of the distributions the default install pulls in (claimbot and its requirements, no extras)."""
    seen: dict[str, int] = {}
    todo = ["claimbot"]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        size = 0
        for file in dist.files or ():
            path = Path(str(file.locate()))
            if path.is_file() and "__pycache__" not in path.parts:
                size += path.stat().st_size
        seen[key] = size
        for requirement in dist.requires or ():
            parsed = Requirement(requirement)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                todo.append(parsed.name)
    ranked = sorted(seen.items(), key=lambda item: -item[1])
    return sum(seen.values()), ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=None, help="first N claims (default: all)")
    parser.add_argument("--sweep", type=int, default=0, metavar="N", help="tune batch size and threads on N")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the database here; when it is there already, measure start-up and ask on it again",
    )
    args = parser.parse_args()
    if args.sweep:
        sweep(args.sweep)
        return
    with contextlib.ExitStack() as stack:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            tmp = str(args.workdir)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
        db = f"sqlite:///{Path(tmp) / 'claimbot.db'}"
        done = Path(tmp) / "indexed"
        if not done.exists():
            prepare(db, args.records)
            done.touch()
        measure(db)

    total, ranked = installed_size()
    largest = ", ".join(f"{name} {size / 1e6:.0f}" for name, size in ranked[:6])
    print(f"installed size, default install: {total / 1e6:.0f} MB ({len(ranked)} packages; MB: {largest})")


def prepare(db: str, count: int | None) -> None:
    """A database of `count` CheckThat! claims, imported, with `claimbot index` run."""
    records = list(islice(read_records(VCLAIMS), count))
    service = ClaimService.open(Settings(_env_file=None, CLAIMBOT_DATABASE_URL=db), load_index=False)
    started = time.perf_counter()
    report = service.import_records(records)
    seconds = time.perf_counter() - started
    rate = report.added / seconds
    print(f"import: {report.added} records in {seconds:.1f}s: {rate:.0f} records/s ({load()})")
    service.engine.dispose()

    seconds, out = run([sys.executable, "-m", "bot.cli", "index"], db)
    match = re.search(r"encoded (\d+) fact-checks in ([\d.]+)s", out)
    assert match, out
    encoded, inner = int(match.group(1)), float(match.group(2))
    print(
        f"claimbot index: {encoded} records in {inner:.1f}s: {encoded / inner:.0f} records/s "
        f"(process wall {seconds:.1f}s; {load()})"
    )


def measure(db: str) -> None:
    startup = (
        "import time; t = time.perf_counter()\n"
        "from bot.config import Settings; from bot.service import ClaimService\n"
        "s = ClaimService.open(Settings(_env_file=None)); t1 = time.perf_counter()\n"
        "print(f'{t1 - t:.2f} {len(s.matcher)} {len(s.catalogue.pending_vectors())}')\n"
    )
    seconds, out = run([sys.executable, "-c", startup], db)
    opened, indexed, pending = out.split()
    print(
        f"start-up (imports + open + load_index, {indexed} fact-checks, {pending} without a vector): "
        f"{float(opened):.2f}s; process wall {seconds:.2f}s ({load()})"
    )

    parts = (
        "import time; t = time.perf_counter()\n"
        "import onnxruntime; t1 = time.perf_counter()\n"
        "from bot.matching import Encoder; e = Encoder(); e.encode(['warm']); t2 = time.perf_counter()\n"
        "e.encode([" + repr(QUESTION) + "]); t3 = time.perf_counter()\n"
        "print(f'{t1 - t:.2f} {t2 - t1:.2f} {(t3 - t2) * 1000:.0f}')\n"
    )
    _, out = run([sys.executable, "-c", parts], db)
    onnx, model, question = out.split()
    ask = [sys.executable, "-m", "bot.cli", "ask", QUESTION]
    runs = [timed_run(ask, db) for _ in range(5)]  # the first also warms the page cache
    walls, cpus = sorted(w for w, _ in runs[1:]), sorted(c for _, c in runs[1:])
    print(
        f"claimbot ask: {statistics.median(walls):.2f}s wall (median of 4, best {walls[0]:.2f}s), "
        f"{statistics.median(cpus):.2f}s CPU; of which import onnxruntime {onnx}s, "
        f"load the model {model}s (in a thread, beside the rest), "
        f"encode the question {question} ms ({load()})"
    )
    lexical = [timed_run(ask, db, {"CLAIMBOT_SEMANTIC": "false"}) for _ in range(3)]
    print(
        f"claimbot ask, CLAIMBOT_SEMANTIC=false: {statistics.median(w for w, _ in lexical):.2f}s wall, "
        f"{statistics.median(c for _, c in lexical):.2f}s CPU"
    )


if __name__ == "__main__":
    main()
