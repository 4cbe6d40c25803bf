"""Load: many people asking at once through both adapters, on one service and one event loop.

Telegram: N questions from U users as a burst of /check commands (each user in a group of their
own) through the fake Bot API (real PTB stack, long polling). Discord: M slash commands from V
members as a burst of INTERACTION_CREATE events through the fake gateway (real discord.py). Every
user asks more than the per-minute limit.

Checked: every question gets exactly one reply (an answer, suggestions, the queue notice, or the
friendly throttle notice); no user gets more than CLAIMBOT_QUESTIONS_PER_MINUTE real replies; the
event loop is never blocked: no matching, SQL statement or commit runs on the loop's thread (counted,
so the check holds however busy the machine is). A heartbeat's lag is printed, not asserted: it
measures the machine as much as the bot.

CI runs the small size (300 + 100); `CLAIMBOT_LOAD_SCALE=full` runs 2,000 from 200 users + 500 from
50 members; `python benchmarks/load.py` runs the full size and prints latency and throughput.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.replies import REFUSALS
from bot.service import ClaimService
from tests.adapter_harness import (
    LoopMonitor,
    LoopThreadCalls,
    both_settings,
    discord_bot,
    percentile,
    telegram_bot,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import MOD_CHAT

# Under load the adapter defers slow answers, as it would for members: that is part of what is measured.
pytestmark = pytest.mark.real_deferral

SCALES = {
    # telegram questions, telegram users, discord interactions, discord members
    "small": (300, 30, 100, 10),
    "full": (2000, 200, 500, 50),
}
QUESTIONS = [
    "did a NYC cop arrest an ICE agent",
    "is it true that 5G spreads covid",
    "vaccine",
    "do vaccines cause autism?",
    "I heard the great wall of china is visible from space",
    "someone told me the mayor of a small town banned umbrellas on tuesdays",
    "a meteor shower will knock out the power grid next week",
]
THROTTLE = "asking faster"


@dataclass
class LoadResult:
    telegram_questions: int
    discord_questions: int
    latencies: list[float]  # seconds from the platform event to the first reply, every question
    elapsed: float  # first event to last reply
    max_loop_lag: float  # printed only: it depends on how busy the machine is
    heartbeats: int
    on_loop: dict[str, int]  # blocking calls ("match", "sql", "commit") made on the event loop's thread
    off_loop: dict[str, int]  # the same, made on worker threads
    slowest_match: float
    tg_replies: dict[tuple[int, int], list[str]]  # (chat, question message) -> reply texts
    tg_by_user: dict[int, Counter[str]]  # user -> {"reply": n, "throttled": n}
    dc_callbacks: dict[str, list[int]]  # interaction id -> callback statuses (2xx)
    dc_by_user: dict[str, Counter[str]]
    questions_per_minute: int

    @property
    def total(self) -> int:
        return self.telegram_questions + self.discord_questions

    def summary(self) -> str:
        ms = [1000 * x for x in self.latencies]
        return (
            f"{self.telegram_questions} Telegram + {self.discord_questions} Discord questions in "
            f"{self.elapsed:.1f} s = {self.total / self.elapsed:.0f} questions/s; reply latency "
            f"p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
            f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms; "
            f"event-loop max lag {1000 * self.max_loop_lag:.0f} ms over {self.heartbeats} heartbeats; "
            f"blocking calls off the loop {self._counts(self.off_loop)}, on it {self._counts(self.on_loop)} "
            f"(slowest match {1000 * self.slowest_match:.0f} ms)"
        )

    @staticmethod
    def _counts(counts: dict[str, int]) -> str:
        return "{" + ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in ("match", "sql", "commit")) + "}"


def scale() -> tuple[int, int, int, int]:
    name = os.environ.get("CLAIMBOT_LOAD_SCALE", "small")
    if name in SCALES:
        return SCALES[name]
    tg, tg_users, dc, dc_users = (int(x) for x in name.split(","))  # e.g. "600,60,200,20"
    return tg, tg_users, dc, dc_users


async def run_load(
    tmp_path: Path, tg_count: int, tg_users: int, dc_count: int, dc_users: int, *, timeout: float = 300
) -> LoadResult:
    """Start both adapters on one service, fire every question at once, wait for every reply."""
    async with FakeTelegramAPI(max_poll_wait=0.3) as tg:
        dc = await FakeDiscord().start()
        tg.add_chat(MOD_CHAT, "supergroup", "Moderators")
        settings = both_settings(tmp_path, tg, dc)
        service = await asyncio.to_thread(ClaimService.open, settings)
        try:
            # PTB's AIORateLimiter holds a bot to Telegram's 30 messages/s; measured here is the bot itself.
            async with (
                telegram_bot(service, rate_limiter=False),
                discord_bot(dc, service, tmp_path),
                LoopMonitor() as monitor,
            ):
                calls = LoopThreadCalls(monitor.loop_thread or 0)
                service.matcher.match = calls.wrap("match", service.matcher.match)  # type: ignore[method-assign]
                calls.watch(service.engine)
                try:
                    result = await _fire(tg, dc, tg_count, tg_users, dc_count, dc_users, timeout)
                    await asyncio.sleep(0.5)  # late duplicates would show up here
                finally:
                    calls.close()
                return _collect(tg, dc, result, monitor, calls, settings.questions_per_minute)
        finally:
            await dc.close()
            service.engine.dispose()


async def _fire(
    tg: FakeTelegramAPI,
    dc: FakeDiscord,
    tg_count: int,
    tg_users: int,
    dc_count: int,
    dc_users: int,
    timeout: float,
) -> dict[str, Any]:
    tg_questions: dict[tuple[int, int], int] = {}  # (chat, message) -> update id
    tg_owner: dict[tuple[int, int], int] = {}
    users = [100_000 + n for n in range(tg_users)]
    members = [dc.snowflake() for _ in range(dc_users)]
    payloads = []
    for n in range(dc_count):
        member = members[n % dc_users]
        text = f"{QUESTIONS[n % len(QUESTIONS)]} #{n}"
        payloads.append(dc.slash("check", {"question": text}, user_id=member, dm=True))
    dc_owner = {p["id"]: p["user"]["id"] for p in payloads}
    started = time.perf_counter()
    started_mono = time.monotonic()
    for n in range(tg_count):
        user = users[n % tg_users]
        # Each user in a group of their own: replies quote the question (PTB quotes in groups, not in
        # private chats), so every reply maps to its question; one user per chat keeps the per-chat
        # limit (30/min) out of the way of the per-user one under test.
        chat = -(10**6 + user)
        update_id = tg.group_message(chat, user, f"/check {QUESTIONS[n % len(QUESTIONS)]} #{n}")
        key = (chat, tg.chats[chat].next_message_id - 1)
        tg_questions[key], tg_owner[key] = update_id, user
    await asyncio.gather(*(dc.interact(p) for p in payloads))

    def replied(call: Any) -> tuple[int, int] | None:
        reply = call.params.get("reply_parameters") or {}
        if call.method != "sendMessage" or not call.ok or "message_id" not in reply:
            return None
        return int(call.params["chat_id"]), int(reply["message_id"])

    def done() -> bool:
        answered = {key for c in tg.calls if (key := replied(c)) is not None}
        return len(answered & tg_questions.keys()) == tg_count and len(dc.answered_at) >= dc_count

    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not every question was answered in {timeout}s: telegram "
                f"{len({replied(c) for c in tg.calls} & tg_questions.keys())}/{tg_count}, "
                f"discord {len(dc.answered_at)}/{dc_count}"
            )
        await asyncio.sleep(0.05)
    return {
        "tg_questions": tg_questions,
        "tg_owner": tg_owner,
        "dc_owner": dc_owner,
        "started": started,
        "started_mono": started_mono,
        "replied": replied,
        "dc_count": dc_count,
    }


def _collect(
    tg: FakeTelegramAPI,
    dc: FakeDiscord,
    fired: dict[str, Any],
    monitor: LoopMonitor,
    calls: LoopThreadCalls,
    per_minute: int,
) -> LoadResult:
    tg_questions, replied = fired["tg_questions"], fired["replied"]
    tg_replies: dict[tuple[int, int], list[str]] = defaultdict(list)
    tg_by_user: dict[int, Counter[str]] = defaultdict(Counter)
    latencies, last = [], 0.0
    for call in tg.calls:
        key = replied(call)
        if key is None or key not in tg_questions:
            continue
        text = str(call.params.get("text", ""))
        if not tg_replies[key]:
            latencies.append(call.at - tg.pushed_at[tg_questions[key]])
            last = max(last, call.at - fired["started"])
        tg_replies[key].append(text)
        tg_by_user[fired["tg_owner"][key]]["throttled" if THROTTLE in text else "reply"] += 1

    dc_callbacks: dict[str, list[int]] = defaultdict(list)
    dc_by_user: dict[str, Counter[str]] = defaultdict(Counter)
    owner = fired["dc_owner"]
    for call in dc.calls:
        if call.method != "POST" or not call.path.endswith("/callback") or not 200 <= call.status < 300:
            continue
        interaction_id = call.path.split("/")[2]
        if interaction_id not in owner:
            continue
        dc_callbacks[interaction_id].append(call.status)
        data = (call.json or {}).get("data") or {}
        if (call.json or {}).get("type") == 5:  # deferred: what the member saw is the first followup
            token = f"/token-{interaction_id}"
            followup = next((c for c in dc.calls if c.method == "POST" and c.path.endswith(token)), None)
            data = (followup.json if followup is not None else None) or {}
        kind = "throttled" if THROTTLE in str(data.get("content", "")) else "reply"
        dc_by_user[owner[interaction_id]][kind] += 1
    for interaction_id in owner:
        if interaction_id in dc.answered_at:
            latencies.append(dc.answered_at[interaction_id] - dc.sent_at[interaction_id])
            last = max(last, dc.answered_at[interaction_id] - fired["started_mono"])
    return LoadResult(
        telegram_questions=len(tg_questions),
        discord_questions=len(owner),
        latencies=latencies,
        elapsed=last,
        max_loop_lag=monitor.max_lag,
        heartbeats=monitor.beats,
        on_loop=dict(calls.on_loop),
        off_loop=dict(calls.off_loop),
        slowest_match=calls.slowest.get("match", 0.0),
        tg_replies=dict(tg_replies),
        tg_by_user=dict(tg_by_user),
        dc_callbacks=dict(dc_callbacks),
        dc_by_user=dict(dc_by_user),
        questions_per_minute=per_minute,
    )


def check(result: LoadResult) -> None:
    """The acceptance criteria, shared by the test and benchmarks/load.py."""
    # Exactly one reply (or throttle notice) per question.
    assert len(result.tg_replies) == result.telegram_questions
    doubled = {k: v for k, v in result.tg_replies.items() if len(v) != 1}
    assert not doubled, f"questions answered more than once: {list(doubled.items())[:3]}"
    assert len(result.dc_callbacks) == result.discord_questions
    assert all(len(v) == 1 for v in result.dc_callbacks.values()), "an interaction answered twice"
    # Per-user throttling held: never more real replies than the limit, and the rest got the notice.
    for by_user in (result.tg_by_user, result.dc_by_user):
        for user, counts in by_user.items():
            assert counts["reply"] <= result.questions_per_minute, (user, counts)
            assert counts["throttled"] >= 1, (user, counts)
    # Matching and the database ran on worker threads, never on the event loop: the loop was never
    # blocked by them, on a fast machine or a busy one.
    assert result.on_loop == {}, result.summary()
    assert result.off_loop.get("match", 0) > 0 and result.off_loop.get("sql", 0) > 0, result.summary()
    assert REFUSALS["throttled"]  # the notice the counts above look for exists


async def test_load_both_platforms_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tg_count, tg_users, dc_count, dc_users = scale()
    result = await run_load(tmp_path, tg_count, tg_users, dc_count, dc_users)
    with capsys.disabled():
        print("\nload:", result.summary())
    check(result)
