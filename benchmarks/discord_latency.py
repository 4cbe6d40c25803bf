"""Interaction-to-callback latency of the Discord adapter, measured against the loopback fake Discord.

Starts the fake, runs `claimbot serve discord` in a subprocess (DISCORD_TOKEN=x,
DISCORD_API_BASE_URL pointing at the fake), checks the acceptance answer for
/check question:"did a NYC cop arrest an ICE agent", then pushes /check interactions one at a
time and in one burst, and prints p50/p99 from INTERACTION_CREATE sent to the first callback
received (a deferral counts: that is what Discord's 3-second rule measures).

    cd /work/main && /work/venv/bin/python -m benchmarks.discord_latency --sequential 200 --burst 300
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.adapter_harness import percentile  # noqa: E402
from tests.fakes.discord_api import FakeDiscord  # noqa: E402

QUESTIONS = [
    "did a NYC cop arrest an ICE agent",
    "does 5G spread covid",
    "do vaccines cause autism",
    "is the great wall of china visible from space",
    "was the moon landing staged",
    "is the earth flat",
]


def summary(name: str, values: list[float], deferred: int) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<11} n={len(ms):<4} p50={percentile(ms, 50):7.1f} ms  p99={percentile(ms, 99):7.1f} ms  "
        f"max={max(ms):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms  deferred={deferred}"
    )


async def push(fake: FakeDiscord, count: int, concurrent: bool) -> tuple[list[float], int]:
    payloads = [
        fake.slash("check", {"question": QUESTIONS[i % len(QUESTIONS)]}, user_id=fake.snowflake())
        for i in range(count)
    ]
    if concurrent:
        ids = [await fake.interact(p) for p in payloads]
        await asyncio.gather(*(fake.wait_response(i, timeout=60) for i in ids))
    else:
        ids = []
        for payload in payloads:
            ids.append(await fake.interact(payload))
            await fake.wait_response(ids[-1], timeout=10)
    latencies = [fake.answered_at[i] - fake.sent_at[i] for i in ids]
    deferred = sum(
        1 for i in ids if any(c.json.get("type") == 5 for c in fake.callbacks(i) if c.status == 200)
    )
    return latencies, deferred


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequential", type=int, default=200, help="interactions sent one after another")
    parser.add_argument("--burst", type=int, default=300, help="interactions sent at once")
    args = parser.parse_args()

    fake = await FakeDiscord().start()
    data = Path(tempfile.mkdtemp(prefix="claimbot-bench-"))
    env = {
        **os.environ,
        "DISCORD_TOKEN": "x",
        "DISCORD_API_BASE_URL": fake.base_url,
        "DISCORD_REVIEW_CHANNEL": fake.review_channel_id,
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "PYTHONPATH": str(ROOT),
    }
    code = "import sys; from bot.cli import main; sys.exit(main(['serve', 'discord']))"
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=env, cwd=str(data))
    try:
        started = time.monotonic()
        await asyncio.wait_for(fake.ready.wait(), 60)
        print(f"bot connected to the fake gateway in {time.monotonic() - started:.2f} s")

        # Acceptance: the answer embed holds the verdict label, the date, the disclaimer and a source.
        payload = fake.slash("check", {"question": "did a NYC cop arrest an ICE agent"})
        call = await fake.wait_response(await fake.interact(payload), timeout=10)
        embed = call.json["data"]["embeds"][0]
        text = " ".join(
            [
                embed["title"],
                embed.get("description", ""),
                embed["footer"]["text"],
                *(f["name"] + " " + f["value"] for f in embed.get("fields", [])),
            ]
        )
        checks = {
            "verdict label": "False" in embed["title"],
            "date": "February 2, 2026" in text,
            "disclaimer": "ClaimBot can make mistakes" in embed["footer"]["text"],
            "source": bool(embed.get("fields")),
        }
        print("acceptance:", ", ".join(f"{k} {'ok' if v else 'MISSING'}" for k, v in checks.items()))

        if args.sequential:
            print(summary("sequential", *await push(fake, args.sequential, concurrent=False)))
        if args.burst:
            print(summary(f"burst {args.burst}", *await push(fake, args.burst, concurrent=True)))
        return 0 if all(checks.values()) else 1
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        await fake.close()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
