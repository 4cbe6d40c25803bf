"""Several workers on one database (issue 7): two real `claimbot serve telegram` webhook processes.

The fake Bot API POSTs every update to both workers (a load balancer retrying on the other one), so
exactly one answer per update must come from the database's unique keys, not from luck. Then 50
subscribers are notified through the outbox that both workers drain (FOR UPDATE SKIP LOCKED on
PostgreSQL), and a fact-check imported and revised by another process must reach the workers' match
index without a restart (LISTEN/NOTIFY on PostgreSQL, polling on SQLite).

How long each step took is printed (run with `-s` to see it), not asserted: on a busy machine it
measures the machine. That NOTIFY alone refreshes an index is checked without a clock below.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

import bot.delivery
import bot.service
from bot.delivery import run_outbox
from bot.domain import Actor, Asker, ChatRef, FactCheckRecord, OutcomeKind, Question, SourceRecord, Verdict
from bot.service import ClaimService
from store.models import Notification
from tests.adapter_harness import telegram_bot
from tests.conftest import make_settings
from tests.fakes import PATIENCE, eventually, patient
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]
NYC = "did a NYC cop arrest an ICE agent"
UNKNOWN = "the river ferry will be free for pensioners every sunday from january"
SECRET = "w0rker-secret"
OUTBOX_INTERVAL = 1.0  # the default: freshness on PostgreSQL must not depend on it
CLI = Actor("cli", "operator")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Worker:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg"

    async def metrics(self, client: httpx.AsyncClient) -> str:
        return (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text


def metric(body: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def start_worker(name: str, database_url: str, fake: FakeTelegramAPI, tmp_path: Path) -> Worker:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLAIMBOT_DATABASE_URL": database_url,
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "CLAIMBOT_OUTBOX_INTERVAL_SECONDS": str(OUTBOX_INTERVAL),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        # Issue 14: the tests written before "ask before queueing" keep automatic queueing.
        "CLAIMBOT_AUTO_QUEUE": "true",
    }
    log = tmp_path / f"{name}.log"
    url = f"http://127.0.0.1:{port}/tg"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "telegram", "--webhook-url", url]
        + ["--listen", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    return Worker(name, port, process, log)


async def wait_healthy(worker: Worker, client: httpx.AsyncClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + patient(timeout)
    while True:
        if worker.process.poll() is not None:
            raise AssertionError(f"{worker.name} exited:\n{worker.log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"http://127.0.0.1:{worker.port}/healthz")).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{worker.name} never became healthy:\n{worker.log.read_text()[-3000:]}")
        await asyncio.sleep(0.1)


def stop_worker(worker: Worker) -> str:
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    return worker.log.read_text()


@pytest.fixture
def shared_url(database_url: str) -> str:
    """One database for the test process and both workers (a SQLite file, or a PostgreSQL schema)."""
    return database_url


@pytest.fixture
def service(shared_url: str) -> Iterator[ClaimService]:
    # Created (migrated, starter fact-checks loaded) before the workers start.
    svc = ClaimService.open(make_settings(shared_url))
    yield svc
    svc.engine.dispose()


@pytest.fixture
async def cluster(
    shared_url: str, service: ClaimService, tmp_path: Path
) -> AsyncIterator[tuple[FakeTelegramAPI, list[Worker]]]:
    async with FakeTelegramAPI() as fake:
        workers = [start_worker(name, shared_url, fake, tmp_path) for name in ("w1", "w2")]
        try:
            async with httpx.AsyncClient() as client:
                for worker in workers:
                    await wait_healthy(worker, client)
            await fake.wait_until(lambda: len(fake.calls_to("setWebhook")) == 2, timeout=10)
            # Telegram knows one webhook URL; the "load balancer" hands every update to both workers.
            fake.set_webhook_mirrors([w.url for w in workers])
            yield fake, workers
        finally:
            logs = {w.name: stop_worker(w) for w in workers}
        for name, log in logs.items():
            assert "Traceback" not in log, f"{name} logged an error:\n{log[-4000:]}"
            assert fake.token not in log


def sent_to(fake: FakeTelegramAPI, chat_id: int, text: str = "") -> int:
    return len(
        fake.calls_to(
            "sendMessage", lambda p: int(p["chat_id"]) == chat_id and text in str(p.get("text", ""))
        )
    )


async def test_two_workers_exactly_once_and_fresh_index(
    cluster: tuple[FakeTelegramAPI, list[Worker]], service: ClaimService, shared_url: str
) -> None:
    fake, workers = cluster
    engine = "postgres" if shared_url.startswith("postgresql") else "sqlite"
    figures: dict[str, Any] = {"engine": engine}

    # 1. Every update reaches both workers; each is answered exactly once.
    users = list(range(5001, 5031))
    started = time.perf_counter()
    for n, user in enumerate(users):
        fake.private_message(user, NYC if n % 2 == 0 else f"{UNKNOWN} number {n}")
    await fake.wait_until(lambda: all(sent_to(fake, u) >= 1 for u in users), timeout=20)
    figures["answer_all_30_updates_s"] = round(time.perf_counter() - started, 2)
    await fake.wait_until(lambda: len(fake.webhook_deliveries) == 2 * len(users), timeout=10)
    assert {status for _, _, status in fake.webhook_deliveries} == {200}
    assert {url for url, _, _ in fake.webhook_deliveries} == {w.url for w in workers}
    await asyncio.sleep(1.0)  # a duplicate answer, if any, would have arrived by now
    assert {u: sent_to(fake, u) for u in users} == {u: 1 for u in users}
    async with httpx.AsyncClient() as client:
        handled = [
            metric(await w.metrics(client), 'claimbot_questions_total{platform="telegram"}') for w in workers
        ]
    assert sum(handled) == len(users)  # duplicates are not counted: each update handled by one worker
    figures["updates_handled_per_worker"] = handled

    # 2. 50 subscribers of one review item; approval notifies each exactly once across both workers.
    subscribers = list(range(7001, 7051))
    item_id = None
    for user in subscribers:
        fake.add_user(user)
        asker = Asker("telegram", str(user))
        outcome = service.ask(Question(UNKNOWN, asker, ChatRef("telegram", str(user)), event_key=f"s{user}"))
        assert outcome.kind is OutcomeKind.QUEUED and outcome.request_id is not None
        item_id = item_id or outcome.review_item_id
        assert outcome.review_item_id == item_id
        assert service.subscribe(asker, str(user), outcome.request_id)
    draft = service.write_verdict(
        CLI, item_id, "False", "The ferry company announced no free Sundays.", ["https://ferry.example/faq"]
    )
    started = time.perf_counter()
    approval = service.approve(CLI, item_id, draft.revision)
    assert approval.published and approval.notified == 50
    answered = "A moderator has answered"
    await fake.wait_until(lambda: all(sent_to(fake, u, answered) >= 1 for u in subscribers), timeout=20)
    figures["deliver_50_notifications_s"] = round(time.perf_counter() - started, 2)
    await asyncio.sleep(2 * OUTBOX_INTERVAL)  # another delivery round on each worker: still once
    assert {u: sent_to(fake, u, answered) for u in subscribers} == {u: 1 for u in subscribers}
    with Session(service.engine) as session:
        rows = session.exec(select(Notification).where(Notification.kind == "answer")).all()
    assert len(rows) == 50
    assert {(r.status, r.attempts) for r in rows} == {("delivered", 1)}  # each claimed by one worker, once

    # 3. A fact-check imported by another process reaches both workers' index without a restart.
    async with httpx.AsyncClient() as client:
        before = [metric(await w.metrics(client), "claimbot_fact_checks_indexed") for w in workers]
        record = FactCheckRecord(
            url="https://factcheck.example/gull-island-lighthouse",
            claim="The Gull Island lighthouse will be demolished in March",
            verdict=Verdict.FALSE,
            rating_text="False",
            title="Is the Gull Island lighthouse being demolished?",
            summary="The harbour trust renewed the lighthouse's listing; no demolition is planned.",
            publisher="Harbour Fact Desk",
            sources=[SourceRecord(1, "harbour.example", "https://harbour.example/l", "Listing renewal")],
        )
        imported = time.perf_counter()
        assert service.import_records([record]).added == 1
        delays = []
        for worker, count in zip(workers, before, strict=True):
            while metric(await worker.metrics(client), "claimbot_fact_checks_indexed") < count + 1:
                assert time.perf_counter() - imported < PATIENCE, f"{worker.name} never indexed the new one"
                await asyncio.sleep(0.01)
            delays.append(round(time.perf_counter() - imported, 3))
    figures["new_fact_check_indexed_after_s"] = delays
    fake.private_message(8001, "is the Gull Island lighthouse being demolished in March")
    await fake.wait_until(lambda: sent_to(fake, 8001, "no demolition is planned") == 1, timeout=10)

    # 4. A revision (new wording of the claim) answers the new phrasing within about a second.
    fact_check_id = service.search("gull island lighthouse demolished")[0].fact_check.id
    service.revise(
        CLI, fact_check_id, claim="The Gull Island lighthouse keeper's cottage will become a hotel"
    )
    revised = time.perf_counter()
    user = 8100
    while True:  # a new asker each time: a question is answered once, then remembered
        fake.private_message(user, "will the lighthouse keeper's cottage become a hotel")
        await fake.wait_until(lambda user=user: sent_to(fake, user) == 1, timeout=10)
        if sent_to(fake, user, "no demolition is planned"):
            break
        assert time.perf_counter() - revised < PATIENCE, "the revised wording never matched"
        user += 1
        await asyncio.sleep(0.05)
    figures["revised_fact_check_answered_after_s"] = round(time.perf_counter() - revised, 3)
    print(f"\nworkers figures: {figures}")


# A lease is renewed every third of it, so a renewal may be late by two thirds (1.3 s here) before
# another worker takes the notification over: a busy machine's stalls stay well inside that.
LEASE_SECONDS = 2.0
SLOW_SEND_SECONDS = 3.0  # every send outlives the lease by half, as sends to a rate-limited group do


async def test_two_workers_with_sends_slower_than_the_lease_send_each_answer_once(database_url: str) -> None:
    """Security issue 12: a notification is sent once even when each send takes longer than the lease.

    Two workers (a service, engine and Telegram adapter each: PTB's real HTTP stack and rate limiter)
    drain one outbox while the fake Bot API answers every sendMessage after more than the lease.
    """
    async with FakeTelegramAPI() as fake:
        settings = make_settings(
            database_url,
            CLAIMBOT_OUTBOX_LEASE_SECONDS=LEASE_SECONDS,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
        )
        workers = [await asyncio.to_thread(ClaimService.open, settings) for _ in range(2)]
        try:
            subscribers = list(range(7101, 7107))
            item_id = None
            for user in subscribers:
                fake.add_user(user)
                asker = Asker("telegram", str(user))
                question = Question(UNKNOWN, asker, ChatRef("telegram", str(user)), event_key=f"slow{user}")
                outcome = workers[0].ask(question)
                assert outcome.kind is OutcomeKind.QUEUED and outcome.request_id is not None
                item_id = item_id or outcome.review_item_id
                assert workers[0].subscribe(asker, str(user), outcome.request_id)
            draft = workers[0].write_verdict(
                CLI, item_id, "False", "No free Sundays.", ["https://ferry.example/f"]
            )
            fake.slow_down("sendMessage", SLOW_SEND_SECONDS)
            async with telegram_bot(workers[0]), telegram_bot(workers[1]):
                approval = await asyncio.to_thread(workers[0].approve, CLI, item_id, draft.revision)
                assert approval.published and approval.notified == len(subscribers)
                async with asyncio.timeout(120):
                    while await asyncio.to_thread(workers[1].outbox_backlog):
                        await asyncio.sleep(0.05)
            # Both adapters have stopped and finished the sends they had started: no more can come.
        finally:
            for worker in workers:
                worker.engine.dispose()
    answered = "A moderator has answered"
    assert {u: sent_to(fake, u, answered) for u in subscribers} == {u: 1 for u in subscribers}


class _NoMessenger:
    platform = "telegram"

    async def send(self, target: str, reply: Any) -> None:  # pragma: no cover - nothing is queued
        raise AssertionError("nothing to send")

    async def edit(self, chat_id: str, message_id: str, reply: Any) -> None:  # pragma: no cover
        raise AssertionError("nothing to edit")

    async def send_review(self, target: str, review: Any) -> None:  # pragma: no cover
        raise AssertionError("nothing to review")


@pytest.mark.postgres
async def test_listen_notify_refreshes_the_index_without_polling(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader polls once at start and then not for an hour: only NOTIFY can bring a change in."""
    # A channel of this test's own: tests running in parallel on the same database notify the usual
    # one, and their notifications must not refresh this reader.
    channel = f"claimbot_factchecks_{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(bot.service, "FACT_CHECKS_CHANNEL", channel)
    monkeypatch.setattr(bot.delivery, "FACT_CHECKS_CHANNEL", channel)
    writer = await asyncio.to_thread(ClaimService.open, make_settings(postgres_url))
    reader = await asyncio.to_thread(ClaimService.open, make_settings(postgres_url))
    refreshes: list[int] = []
    refresh = reader.refresh_index

    def counted_refresh() -> int:
        refreshes.append(refresh())
        return refreshes[-1]

    reader.refresh_index = counted_refresh  # type: ignore[method-assign]
    stop = asyncio.Event()
    loop = asyncio.create_task(run_outbox(reader, _NoMessenger(), stop, interval=3600))
    try:
        # The polling loop's first look, and the listener's look right after its LISTEN: from now on
        # the index changes only when a notification arrives.
        await eventually(lambda: len(refreshes) >= 2, "the first poll and the LISTEN")
        before = len(reader.matcher)
        record = FactCheckRecord(
            url="https://factcheck.example/notify",
            claim="The old tram depot will reopen as a skate park",
            verdict=Verdict.MISLEADING,
            rating_text="Misleading",
            summary="Only part of the depot is planned for leisure use.",
        )
        started = time.perf_counter()
        await asyncio.to_thread(writer.import_records, [record])
        await eventually(lambda: len(reader.matcher) >= before + 1, "NOTIFY reaching the listener")
        delay = time.perf_counter() - started
        print(f"\nLISTEN/NOTIFY index freshness: {delay * 1000:.0f} ms")
        outcome = reader.evaluate("will the old tram depot become a skate park")
        assert outcome[1] and outcome[1][0].fact_check.url == record.url
    finally:
        stop.set()
        await loop
        writer.engine.dispose()
        reader.engine.dispose()


@pytest.mark.postgres
def test_two_moderators_approving_one_item_publish_it_once(postgres_url: str) -> None:
    """Workers of two moderators approve the same verdict at once: the item row lock lets one win."""
    import threading

    services = [ClaimService.open(make_settings(postgres_url)) for _ in range(2)]
    try:
        asker = Asker("telegram", "9001")
        outcome = services[0].ask(Question(UNKNOWN, asker, ChatRef("telegram", "9001"), event_key="a1"))
        assert outcome.review_item_id is not None and outcome.request_id is not None
        services[0].subscribe(asker, "9001", outcome.request_id)
        item = outcome.review_item_id
        draft = services[0].write_verdict(
            CLI, item, "False", "No free Sundays.", ["https://ferry.example/faq"]
        )
        barrier = threading.Barrier(2)
        results: list[Any] = []

        def approve(service: ClaimService, moderator: str) -> None:
            barrier.wait()
            try:
                results.append(service.approve(Actor("cli", moderator), item, draft.revision))
            except Exception as exc:  # noqa: BLE001 - collected and checked below
                results.append(exc)

        threads = [threading.Thread(target=approve, args=(s, f"m{n}")) for n, s in enumerate(services)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        published = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(published) == 1 and published[0].published and published[0].notified == 1
        assert len(refused) == 1 and "already answered" in str(refused[0])
    finally:
        for service in services:
            service.engine.dispose()
