"""Secrets and privacy: tokens never reach a log record or an error message; askers are stored hashed.

The adapters run through the real HTTP stacks (PTB on httpx, discord.py on aiohttp) against the fakes
with every transport logger forced to DEBUG (as if an operator ran with -v and a library ignored our
WARNING levels), including error paths: 500 and 404 answers, and a token the server rejects (401).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import inspect, text

from adapters.telegram import build_application, running
from bot.service import ClaimService
from tests.adapter_harness import DISCORD_TOKEN, TELEGRAM_TOKEN, both_settings, discord_bot, discord_reply
from tests.fakes import patient
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import GROUP, MOD_CHAT, NYC

LOUD = ("httpx", "httpcore", "telegram", "discord", "aiohttp", "asyncio")


@pytest.fixture
def debug_everything(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Any:
    """Root and every transport logger at DEBUG, and kept there even when the adapters lower them."""
    original = logging.Logger.setLevel

    def keep_debug(self: logging.Logger, level: int | str) -> None:
        original(self, logging.DEBUG if self.name.startswith(LOUD) else level)

    monkeypatch.setattr(logging.Logger, "setLevel", keep_debug)
    caplog.set_level(logging.DEBUG)
    for name in LOUD:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaked(caplog: pytest.LogCaptureFixture, secret: str) -> list[str]:
    found = []
    formatter = logging.Formatter("%(name)s %(message)s")  # what any handler would print, traceback too
    for record in caplog.records:
        message = formatter.format(record)
        if secret in message:
            found.append(f"{record.name}: {message[:300]}")
    return found


def error_text(exc: BaseException) -> str:
    """An exception as an operator would see it: message, repr, chained causes and the traceback."""
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.__cause__) + repr(exc.__context__)


async def test_telegram_token_never_logged_even_at_debug(tmp_path: Path, debug_everything: Any) -> None:
    caplog = debug_everything
    async with FakeTelegramAPI(token=TELEGRAM_TOKEN, max_poll_wait=0.3) as tg:
        tg.add_chat(MOD_CHAT, "supergroup", "Moderators")
        dc = await FakeDiscord().start()
        settings = both_settings(tmp_path, tg, dc)
        service = await asyncio.to_thread(ClaimService.open, settings)
        try:
            application = build_application(service, settings, rate_limiter=False)
            async with running(application, service, settings, outbox_interval=0.1, poll_timeout=1):
                tg.private_message(1001, NYC)
                await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 1001, ok=True)
                # Error paths: the server fails, a chat is gone.
                tg.fail_next("sendMessage", 500, "Internal Server Error")
                tg.fail_next("sendMessage", 404, "Not Found")
                for user in (1002, 1003, 1004):
                    tg.private_message(user, NYC)
                await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 1004)
                await asyncio.sleep(0.3)
            assert any(r.name.startswith("httpx") for r in caplog.records), "httpx really logged at DEBUG"
            assert not leaked(caplog, TELEGRAM_TOKEN)

            # A token the server rejects (401 on getMe): the error names the problem, not the token.
            async with FakeTelegramAPI(token="111:another-token") as other:
                rejected = both_settings(tmp_path, other, dc, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN)
                application = build_application(service, rejected, rate_limiter=False)
                with pytest.raises(Exception) as raised:
                    async with running(application, service, rejected, poll_timeout=1):
                        pass
            assert TELEGRAM_TOKEN not in error_text(raised.value)
            assert "token" in str(raised.value).lower()
            assert not leaked(caplog, TELEGRAM_TOKEN)
        finally:
            await dc.close()
            service.engine.dispose()


async def test_discord_token_never_logged_even_at_debug(tmp_path: Path, debug_everything: Any) -> None:
    caplog = debug_everything
    async with FakeTelegramAPI() as tg:
        dc = await FakeDiscord().start()
        settings = both_settings(tmp_path, tg, dc)
        service = await asyncio.to_thread(ClaimService.open, settings)
        try:
            async with discord_bot(dc, service, tmp_path):
                await discord_reply(dc, dc.slash("check", {"question": NYC}))
                dc.fail("POST", r"/interactions/\d+/[^/]+/callback", 500, times=1)
                dc.fail("POST", r"/channels/\d+/messages", 404, times=3)
                payload = dc.slash("check", {"question": "the bridge was sold for one dollar"})
                await dc.interact(payload)
                await asyncio.sleep(1.0)
            assert any(r.name.startswith("discord") for r in caplog.records), "discord.py really logged"
            assert not leaked(caplog, DISCORD_TOKEN)

            # A token Discord rejects (401 on login).
            dc.fail("GET", r"/users/@me", 401, times=1, body={"message": "401: Unauthorized", "code": 0})
            from adapters import discord as adapter

            # The login's own error, not a timeout: a busy machine must not pass this by being slow.
            with pytest.raises(discord.LoginFailure) as raised:
                await asyncio.wait_for(adapter.serve(service, settings, state_dir=tmp_path), patient(10))
            assert DISCORD_TOKEN not in error_text(raised.value)
            assert not leaked(caplog, DISCORD_TOKEN)
        finally:
            await dc.close()
            service.engine.dispose()


def _all_text(service: ClaimService) -> dict[str, list[str]]:
    """Every stored text value, by "table.column"."""
    found: dict[str, list[str]] = {}
    inspector = inspect(service.engine)
    with service.engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                name = column["name"]
                rows = connection.execute(text(f'SELECT "{name}" FROM "{table}"')).scalars().all()
                found[f"{table}.{name}"] = [str(v) for v in rows if v is not None]
    return found


async def test_askers_are_stored_as_salted_hashes(tmp_path: Path) -> None:
    tg_user, tg_dm_user = 7_777_123_456, 8_888_123_456
    async with FakeTelegramAPI(max_poll_wait=0.3) as tg:
        tg.add_chat(GROUP, "supergroup", "Town square")
        dc = await FakeDiscord().start()
        settings = both_settings(tmp_path, tg, dc)
        service = await asyncio.to_thread(ClaimService.open, settings)
        member = dc.snowflake()
        try:
            application = build_application(service, settings, rate_limiter=False)
            async with (
                running(application, service, settings, outbox_interval=0.1, poll_timeout=1),
                discord_bot(dc, service, tmp_path),
            ):
                tg.add_user(tg_user, first_name="Zelda", username="zelda_private")
                tg.group_message(GROUP, tg_user, "/check " + NYC)
                tg.group_message(GROUP, tg_user, "/check the museum was sold to a hedge fund")
                tg.private_message(tg_dm_user, NYC)
                await tg.wait_for("sendMessage", lambda p: int(p["chat_id"]) == tg_dm_user)
                for question in (NYC, "the museum was sold to a hedge fund"):
                    payload = dc.slash("check", {"question": question}, user_id=member)
                    payload["member"]["user"].update(username="zelda_discord", global_name="zelda_discord")
                    await discord_reply(dc, payload)
                await asyncio.sleep(0.3)
            stored = await asyncio.to_thread(_all_text, service)
        finally:
            await dc.close()
            service.engine.dispose()

    hashes = set(stored["request.asker_hash"])
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)
    for secret in (str(tg_user), member, "zelda_private", "Zelda", "zelda_discord"):
        where = [column for column, values in stored.items() if any(secret in v for v in values)]
        assert where == [], f"{secret} stored in {where}"
    # A private chat's id is the person's id: kept only where needed to reply.
    where = {column for column, values in stored.items() if any(str(tg_dm_user) in v for v in values)}
    assert where <= {"request.chat_id", "request.reply_to", "sentreply.chat_id"}, where
