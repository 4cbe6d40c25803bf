"""Import rate: generated ClaimReview JSON Lines (benchmarks/scale.py's corpus) through the product's import.

    python benchmarks/import_rate.py                                   # 14k, SQLite, this tree
    python benchmarks/import_rate.py --size 14000 --engines sqlite,postgres --rounds 2 \
        --trees base=/tmp/claimbot-base,new=.                          # A/B against another checkout
    python benchmarks/import_rate.py --size 300000 --cli-only --engines sqlite,postgres

Every measurement runs in a fresh process on a fresh database (the starter set loaded at open, as a
first start does), trees alternating within each round so that a shared machine's load hits both:

* `cli`: `claimbot import FILE` as a whole process (interpreter start to exit) on a store made by a
  first start beforehand (migrated, the starter set in); the CLI imports with `index=False`: running
  workers and the next process pick the rows up from the store;
* `new`: `ClaimService.import_records(read_records(FILE), index=False)` timed alone, into the empty
  store; `new+index`: the same with `index=True` (this process's index brought in line in each
  batch's transaction, as console uploads and URL imports do);
* `same`: the same file imported again (every record unchanged: the idempotent path);
* `changed`: a file of the same URLs with another description each (every record a new revision,
  each enqueued for the chats that were sent it);
* after `cli`, a fresh process opens the service with its index (lexical only) and asks a sample of
  the imported claims word for word: `ready s` and how many matched (the import made them matchable).

Every process runs with its bytecode cached, as an installed claimbot does (a shell's
PYTHONDONTWRITEBYTECODE is dropped). `--cli-only` times the whole `claimbot import` alone (a 300k
run of every phase takes a quarter of an hour).

records/s is the corpus size over the seconds, by the wall clock and by the importing process's CPU
time (user + system), which a shared machine's load disturbs less (PostgreSQL's own work is not in
it). PostgreSQL runs in a database of its own (`claimbot_import_rate`, created and dropped on the
server --pg-url names).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PATH = list(sys.path)
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale import cpu_calibration, make_record  # noqa: E402

# scale.py puts this checkout first on the path: a child measuring another tree (PYTHONPATH) must
# import that tree's `bot`, not this one's.
sys.path[:] = _PATH

WORK = ROOT / "benchmarks" / "out" / "import_rate"
PG_DB = "claimbot_import_rate"
DEFAULT_PG_URL = os.environ.get("CLAIMBOT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ASKED = 50  # imported claims asked after the import


def write_corpus(path: Path, size: int, *, changed: bool = False) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(size):
            record = make_record(i)
            if changed:
                record["description"] = f"{record['description']} Updated with a reply from the claimant."
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def pg_admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def fresh_database(engine: str, pg_url: str) -> str:
    if engine == "sqlite":
        path = WORK / "bench.db"
        shutil.rmtree(f"{path}.index", ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    pg_admin(pg_url, f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", f"CREATE DATABASE {PG_DB}")
    return pg_url.rsplit("/", 1)[0] + "/" + PG_DB


def drop_databases(pg_url: str, engines: list[str]) -> None:
    if "postgres" in engines:
        pg_admin(pg_url, f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    shutil.rmtree(WORK, ignore_errors=True)


def run(tree: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """A fresh interpreter with `tree` first on the path; its stdout, wall seconds and CPU seconds."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))}
    # Bytecode cached as an installed claimbot has it (pip compiles it at install): a shell's
    # PYTHONDONTWRITEBYTECODE would add compiling the bot's modules to every whole-command figure.
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    clean |= {"PYTHONPATH": str(tree), **(env or {})}
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=tree, env=clean, timeout=7200
    )
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: an import with bad records (none here)
        raise RuntimeError(f"{args[:3]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return proc.stdout, wall, cpu


def child(tree: Path, url: str, corpus: Path, index: bool, profile: str = "") -> dict[str, float]:
    out, _, _ = run(tree, [__file__, "_import", url, str(corpus), "1" if index else "0", profile])
    return json.loads(out.strip().splitlines()[-1])


def phase_import(url: str, corpus: Path, index: bool, profile: str) -> dict[str, float]:
    """In the child: open as the CLI does (no index unless asked), then time the import alone."""
    from bot.config import load_settings
    from bot.importers import read_records
    from bot.service import ClaimService

    service = ClaimService.open(load_settings(CLAIMBOT_DATABASE_URL=url), load_index=index)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    report = service.import_records(read_records(corpus, "claimreview"), index=index)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    import bot

    return {
        "bot": bot.__file__,
        "seconds": seconds,
        "cpu_s": cpu,
        "added": report.added,
        "updated": report.updated,
        "skipped": report.skipped,
        "errors": len(report.errors),
    }


def phase_ask(url: str, size: int) -> dict[str, float]:
    """In the child: a worker's start on the imported store, then imported claims asked word for word."""
    from bot.config import load_settings
    from bot.service import ClaimService

    started = time.perf_counter()
    service = ClaimService.open(load_settings(CLAIMBOT_DATABASE_URL=url, CLAIMBOT_SEMANTIC="false"))
    ready = time.perf_counter() - started
    step = max(1, size // ASKED)
    wanted = [make_record(i) for i in range(0, size, step)][:ASKED]
    found = 0
    for record in wanted:
        matches = service.matcher.match(str(record["claimReviewed"]), top_k=1)
        if matches:
            found += 1
    return {"ready_s": ready, "matched": found, "asked": len(wanted)}


def measure(
    tree: Path, engine: str, size: int, corpora: dict[str, Path], pg_url: str, profile: str, cli_only: bool
):
    row: dict[str, object] = {}
    url = fresh_database(engine, pg_url)
    run(tree, [__file__, "_open", url])  # the first start (migrations, the starter set) is not timed
    out, wall, cpu = run(tree, ["-m", "bot.cli", "import", "--db", url, str(corpora["new"])])
    row["cli"] = {"wall_s": wall, "cpu_s": cpu, "printed": out.strip().splitlines()[-1]}
    if cli_only:
        return row
    out, _, _ = run(tree, [__file__, "_ask", url, str(size)])
    row["ask"] = json.loads(out.strip().splitlines()[-1])
    for name in ("same", "changed"):
        row[name] = child(tree, url, corpora[name], False)
    url = fresh_database(engine, pg_url)
    row["new"] = child(tree, url, corpora["new"], False, profile and f"{profile}_{engine}_new.prof")
    url = fresh_database(engine, pg_url)
    row["new+index"] = child(tree, url, corpora["new"], True, profile and f"{profile}_{engine}_index.prof")
    return row


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_import":
        print(json.dumps(phase_import(argv[1], Path(argv[2]), argv[3] == "1", argv[4])))
        return 0
    if argv and argv[0] == "_open":
        from bot.config import load_settings
        from bot.service import ClaimService

        ClaimService.open(load_settings(CLAIMBOT_DATABASE_URL=argv[1]), load_index=False)
        return 0
    if argv and argv[0] == "_ask":
        print(json.dumps(phase_ask(argv[1], int(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=14_000)
    parser.add_argument("--engines", default="sqlite")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--trees", default=f"this={ROOT}", help="name=path,... checkouts to compare")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database of the server to CREATE from")
    parser.add_argument("--profile", default="", help="cProfile the timed imports to PREFIX_*.prof")
    parser.add_argument(
        "--cli-only", action="store_true", help="only the whole `claimbot import` (300k runs)"
    )
    args = parser.parse_args(argv)
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.trees.split(","))}
    engines = [e for e in args.engines.split(",") if e]
    WORK.mkdir(parents=True, exist_ok=True)
    corpora = {"new": WORK / "claims.jsonl", "changed": WORK / "claims_changed.jsonl"}
    write_corpus(corpora["new"], args.size)
    write_corpus(corpora["changed"], args.size, changed=True)
    corpora["same"] = corpora["new"]
    print(f"# import_rate {time.strftime('%Y-%m-%d %H:%M:%S')}  size {args.size}  load {os.getloadavg()}")
    print(f"# cpu calibration: {cpu_calibration():.0f} ms", flush=True)
    heads = ("cli",) if args.cli_only else ("cli", "new", "new+index", "same", "changed")
    print("records/s by wall clock, then by the process's CPU time (cli: the whole process)")
    columns = " ".join(f"{h + ' wall/cpu':>19}" for h in heads)
    print(f"{'tree':>8} {'engine':>8} {columns}  ready s  matched")
    try:
        for _ in range(args.rounds):
            for engine in engines:
                for name, tree in trees.items():
                    row = measure(tree, engine, args.size, corpora, args.pg_url, args.profile, args.cli_only)
                    rates = " ".join(
                        f"{args.size / row[h]['wall_s' if h == 'cli' else 'seconds']:>9.0f}/"  # type: ignore[index]
                        f"{args.size / row[h]['cpu_s']:<9.0f}"  # type: ignore[index]
                        for h in heads
                    )
                    ask = row.get("ask")
                    asked = f"{ask['ready_s']:>7.2f}  {ask['matched']}/{ask['asked']}" if ask else " " * 14  # type: ignore[index]
                    print(
                        f"{name:>8} {engine:>8} {rates}  {asked}  load {os.getloadavg()[0]:.2f}", flush=True
                    )
                    print("#   " + json.dumps(row), flush=True)
    finally:
        drop_databases(args.pg_url, engines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
