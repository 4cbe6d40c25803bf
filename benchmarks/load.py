"""Full-size load through both adapters at once (issue 8): latency p50/p99 and questions per second.

    python benchmarks/load.py                  # 2,000 Telegram questions from 200 users + 500 Discord
    python benchmarks/load.py --scale small    # the size CI runs (300 + 100)
    python benchmarks/load.py --scale 600,60,200,20

Runs tests/test_load.py's scenario (real PTB and discord.py stacks against the loopback fakes, one
service on SQLite, one event loop), checks the same acceptance criteria, and prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_load import SCALES, check, run_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="full", help="small, full, or TG,TG_USERS,DISCORD,DISCORD_USERS")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    sizes = SCALES.get(args.scale) or tuple(int(x) for x in args.scale.split(","))
    os.environ.setdefault("CLAIMBOT_ASKER_SALT", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run_load(Path(tmp), *sizes, timeout=900))
    print(result.summary())
    check(result)
    print("acceptance: every question answered once, per-user throttle held, no blocking call on the loop")


if __name__ == "__main__":
    main()
