"""`claimbot index` fact-checks/s, this tree against a baseline commit in the same run (issue 15 item 3).

    python benchmarks/index_speed.py                               # 2,000 generated, vs main
    python benchmarks/index_speed.py --sizes 2000,14000 --rounds 2
    python benchmarks/index_speed.py --corpus checkthat --sizes 2000
    python benchmarks/index_speed.py --env CLAIMBOT_EMBED_THREADS=2  # both trees, e.g. two cores

For each size one SQLite database is imported (generated ClaimReview fact-checks from
benchmarks/scale.py, or the CheckThat! 2022 verified claims), then copied afresh for every run of
`claimbot index` (a process of its own) from the baseline (`git archive BASELINE`, in a temporary
directory) and from this tree, alternating baseline / this tree `--rounds` times, since the cores are
shared and the load moves. Each run prints fact-checks/s as `claimbot index` reports it (encoding and
storing; not the index files written after), the CPU seconds of the command (all its threads, user +
system: they move less with the load than wall time; they include opening the service and writing the
index files) and the load average. Each tree runs `claimbot index` with its defaults (this tree:
batches on every core the process may use; main before it: one core), `--threads` passes a count
to this tree. After the runs, the stored vectors of the last baseline and the last new run
are compared: the smallest cosine and the largest difference of the vectors, and of the claim /
title / summary vectors (stored as float16).

    python benchmarks/index_speed.py --threads 1,2   # this tree on one core, then on two, per round

"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VCLAIMS = ROOT / "benchmarks/data/checkthat2022-2a-en/vclaims.jsonl"


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def environment(tree: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))}
    return env | {"PYTHONPATH": str(tree), "CLAIMBOT_SEMANTIC": "true"} | extra


def export(ref: str, into: Path) -> Path:
    """The files of commit `ref`, as `git archive` gives them."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


IMPORT = """
import sys
from itertools import islice
from bot.config import Settings
from bot.importers import read_records
from bot.service import ClaimService
url, corpus, size, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
service = ClaimService.open(Settings(_env_file=None, CLAIMBOT_DATABASE_URL=url), load_index=False)
records = islice(read_records(corpus, kind), size)
report = service.import_records(records, index=False)
print(report.added)
"""


def prepare(work: Path, corpus: str, size: int) -> Path:
    """A database of `size` fact-checks, imported by this tree (the schema is the baseline's too)."""
    db = work / f"{corpus}-{size}.db"
    if corpus == "generated":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import scale

        source = work / f"generated-{size}.jsonl"
        scale.write_corpus(source, size)
        kind = "claimreview"
    else:
        source, kind = VCLAIMS, "checkthat"
    started = time.perf_counter()
    added = subprocess.run(
        [sys.executable, "-c", IMPORT, f"sqlite:///{db}", str(source), str(size), kind],
        env=environment(ROOT, {}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    print(f"{corpus} {size}: imported {added} in {time.perf_counter() - started:.0f}s", flush=True)
    return db


INDEX = """
import sys, time
from bot.cli import main
cpu = time.process_time()
code = main(sys.argv[1:])
print(f"process CPU {time.process_time() - cpu:.3f}")
sys.exit(code)
"""


def index_once(
    tree: Path, template: Path, run_db: Path, extra: dict[str, str], flags: list[str]
) -> tuple[int, float, float]:
    """(fact-checks encoded, their seconds as `claimbot index` reports them, CPU seconds of every thread
    of the process from the command's start, its Python start-up and imports left out)."""
    shutil.copyfile(template, run_db)
    out = subprocess.run(
        [sys.executable, "-c", INDEX, "--db", f"sqlite:///{run_db}", "index", *flags],
        env=environment(tree, extra),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"encoded (\d+) fact-checks in ([\d.]+)s", out)
    cpu = re.search(r"process CPU ([\d.]+)", out)
    assert match and cpu, out
    return int(match.group(1)), float(match.group(2)), float(cpu.group(1))


def stored(db: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fact-check ids, vectors, field vectors) of every stored embedding, by fact-check id."""
    with sqlite3.connect(db) as conn:
        query = "SELECT fact_check_id, vector, fields FROM embedding ORDER BY fact_check_id"
        rows = conn.execute(query).fetchall()
    ids = np.array([r[0] for r in rows])
    vectors = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
    fields = np.stack([np.frombuffer(r[2], dtype=np.float16).reshape(3, -1) for r in rows]).astype(np.float32)
    return ids, vectors, fields


def compare(old: Path, new: Path) -> str:
    old_ids, old_vectors, old_fields = stored(old)
    new_ids, new_vectors, new_fields = stored(new)
    if not np.array_equal(old_ids, new_ids):
        return f"different fact-checks stored: {len(old_ids)} vs {len(new_ids)}"
    cosines = np.einsum("ij,ij->i", old_vectors, new_vectors)
    return (
        f"vectors of {len(old_ids)} fact-checks: min cosine old/new {cosines.min():.7f}, "
        f"max |difference| {np.abs(old_vectors - new_vectors).max():.1e}; "
        f"claim/title/summary vectors max |difference| {np.abs(old_fields - new_fields).max():.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated fact-check counts")
    parser.add_argument("--corpus", choices=("generated", "checkthat"), default="generated")
    parser.add_argument("--baseline", default="main", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=1, help="baseline / this tree pairs per size")
    parser.add_argument("--skip-baseline", action="store_true", help="this tree only")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="for both trees")
    parser.add_argument("--threads", default="", help="this tree's `index --threads`, comma-separated")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="claimbot-index-speed-") as tmp:
        work = Path(tmp)
        runs: dict[str, tuple[Path, list[str]]] = {}
        if not args.skip_baseline:
            runs[args.baseline] = (export(args.baseline, work / "baseline"), [])
        for threads in args.threads.split(",") if args.threads else [""]:
            name = f"this tree, --threads {threads}" if threads else "this tree"
            runs[name] = (ROOT, ["--threads", threads] if threads else [])
        databases = {name: work / f"run-{i}.db" for i, name in enumerate(runs)}
        for size in (int(s) for s in args.sizes.split(",")):
            if args.corpus == "checkthat":
                size = min(size, sum(1 for _ in islice(VCLAIMS.open(), size)))
            template = prepare(work, args.corpus, size)
            for round_ in range(args.rounds):
                for name, (tree, flags) in runs.items():
                    encoded, seconds, cpu = index_once(tree, template, databases[name], extra, flags)
                    print(
                        f"{args.corpus} {size}, {name} (round {round_ + 1}): {encoded} fact-checks in "
                        f"{seconds:.1f}s: {encoded / seconds:.1f} fact-checks/s; CPU {cpu:.1f}s "
                        f"({encoded / cpu:.1f} fact-checks per CPU second; {load()})",
                        flush=True,
                    )
            names = list(runs)
            for name in names[1:]:
                print(f"{names[0]} / {name}: {compare(databases[names[0]], databases[name])}", flush=True)


if __name__ == "__main__":
    main()
