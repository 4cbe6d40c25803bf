"""Issue 14 items 3 and 5 in chat: links and unrated fact-checks on Telegram and Discord (fake servers,
real client stacks), and moderators rating an unrated fact-check there."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.importers import read_records
from bot.replies import RELATED_HEADLINE
from bot.service import ClaimService
from tests.adapter_harness import both_settings, discord_bot, discord_reply, telegram_bot
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.publisher_site import PublisherSite
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_discord import embed_text, moderator
from tests.test_links import NYC_TITLE, OBAMA, REVIEW_URL, TENCC, checkthat_rows, claimreview_file, og_page
from tests.test_telegram import MOD_CHAT, MODERATOR

USER = 1001
TENCC_LINK = "https://www.snopes.com/fact-check/10cc/"
TENCC_QUESTION = "was the band 10cc named for the amount of semen in an average ejaculation"


def to(chat_id: int, *parts: str) -> Any:
    return lambda p: int(p.get("chat_id", 0)) == chat_id and all(part in str(p.get("text")) for part in parts)


def urls(params: dict[str, Any]) -> list[str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("url", "") for row in rows for b in row]


async def test_links_and_unrated_fact_checks_in_telegram_and_discord(tmp_path: Path) -> None:
    with PublisherSite() as site:
        page = site.page("/news/ice.html", og_page(NYC_TITLE))
        async with FakeTelegramAPI(max_poll_wait=0.3) as tg:
            dc = await FakeDiscord().start()
            tg.add_chat(MOD_CHAT, "supergroup", "Moderators")
            settings = both_settings(
                tmp_path,
                tg,
                dc,
                CLAIMBOT_HTTP_ALLOW_HOSTS="127.0.0.1",
                CLAIMBOT_HTTP_DEADLINE=3,
                CLAIMBOT_QUESTIONS_PER_MINUTE=1000,
            )
            service = await asyncio.to_thread(ClaimService.open, settings)
            for path in (
                claimreview_file(tmp_path),
                checkthat_rows(tmp_path, OBAMA, TENCC, page_url={TENCC: TENCC_LINK}),
            ):
                await asyncio.to_thread(service.import_records, list(read_records(path)))
            try:
                async with telegram_bot(service, rate_limiter=False), discord_bot(dc, service, tmp_path):
                    await _telegram(tg, service, page)
                    await _discord(dc, service, page)
            finally:
                await dc.close()
                service.engine.dispose()
    assert service.open_review_count() == 0


async def _telegram(tg: FakeTelegramAPI, service: ClaimService, page: str) -> None:
    tg.private_message(USER, REVIEW_URL.replace("https://", "https://www.") + "?utm_source=telegram")
    call = await tg.wait_for("sendMessage", to(USER, "You linked this fact-check:"))
    assert "<b>❌ False</b>" in call.params["text"]

    tg.private_message(USER, f"{page}?fbclid=1")
    call = await tg.wait_for("sendMessage", to(USER, "The page you linked says “Did a NYC cop"))
    assert "<b>❌ False</b>" in call.params["text"]

    tg.private_message(USER, "https://example.invalid/nothing")
    call = await tg.wait_for("sendMessage", to(USER, "I couldn't read the page you linked"))

    tg.private_message(USER, TENCC_QUESTION)
    call = await tg.wait_for("sendMessage", to(USER, RELATED_HEADLINE))
    text = call.params["text"]
    assert "<i>Fact-check: How 10cc Got Their Name</i>" in text and "not named for the amount" in text
    assert "Unrated" not in text and "📄" not in text
    assert TENCC_LINK in urls(call.params)

    fact_check = next(c for c in service.published() if c.url == f"checkthat:{OBAMA}").id
    tg.private_message(USER, f"/rate {fact_check} False")
    await tg.wait_for("sendMessage", to(USER, "only this community's moderators"))
    tg.private_message(MODERATOR, f"/rate {fact_check} False")
    await tg.wait_for("sendMessage", to(MODERATOR, f"Fact-check #{fact_check} is now rated ❌ False"))
    log = await asyncio.to_thread(service.audit_log)
    assert {(e.action, e.allowed, e.actor) for e in log if e.action == "rate"} == {
        ("rate", False, f"telegram:{USER}"),
        ("rate", True, f"telegram:{MODERATOR}"),
    }


async def _discord(dc: FakeDiscord, service: ClaimService, page: str) -> None:
    body = await discord_reply(
        dc, dc.slash("check", {"question": "http://m.factdesk.example/fact-check/harbour-bridge-cyclists"})
    )
    embed = body["data"]["embeds"][0]
    assert embed["title"] == "❌ False" and embed["description"].startswith("*You linked this fact-check:*")

    body = await discord_reply(dc, dc.slash("check", {"question": page}))
    embed = body["data"]["embeds"][0]
    assert embed["title"] == "❌ False" and "The page you linked says" in embed["description"]

    body = await discord_reply(dc, dc.slash("check", {"question": TENCC_QUESTION}))
    embed = body["data"]["embeds"][0]
    text = embed_text(embed)
    assert embed["title"] == RELATED_HEADLINE and embed.get("url") == TENCC_LINK
    assert "How 10cc Got Their Name" in text and "Unrated" not in text and "📄" not in text

    tencc = next(c for c in service.published() if c.url == TENCC_LINK).id
    refused = await discord_reply(
        dc, dc.slash("review", {"fact_check": tencc, "verdict": "False"}, subcommand="rate")
    )
    assert "only this community's moderators" in str(refused["data"])
    rated = await discord_reply(
        dc, dc.slash("review", {"fact_check": tencc, "verdict": "False"}, subcommand="rate", **moderator(dc))
    )
    assert f"Fact-check #{tencc} is now rated ❌ False" in rated["data"]["content"]
