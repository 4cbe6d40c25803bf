"""Shared harness for tests that run both chat adapters against the loopback fakes at once.

tests/test_telegram.py and tests/test_discord.py each start one adapter with fixtures of their own;
the authorization, load and secrets tests need both adapters on one service (and one event loop), so
the pieces live here: settings for both platforms, context managers that start and stop each adapter,
payload helpers for the Discord fake, a heartbeat that measures how long the event loop is blocked
(a figure to print), and a count of blocking calls made on the loop's thread (a figure to assert).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from adapters import discord as discord_adapter
from adapters.telegram import build_application, running
from bot.config import Settings
from bot.service import ClaimService
from tests.conftest import migrated_sqlite
from tests.fakes import patient
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import MOD_CHAT, MODERATOR

TELEGRAM_TOKEN = "987654:SECRET-telegram-token-AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD_TOKEN = "MTAxOTY.SECRET-discord-token.Gx7dKq-3Z0x9vYb2Lw8NmR4tP6sQ1uV5"


def both_settings(tmp_path: Path, tg: FakeTelegramAPI, dc: FakeDiscord, **overrides: Any) -> Settings:
    """Settings for one service serving Telegram and Discord against the two fakes."""
    values: dict[str, Any] = {
        "CLAIMBOT_DATABASE_URL": migrated_sqlite(tmp_path / "both.db"),
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_MODERATORS": str(MODERATOR),
        "TELEGRAM_MODERATOR_CHAT": MOD_CHAT,
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_BASE_URL": dc.base_url,
        "DISCORD_REVIEW_CHANNEL": int(dc.review_channel_id),
        # Issue 14: the tests written before "ask before queueing" keep automatic queueing.
        "CLAIMBOT_AUTO_QUEUE": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def telegram_bot(
    service: ClaimService, *, rate_limiter: bool = True, concurrent_updates: int = 8, **kw: Any
) -> AsyncIterator[Any]:
    """The Telegram adapter (long polling) on the running loop, stopped on exit."""
    application = build_application(
        service, service.settings, rate_limiter=rate_limiter, concurrent_updates=concurrent_updates
    )
    async with running(
        application, service, service.settings, outbox_interval=0.1, poll_timeout=1, **kw
    ) as app:
        yield app


@contextlib.asynccontextmanager
async def discord_bot(fake: FakeDiscord, service: ClaimService, state_dir: Path) -> AsyncIterator[None]:
    """The Discord adapter on the running loop, connected to `fake`'s gateway, stopped on exit."""
    fake.ready.clear()
    task = asyncio.create_task(
        discord_adapter.serve(service, service.settings, outbox_interval=0.1, state_dir=state_dir)
    )
    try:
        await asyncio.wait_for(fake.ready.wait(), patient(15))
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def with_user_option(payload: dict[str, Any], name: str, user: dict[str, Any]) -> dict[str, Any]:
    """Add a USER option (type 6) and its resolved user to a slash payload from `FakeDiscord.slash`."""
    options = payload["data"]["options"]
    target = options[0]["options"] if options and options[0].get("type") == 1 else options
    target.append({"name": name, "type": 6, "value": user["id"]})
    payload["data"].setdefault("resolved", {}).setdefault("users", {})[user["id"]] = user
    return payload


async def discord_reply(fake: FakeDiscord, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Dispatch an interaction; the first message it produced (callback, or followup after a deferral)."""
    interaction_id = await fake.interact(payload)
    call = await fake.wait_response(interaction_id, timeout)
    body = call.json or {}
    if body.get("type") == 5:  # deferred: the answer is the first followup
        followup = await fake.wait_call("POST", rf"/webhooks/\d+/{payload['token']}", timeout)
        return {"type": 5, "data": followup.json, "_files": (followup.json or {}).get("_files", {})}
    return body


class LoopMonitor:
    """A heartbeat on the running loop: `max_lag` is the longest the loop was late to wake it."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.max_lag = 0.0
        self.beats = 0
        self._task: asyncio.Task[None] | None = None
        self.loop_thread: int | None = None

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.interval)
            self.max_lag = max(self.max_lag, loop.time() - started - self.interval)
            self.beats += 1

    async def __aenter__(self) -> LoopMonitor:
        self.loop_thread = threading.get_ident()
        self._task = asyncio.create_task(self._beat())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class LoopThreadCalls:
    """Counts blocking calls by the thread they ran on: the event loop's, or any other.

    Wrapped callables (the matcher) and every SQL statement and commit on a watched engine are
    counted; a count on the loop thread is a call that blocked every chat for its whole duration,
    however fast the machine happens to be. Wall-clock times are kept for the printed figures only.
    """

    def __init__(self, loop_thread: int) -> None:
        self.loop_thread = loop_thread
        self.on_loop: Counter[str] = Counter()
        self.off_loop: Counter[str] = Counter()
        self.slowest: dict[str, float] = {}
        self._lock = threading.Lock()
        self._listeners: list[tuple[Any, str, Any]] = []

    def _count(self, kind: str, seconds: float = 0.0) -> None:
        with self._lock:
            (self.on_loop if threading.get_ident() == self.loop_thread else self.off_loop)[kind] += 1
            self.slowest[kind] = max(self.slowest.get(kind, 0.0), seconds)

    def wrap(self, kind: str, func: Any) -> Any:
        """`func`, counted as `kind` on each call."""

        def counted(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self._count(kind, time.perf_counter() - started)

        return counted

    def watch(self, engine: Engine) -> None:
        """Count every statement ("sql") and commit ("commit") `engine` runs, until `close()`."""
        for name, kind in (("before_cursor_execute", "sql"), ("commit", "commit")):

            def listener(*args: Any, _kind: str = kind, **kwargs: Any) -> None:
                self._count(_kind)

            event.listen(engine, name, listener)
            self._listeners.append((engine, name, listener))

    def close(self) -> None:
        for engine, name, listener in self._listeners:
            event.remove(engine, name, listener)
        self._listeners.clear()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]
