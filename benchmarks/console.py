"""Web console benchmark: server time per page with a full queue, through the whole middleware stack.

    python benchmarks/console.py                 # 300 queued items, 50 requests per page
    python benchmarks/console.py --items 2000 --requests 20

Builds a SQLite database (lexical matching), queues distinct claims from a few askers on two
platforms, signs in with a console link and times GET /queue (pages 1 and last), one review item
(phrasings and the matcher's candidates), a catalogue search and the audit log, then a CSRF-checked
POST. Prints the median and 95th percentile per request in milliseconds. Figures only: no test asserts them.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from adapters.web import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain import Actor, Asker, ChatRef, Question  # noqa: E402
from bot.service import ClaimService  # noqa: E402

SYLLABLES = ["ka", "lu", "vo", "ri", "ne", "to", "sa", "mi", "de", "fo", "gu", "pe", "zi", "ba"]


def word(n: int) -> str:
    """A made-up word of its own for each n: claims that share no words open one item each."""
    out = ""
    for _ in range(3):
        n, rest = divmod(n, len(SYLLABLES))
        out += SYLLABLES[rest]
    return out


def claim(n: int) -> str:
    return f"did the {word(3 * n)} {word(3 * n + 1)} really {word(3 * n + 2)}"


def timed(client: TestClient, path: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    settings = Settings(
        _env_file=None,
        CLAIMBOT_DATABASE_URL=f"sqlite:///{folder / 'console.db'}",
        CLAIMBOT_SEMANTIC=False,
        CLAIMBOT_AUTO_QUEUE=True,
        CLAIMBOT_QUESTIONS_PER_MINUTE=100_000,
        TELEGRAM_MODERATORS="42",
        CLAIMBOT_CONSOLE_SECRET="benchmark-" + "x" * 40,
        CLAIMBOT_CONSOLE_URL="http://testserver",
    )
    service = ClaimService.open(settings)
    started = time.perf_counter()
    first = None
    for n in range(args.items):
        platform = ("telegram", "discord")[n % 2]
        outcome = service.ask(
            Question(claim(n), Asker(platform, str(n % 37)), ChatRef(platform, str(n % 37), is_private=True))
        )
        first = first or outcome.review_item_id
    print(f"queued {service.open_review_count()} items in {time.perf_counter() - started:.1f}s")
    link = service.issue_console_link(Actor("telegram", "42", platform_admin=True))
    with TestClient(build_app(service, settings, follow_index=False), follow_redirects=False) as client:
        page = client.get(link.url).text
        token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
        client.post("/signin", data={"csrftoken": token, "token": link.token})
        last = max(1, -(-service.open_review_count() // 25))
        paths = {
            "queue, page 1": "/queue",
            f"queue, page {last}": f"/queue?page={last}",
            "review item": f"/review/{first}",
            "catalogue search": "/factchecks?q=police+arrest",
            "audit log": "/audit",
        }
        print(f"{'page':<22} {'median ms':>10} {'p95 ms':>8}   ({args.requests} requests each)")
        for name, path in paths.items():
            times = timed(client, path, args.requests)
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            print(f"{name:<22} {statistics.median(times):>10.1f} {p95:>8.1f}")
        token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/settings").text).group(1)
        times = []
        for _ in range(args.requests):
            begun = time.perf_counter()
            client.post("/settings", data={"csrftoken": token, "tz": "Europe/Paris", "auto": "1"})
            times.append((time.perf_counter() - begun) * 1000)
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(f"{'POST (CSRF checked)':<22} {statistics.median(times):>10.1f} {p95:>8.1f}")
    service.engine.dispose()


if __name__ == "__main__":
    main()
