"""Update → reply latency of the Telegram adapter, through the real PTB stack and the fake Bot API.

    python benchmarks/telegram_latency.py                      # 300 DMs at 20 updates/s (polling)
    python benchmarks/telegram_latency.py --rate 0             # all at once (a burst)
    python benchmarks/telegram_latency.py --webhook            # delivered by webhook instead
    python benchmarks/telegram_latency.py --no-rate-limiter    # without PTB's AIORateLimiter

Each update is a private message from a different user (the service throttles each asker), mixing
questions that are answered, suggested and queued. Latency is measured from the moment the fake
server queued (or posted) the update to the moment the bot's sendMessage to that chat arrived back,
so it includes long-poll pick-up, PTB dispatch, matching and SQLite writes in a worker thread,
rendering, the rate limiter and the HTTP round trip. Prints p50/p90/p99/max and throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.telegram import build_application, running  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.service import ClaimService  # noqa: E402
from tests.adapter_harness import percentile  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

QUESTIONS = [
    "did a NYC cop arrest an ICE agent",
    "is it true that 5G spreads covid",
    "vaccine",
    "do vaccines cause autism?",
    "I heard the great wall of china is visible from space",
    "someone told me the mayor of a small town banned umbrellas on tuesdays",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def measure(count: int, rate: float, webhook: bool, rate_limiter: bool, concurrency: int) -> None:
    async with FakeTelegramAPI() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,
                CLAIMBOT_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
                TELEGRAM_BOT_TOKEN=fake.token,
                TELEGRAM_API_BASE_URL=fake.base_url,
                TELEGRAM_WEBHOOK_SECRET="bench-secret",
            )
            service = ClaimService.open(settings)
            application = build_application(
                service, settings, rate_limiter=rate_limiter, concurrent_updates=concurrency
            )
            kw: dict[str, object] = {}
            if webhook:
                port = free_port()
                kw = {"webhook_url": f"http://127.0.0.1:{port}/telegram", "listen": "127.0.0.1", "port": port}
            async with running(application, service, settings, outbox_interval=0.5, **kw):
                # Warm-up: one question through the whole path (connections, matcher caches).
                fake.private_message(10, QUESTIONS[0])
                await fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 10, timeout=30)
                first_user = 100_000
                update_of: dict[int, int] = {}
                started = time.perf_counter()
                for n in range(count):
                    user = first_user + n
                    update_of[user] = fake.private_message(user, QUESTIONS[n % len(QUESTIONS)])
                    if rate > 0:
                        await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
                    elif n % 50 == 49:
                        await asyncio.sleep(0)
                users = set(update_of)
                await fake.wait_until(
                    lambda: (
                        len({int(c.params["chat_id"]) for c in fake.calls_to("sendMessage", None)} & users)
                        == len(users)
                    ),
                    timeout=120,
                )
                elapsed = time.perf_counter() - started
            service.engine.dispose()

    latencies = []
    for call in fake.calls_to("sendMessage"):
        chat = int(call.params["chat_id"])
        if chat in update_of and call.ok:
            latencies.append((call.at - fake.pushed_at[update_of.pop(chat)]) * 1000)
    mode = "webhook" if webhook else "long polling"
    pace = f"{rate:g} updates/s" if rate > 0 else "burst"
    print(
        f"Telegram update -> sendMessage latency, {len(latencies)} DMs, {mode}, {pace}, "
        f"rate limiter {'on' if rate_limiter else 'off'}, concurrent_updates={concurrency}"
    )
    print(
        f"  p50 {percentile(latencies, 50):7.1f} ms   p90 {percentile(latencies, 90):7.1f} ms   "
        f"p99 {percentile(latencies, 99):7.1f} ms   max {max(latencies):7.1f} ms   "
        f"mean {statistics.fmean(latencies):7.1f} ms"
    )
    print(f"  throughput {len(latencies) / elapsed:.1f} replies/s over {elapsed:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="updates per second; 0 sends a burst")
    parser.add_argument("--webhook", action="store_true")
    parser.add_argument("--no-rate-limiter", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8, help="PTB concurrent_updates")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(measure(args.count, args.rate, args.webhook, not args.no_rate_limiter, args.concurrency))


if __name__ == "__main__":
    main()
