"""The worker's HTTP server (adapters/http_server.py): /healthz, Prometheus /metrics, Telegram webhook."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update

from adapters.http_server import METRICS_CONTENT_TYPE, serving
from adapters.telegram import build_application, running
from bot.config import Settings
from bot.domain import Asker, ChatRef, Question
from bot.service import ClaimService
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegramAPI

NYC = "did a NYC cop arrest an ICE agent"
UNKNOWN = "the moon was sold to a pizza chain last tuesday"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ask(service: ClaimService, text: str, user: str) -> Any:
    return service.ask(
        Question(text, Asker("telegram", user), ChatRef("telegram", user), event_key=f"e-{user}")
    )


def metric(body: str, name: str) -> float:
    """The value of one sample line (name with its labels, exactly as exposed)."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name} not in metrics:\n{body}"
    return float(match.group(1))


@pytest.fixture
def service(database_url: str) -> Iterator[ClaimService]:
    """A service on both engines whose new review items are announced to a moderators' chat."""
    svc = ClaimService.open(make_settings(database_url, TELEGRAM_MODERATOR_CHAT=-100))
    yield svc
    svc.engine.dispose()


async def test_healthz_and_metrics(service: ClaimService) -> None:
    port = free_port()
    await asyncio.to_thread(ask, service, NYC, "1")
    await asyncio.to_thread(ask, service, NYC, "2")
    await asyncio.to_thread(ask, service, UNKNOWN, "3")
    async with serving(service, "127.0.0.1", port), httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert (health.status_code, health.text.strip()) == (200, "ok")
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == METRICS_CONTENT_TYPE
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        body = response.text
        assert metric(body, 'claimbot_questions_total{platform="telegram"}') == 3
        assert metric(body, 'claimbot_outcomes_total{platform="telegram",outcome="answer"}') == 2
        assert metric(body, 'claimbot_outcomes_total{platform="telegram",outcome="queued"}') == 1
        assert "# TYPE claimbot_ask_seconds histogram" in body
        assert metric(body, 'claimbot_ask_seconds_bucket{le="+Inf"}') == 3
        assert metric(body, "claimbot_ask_seconds_count") == 3
        assert metric(body, "claimbot_review_queue_length") == 1
        assert metric(body, "claimbot_notification_backlog") == 1  # the new item, for the moderators
        assert metric(body, "claimbot_fact_checks_indexed") > 0
        # Every sample line is "name{labels} number": a scraper would accept the whole page.
        for line in body.splitlines():
            assert line.startswith("#") or re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line), line
        missing = await client.get(f"http://127.0.0.1:{port}/telegram")
        assert missing.status_code in (404, 405)  # no webhook route without an application


async def test_healthz_fails_when_the_database_does_not_answer(
    service: ClaimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()

    def broken() -> bool:
        raise ConnectionError("database is down")

    monkeypatch.setattr(service, "healthy", broken)
    monkeypatch.setattr(service, "outbox_backlog", broken)
    async with serving(service, "127.0.0.1", port), httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{port}/healthz")
        metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert health.status_code == 503 and metrics.status_code == 503


def telegram_settings(database_url: str, fake: FakeTelegramAPI, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "CLAIMBOT_DATABASE_URL": database_url,
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        # Issue 14: the tests written before "ask before queueing" keep automatic queueing.
        "CLAIMBOT_AUTO_QUEUE": True,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


async def test_webhook_route_checks_the_secret_and_queues_updates(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as fake:
        settings = telegram_settings(f"sqlite:///{tmp_path / 'h.db'}", fake)
        service = ClaimService.open(settings, load_index=False)
        application = build_application(service, settings)
        port = free_port()
        url = f"http://127.0.0.1:{port}/hook/path"
        update = {"update_id": 77, "message": fake.build_message(5, 5, NYC, chat_type="private")}
        try:
            async with (
                serving(
                    service,
                    "127.0.0.1",
                    port,
                    application=application,
                    url_path="/hook/path",
                    secret_token="s",
                ),
                httpx.AsyncClient() as client,
            ):
                wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
                missing = await client.post(url, json=update)
                assert (wrong.status_code, missing.status_code) == (403, 403)
                assert application.update_queue.empty()
                bad = await client.post(
                    url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": "s"}
                )
                assert bad.status_code == 400
                right = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s"})
                assert right.status_code == 200
                queued = application.update_queue.get_nowait()
                assert isinstance(queued, Update) and queued.update_id == 77
                assert queued.effective_message is not None and queued.effective_message.text == NYC
                # A malformed update is acknowledged (Telegram would redeliver it forever) and dropped.
                garbled = {"update_id": 78, "message": {"message_id": "x"}}
                dropped = await client.post(
                    url, json=garbled, headers={"X-Telegram-Bot-Api-Secret-Token": "s"}
                )
                assert dropped.status_code == 200 and application.update_queue.empty()
                assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        finally:
            service.engine.dispose()


async def test_telegram_webhook_worker_serves_healthz_and_metrics(database_url: str) -> None:
    """The real adapter in webhook mode: one port takes updates and answers health and metrics scrapes."""
    async with FakeTelegramAPI() as fake:
        settings = telegram_settings(database_url, fake, TELEGRAM_WEBHOOK_SECRET="s3cret")
        service = await asyncio.to_thread(ClaimService.open, settings)
        port = free_port()
        application = build_application(service, settings)
        try:
            async with running(
                application, service, settings, webhook_url=f"http://127.0.0.1:{port}/tg", port=port
            ):
                hook = await fake.wait_for("setWebhook")
                assert hook.params["secret_token"] == "s3cret"
                fake.private_message(11, NYC)
                fake.private_message(12, UNKNOWN)
                await fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 11)
                await fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 12)
                assert fake.webhook_responses == [200, 200]
                async with httpx.AsyncClient() as client:
                    assert (await client.get(f"http://127.0.0.1:{port}/healthz")).text.strip() == "ok"
                    body = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                assert metric(body, 'claimbot_questions_total{platform="telegram"}') == 2
                assert metric(body, 'claimbot_outcomes_total{platform="telegram",outcome="answer"}') == 1
                assert metric(body, "claimbot_review_queue_length") == 1
        finally:
            service.engine.dispose()


async def test_polling_worker_serves_metrics_on_metrics_port(tmp_path: Path) -> None:
    async with FakeTelegramAPI(max_poll_wait=0.3) as fake:
        metrics_port = free_port()
        settings = telegram_settings(
            f"sqlite:///{tmp_path / 'p.db'}",
            fake,
            CLAIMBOT_METRICS_PORT=metrics_port,
            CLAIMBOT_METRICS_LISTEN="127.0.0.1",
        )
        service = await asyncio.to_thread(ClaimService.open, settings)
        application = build_application(service, settings)
        try:
            async with running(application, service, settings, poll_timeout=1):
                fake.private_message(11, NYC)
                await fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 11)
                async with httpx.AsyncClient() as client:
                    health = await client.get(f"http://127.0.0.1:{metrics_port}/healthz")
                    body = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
                assert health.status_code == 200
                assert metric(body, 'claimbot_questions_total{platform="telegram"}') == 1
            with pytest.raises(httpx.ConnectError):  # closed with the worker
                httpx.get(f"http://127.0.0.1:{metrics_port}/healthz")
        finally:
            service.engine.dispose()
