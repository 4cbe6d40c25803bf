"""`/console` in chat: the real python-telegram-bot and discord.py clients against the loopback fakes
hand a moderator a single-use link that signs the console in as them; anyone else is refused, audited.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adapters.web import build_app
from bot.service import ClaimService
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_discord import moderator, running  # noqa: F401 (a fixture)
from tests.test_telegram import GROUP, MOD_CHAT, MODERATOR, bot, telegram_settings, to_chat
from tests.test_web import SECRET, csrf_of

CONSOLE = {
    "CLAIMBOT_CONSOLE_SECRET": SECRET,
    "CLAIMBOT_CONSOLE_URL": "http://testserver",
    "CLAIMBOT_SEMANTIC": False,
}
LINK = re.compile(r"http://testserver/signin\?token=[A-Za-z0-9_%-]+")


def signs_in_as(service: ClaimService, url: str) -> str:
    """Open the link in a fresh browser session and press Sign in; the identity the console then shows."""
    with TestClient(
        build_app(service, service.settings, follow_index=False), follow_redirects=False
    ) as client:
        page = client.get(url)
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
        signed = client.post("/signin", data={"csrftoken": csrf_of(page.text), "token": token})
        assert signed.status_code == 303, signed.text
        return re.search(r'class="who">([^<]+)<', client.get("/queue").text).group(1)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(max_poll_wait=0.3) as server:
        server.add_chat(MOD_CHAT, "supergroup", "Moderators")
        server.add_chat(GROUP, "supergroup", "Town square")
        yield server


@pytest.fixture
def service(tmp_path: Path, fake: FakeTelegramAPI) -> Iterator[ClaimService]:
    svc = ClaimService.open(telegram_settings(tmp_path, fake, **CONSOLE))
    yield svc
    svc.engine.dispose()


async def test_telegram_console_link(fake: FakeTelegramAPI, service: ClaimService) -> None:
    async with bot(service):
        fake.private_message(MODERATOR, "/console")
        sent = await fake.wait_for("sendMessage", to_chat(MODERATOR))
        (url,) = set(LINK.findall(sent.params["text"]))
        assert "works once" in sent.params["text"]
        # In a group the link would be anyone's: it is never posted there.
        mark = len(fake.calls)
        fake.group_message(MOD_CHAT, MODERATOR, "/console")
        refusal = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), since=mark)
        assert "private chat" in refusal.params["text"] and not LINK.search(refusal.params["text"])
        # Not a moderator: refused, audited, no link.
        mark = len(fake.calls)
        fake.private_message(555, "/console")
        refused = await fake.wait_for("sendMessage", to_chat(555), since=mark)
        assert "only this community's moderators" in refused.params["text"]
        assert not LINK.search(refused.params["text"])
    assert signs_in_as(service, url) == f"telegram:{MODERATOR}"
    refusals = [e for e in service.audit_log() if e.action == "console_link" and not e.allowed]
    assert [e.actor for e in refusals] == ["telegram:555"]


async def test_discord_console_link(tmp_path: Path) -> None:
    async with running(tmp_path, **CONSOLE) as harness:
        fake = harness.fake
        body = await harness.interact(fake.slash("console", **moderator(fake)))
        data = body["data"]
        assert data["flags"] & 64  # ephemeral: only the moderator sees the link
        (url,) = LINK.findall(data["content"])
        refused = await harness.interact(fake.slash("console"))
        assert "only this community's moderators" in refused["data"]["content"]
        assert not LINK.search(refused["data"]["content"])
        assert signs_in_as(harness.service, url) == f"discord:{fake.moderator_id}"
        refusals = [e for e in harness.service.audit_log() if e.action == "console_link" and not e.allowed]
        assert len(refusals) == 1
