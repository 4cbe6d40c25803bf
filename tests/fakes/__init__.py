"""Loopback fakes of chat platforms (telegram_api, discord_api), driven over real HTTP
by the platforms' own libraries.

Import the one you need, e.g. ``from tests.fakes.telegram_api import FakeTelegramAPI``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# Every wait for the bot in the fakes and harnesses lasts at least this long before the test fails.
# Such waits guard against a hang; they are not timing checks (benchmarks/ measure time), and a
# machine shared by many test runs can be many times slower than a quiet one.
PATIENCE = 60.0


def patient(timeout: float) -> float:
    """The time to wait for something that must happen: `timeout`, but never less than PATIENCE."""
    return max(timeout, PATIENCE)


async def eventually(condition: Callable[[], bool], what: str = "the condition") -> None:
    """Wait until `condition()` holds, looking every 20 ms; fail after PATIENCE."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not condition():
        assert loop.time() < deadline, f"{what} never held within {PATIENCE:g} s"
        await asyncio.sleep(0.02)


def holds_soon(condition: Callable[[], bool], what: str = "the condition") -> None:
    """`eventually` for a test that is not async: look every 20 ms; fail after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"{what} never held within {PATIENCE:g} s"
        time.sleep(0.02)
