"""End-to-end tests of the Telegram adapter: python-telegram-bot's real HTTP stack against a fake Bot API.

Every test starts a fake server on 127.0.0.1, a fresh service on SQLite and on PostgreSQL (the
`database_url` fixture), and the adapter (long polling, or webhook where said), then drives it with
updates and asserts on the Bot API calls it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.telegram import build_application, running
from adapters.telegram.render import MAX_TEXT, parse_callback, render_draft, render_html, render_review
from bot.config import Settings
from bot.domain import FactCheckCard, SourceLink
from bot.replies import REFUSALS, compose_answer
from bot.service import ClaimService
from tests.factories import fact_check_card
from tests.fakes.telegram_api import FakeTelegramAPI, parse_html, utf16_len

NYC = "did a NYC cop arrest an ICE agent"
UNKNOWN = "aliens landed in paris yesterday and opened a bakery"
VAGUE = "vaccine"
USER, OTHER, ADMIN = 1001, 1002, 1003
MODERATOR, MOD_CHAT = 42, -100
GROUP = -2001
ROOT = Path(__file__).resolve().parents[1]


def telegram_settings(tmp_path: Path, fake: FakeTelegramAPI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_MODERATORS": str(MODERATOR),
        "TELEGRAM_MODERATOR_CHAT": MOD_CHAT,
        # Issue 14: the tests written before "ask before queueing" keep automatic queueing.
        "CLAIMBOT_AUTO_QUEUE": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(max_poll_wait=0.3) as server:
        server.add_chat(MOD_CHAT, "supergroup", "Moderators")
        server.add_chat(GROUP, "supergroup", "Town square")
        yield server


@pytest.fixture
def service(tmp_path: Path, fake: FakeTelegramAPI, database_url: str) -> Iterator[ClaimService]:
    svc = ClaimService.open(telegram_settings(tmp_path, fake, CLAIMBOT_DATABASE_URL=database_url))
    yield svc
    svc.engine.dispose()


@contextlib.asynccontextmanager
async def bot(service: ClaimService, **kw: Any) -> AsyncIterator[Any]:
    application = build_application(
        service, service.settings, concurrent_updates=kw.pop("concurrent_updates", 8)
    )
    async with running(
        application, service, service.settings, outbox_interval=0.1, poll_timeout=1, **kw
    ) as app:
        yield app


@pytest.fixture
async def polling(service: ClaimService) -> AsyncIterator[Any]:
    async with bot(service) as app:
        yield app


def to_chat(chat_id: int):  # noqa: ANN201 - a predicate on call params
    return lambda p: int(p.get("chat_id", 0)) == chat_id


def has_text(*parts: str):  # noqa: ANN201
    return lambda p: all(part in str(p.get("text", "")) for part in parts)


def buttons(params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b for row in rows for b in row]


def data_of(params: dict[str, Any], prefix: str) -> list[str]:
    return [b["callback_data"] for b in buttons(params) if str(b.get("callback_data", "")).startswith(prefix)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------ rendering


def card(**changes: Any) -> FactCheckCard:
    return fact_check_card(
        **{
            "id": 7,
            "url": "https://factcheck.example/nyc",
            "claim": "A <b>cop</b> arrested an ICE agent & more",
            "title": "t",
            "summary": "Summary",
            "checked_at": None,
            "sources": (SourceLink("AFP", "https://afp.example/a?x=1&y=2", 1),),
        }
        | changes
    )


def test_render_escapes_and_links() -> None:
    text, markup = render_html(compose_answer(card(), "Be careful <always>", request_id=5))
    plain, entities = parse_html(text)  # the fake parses exactly like Telegram's HTML mode, or raises
    assert "A <b>cop</b> arrested" in plain and "Be careful <always>" in plain
    assert any(e["type"] == "text_link" and e["url"] == "https://afp.example/a?x=1&y=2" for e in entities)
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]
    assert data == ["n:5", "s:5", "v:5:1", "v:5:2"]  # issue 14: 👍 / 👎 under every answer
    assert markup.inline_keyboard[0][0].url == "https://factcheck.example/nyc"


def test_render_trims_to_4096_after_parsing_and_keeps_tags_balanced() -> None:
    long = "word & <tag> " * 2000 + "🙂" * 500
    text, _ = render_html(compose_answer(card(summary=long, claim="c" * 300), "disclaimer stays"))
    plain, _ = parse_html(text)
    assert utf16_len(plain) <= MAX_TEXT
    assert "disclaimer stays" in plain and "False" in plain and "…" in plain


def test_callback_data_is_validated() -> None:
    assert parse_callback("c:12:7") == ("c", (12, 7))
    assert parse_callback("ml:3:9") == ("ml", (3, 9))
    assert parse_callback("ma:3:2") == ("ma", (3, 2))  # review item, draft revision shown
    assert parse_callback("ma:3") == ("ma", (3,))  # posted before approvals named a revision
    for bad in (None, "", "c:12", "x:1", "n:abc", "n:1:2", "c:1:2;drop", "n:" + "9" * 70):
        assert parse_callback(bad) is None


def test_review_buttons_fit_callback_limit() -> None:
    from datetime import datetime

    from bot.domain import Candidate, ReviewSummary

    now = datetime(2026, 2, 2)
    review = ReviewSummary(10**15, "x" * 5000, "open", 3, now, now, 1, (Candidate(card(id=10**15), 0.5),))
    text, markup = render_review(review)
    draft_text, approve = render_draft(
        10**18, card(id=10**18, revision=10**18, summary="s" * 5000), "x" * 300
    )
    assert utf16_len(parse_html(draft_text)[0]) <= MAX_TEXT
    assert utf16_len(parse_html(text)[0]) <= MAX_TEXT
    for row in [*markup.inline_keyboard, *approve.inline_keyboard]:
        for button in row:
            assert len(button.callback_data.encode()) <= 64


# ------------------------------------------------------------------------------------------ private chats


async def test_dm_answer(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER), ok=True)
    p = call.params
    assert p["parse_mode"] == "HTML"
    assert "False" in p["text"] and "February 2, 2026" in p["text"] and "AFP" in p["text"]
    assert service.settings.disclaimer in p["text"] and "Sources:</b>\n1. AFP" in p["text"]
    # Issue 14: the starter fact-check has no report URL, so "Full report" shows it in chat; 👍 / 👎 rate it.
    labels = ["Full report", "Not what I asked", "Notify me of updates", "👍", "👎"]
    assert [b["text"] for b in buttons(p)] == labels
    message_id = call.result["message_id"]
    await fake.wait_until(lambda: service.sent_reply("telegram", str(USER), str(message_id)) is not None)


async def test_start_help_and_forget(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(USER, "/start")
    call = await fake.wait_for("sendMessage", to_chat(USER))
    assert call.params["text"].count("\n") == 2 and "/check" in call.params["text"]
    fake.private_message(USER, NYC)
    answer = await fake.wait_for("sendMessage", has_text("February 2, 2026"))
    # /forget racing the adapter's record of that answer fails on PostgreSQL (see the issue 7 report).
    sent = answer.result["message_id"]
    await fake.wait_until(lambda: service.sent_reply("telegram", str(USER), str(sent)) is not None)
    fake.private_message(USER, "/forget")
    call = await fake.wait_for("sendMessage", has_text("deleted"))
    assert "1 stored record" in call.params["text"]


async def test_suggestion_and_choice(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(USER, VAGUE)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    choices = data_of(call.params, "c:")
    assert 1 <= len(choices) <= 3 and data_of(call.params, "n:")
    message_id = call.result["message_id"]
    # Someone else pressing the asker's button is refused politely.
    fake.callback(OTHER, USER, message_id, choices[0])
    refused = await fake.wait_for("answerCallbackQuery", lambda p: "Only the person" in str(p.get("text")))
    assert refused.params.get("show_alert") is True
    fake.callback(USER, USER, message_id, choices[0])
    edit = await fake.wait_for("editMessageText", to_chat(USER), ok=True)
    assert edit.params["message_id"] == message_id and "Checked on" in edit.params["text"]
    await fake.wait_until(lambda: service.sent_reply("telegram", str(USER), str(message_id)) is not None)


async def test_garbled_callback_is_ignored_politely(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    fake.callback(USER, USER, call.result["message_id"], "c:1:2:3';--")
    answer = await fake.wait_for("answerCallbackQuery")
    assert "no longer works" in answer.params["text"]


async def test_queue_and_notify_me(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(USER, UNKNOWN)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    assert "reviewers" in call.params["text"]
    (notify,) = data_of(call.params, "s:")
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    assert "New question for review" in review.params["text"] and data_of(review.params, "mr:")
    # Someone else sending the same button data (request ids are sequential) is refused and audited.
    mark = len(fake.calls)
    fake.callback(OTHER, USER, call.result["message_id"], notify)
    refused = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "Only the person who asked" in refused.params["text"] and refused.params.get("show_alert")
    assert any(e.actor == f"telegram:{OTHER}" and e.action == "subscribe" for e in service.audit_log())
    mark = len(fake.calls)
    fake.callback(USER, USER, call.result["message_id"], notify)
    answer = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "notify you" in answer.params["text"]


async def test_not_what_i_asked_queues(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    (not_it,) = data_of(call.params, "n:")
    fake.callback(USER, USER, call.result["message_id"], not_it)
    queued = await fake.wait_for("sendMessage", has_text("reviewers"), since=call.index + 1)
    assert data_of(queued.params, "s:")
    await fake.wait_for("sendMessage", to_chat(MOD_CHAT))


async def test_throttled_asker_gets_friendly_refusal(
    tmp_path: Path, fake: FakeTelegramAPI, database_url: str
) -> None:
    settings = telegram_settings(
        tmp_path, fake, CLAIMBOT_QUESTIONS_PER_MINUTE=2, CLAIMBOT_DATABASE_URL=database_url
    )
    svc = ClaimService.open(settings)
    async with bot(svc, concurrent_updates=1):
        for _ in range(3):
            fake.private_message(USER, NYC)
        await fake.wait_for("sendMessage", has_text(REFUSALS["throttled"]))
    svc.engine.dispose()


# ------------------------------------------------------------------------------------------ groups


async def test_group_check_reply_mention_and_silence(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.group_message(GROUP, USER, "lunch at noon? " + NYC)  # chatter, even about a known claim
    fake.group_message(GROUP, OTHER, "/check " + NYC)
    first = await fake.wait_for("sendMessage", to_chat(GROUP))
    assert "February 2, 2026" in first.params["text"] and first.params["reply_parameters"]["message_id"] == 2

    fake.group_message(GROUP, USER, NYC)  # message 4 (the answer was message 3)
    fake.group_message(GROUP, ADMIN, "/check@claimcheck_bot", reply_to=4)
    second = await fake.wait_for("sendMessage", to_chat(GROUP), since=first.index + 1)
    assert "February 2, 2026" in second.params["text"]

    fake.group_message(GROUP, 1004, f"@{fake.bot_username} {NYC}")
    third = await fake.wait_for("sendMessage", to_chat(GROUP), since=second.index + 1)
    assert "February 2, 2026" in third.params["text"]
    fake.group_message(GROUP, 1005, "@someone_else " + NYC)
    fake.group_message(GROUP, 1006, "/check")
    usage = await fake.wait_for("sendMessage", to_chat(GROUP), since=third.index + 1)
    assert "Send /check followed by a claim" in usage.params["text"]
    assert len(fake.calls_to("sendMessage", to_chat(GROUP))) == 4  # chatter and other mentions: silence


async def _group_answer(fake: FakeTelegramAPI) -> int:
    fake.group_message(GROUP, USER, "/check " + NYC)
    call = await fake.wait_for("sendMessage", has_text("February 2, 2026"))
    return call.result["message_id"]


async def test_pin_without_and_with_rights(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    answer_id = await _group_answer(fake)
    await fake.wait_until(lambda: service.sent_reply("telegram", str(GROUP), str(answer_id)) is not None)
    fake.set_member(GROUP, ADMIN, "administrator", can_pin_messages=True)

    fake.group_message(GROUP, OTHER, "/pin", reply_to=answer_id)  # an ordinary member
    await fake.wait_for("sendMessage", has_text("only this group's admins"))

    mark = len(fake.calls)
    fake.group_message(GROUP, ADMIN, "/pin", reply_to=answer_id)
    failed = await fake.wait_for("pinChatMessage", since=mark)
    assert not failed.ok
    await fake.wait_for("sendMessage", has_text("Pin messages"), since=mark)

    fake.set_bot_can_pin(GROUP)
    mark = len(fake.calls)
    fake.group_message(GROUP, ADMIN, "/pin", reply_to=answer_id)
    await fake.wait_for("pinChatMessage", ok=True, since=mark)
    assert fake.pinned(GROUP) == [answer_id]
    await fake.wait_until(lambda: service.sent_reply("telegram", str(GROUP), str(answer_id)).pinned)


# ------------------------------------------------------------------------------------------ moderators


async def pinned_answer_and_awaited_item(fake: FakeTelegramAPI, service: ClaimService) -> tuple[int, int]:
    """A moderator flow's start: an answer pinned in the group (for a revision to edit) and a queued
    claim whose asker asked to hear the verdict. Returns (the answer's message id, the review item)."""
    answer_id = await _group_answer(fake)
    # The adapter records where the answer went just after Telegram accepted it: wait for that.
    await fake.wait_until(lambda: service.sent_reply("telegram", str(GROUP), str(answer_id)) is not None)
    fake.set_bot_can_pin(GROUP)
    fake.set_member(GROUP, ADMIN, "creator")
    fake.group_message(GROUP, ADMIN, "/pin", reply_to=answer_id)
    await fake.wait_for("pinChatMessage", ok=True)
    fake.private_message(USER, UNKNOWN)
    queued = await fake.wait_for("sendMessage", to_chat(USER))
    fake.callback(USER, USER, queued.result["message_id"], data_of(queued.params, "s:")[0])
    await fake.wait_for("answerCallbackQuery", has_text("notify you"))
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    return answer_id, int(data_of(review.params, "mr:")[0].split(":")[1])


async def test_moderator_flow_end_to_end(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    answer_id, item = await pinned_answer_and_awaited_item(fake, service)

    fake.group_message(MOD_CHAT, MODERATOR, "/queue")
    listing = await fake.wait_for("sendMessage", has_text(f"#{item}", "Open review items"))
    assert "aliens" in listing.params["text"]
    fake.group_message(
        MOD_CHAT,
        MODERATOR,
        f"/verdict {item} False | No aliens opened a bakery. | https://example.org/aliens",
    )
    drafted = await fake.wait_for("sendMessage", has_text("Drafted", "No aliens opened a bakery."))
    assert data_of(drafted.params, "ma:") == [f"ma:{item}:1"]
    # /approve without a revision shows the draft; the revision seen is what gets published.
    fake.group_message(MOD_CHAT, MODERATOR, f"/approve {item}")
    await fake.wait_for("sendMessage", has_text("revision 1", f"/approve {item} 1", "No aliens opened"))
    fake.group_message(MOD_CHAT, MODERATOR, f"/approve {item} 1")
    await fake.wait_for("sendMessage", has_text("Published", "notifying 1 subscriber"))

    notified = await fake.wait_for("sendMessage", has_text("A moderator has answered"))
    assert to_chat(USER)(notified.params) and "No aliens opened a bakery." in notified.params["text"]

    # The now-published fact-check answers the same question directly.
    fake.private_message(OTHER, UNKNOWN)
    await fake.wait_for("sendMessage", lambda p: to_chat(OTHER)(p) and "No aliens" in p["text"])

    # Revising the pinned fact-check edits the pinned message in place, buttons kept.
    fc_id = service.sent_reply("telegram", str(GROUP), str(answer_id)).fact_check_id
    fake.group_message(MOD_CHAT, MODERATOR, f"/revise {fc_id} Misleading | The arrest story was garbled.")
    edit = await fake.wait_for("editMessageText", to_chat(GROUP), ok=True)
    assert edit.params["message_id"] == answer_id and "Updated" in edit.params["text"]
    assert "Misleading" in edit.params["text"] and data_of(edit.params, "n:")
    assert fake.pinned(GROUP) == [answer_id]
    assert "Updated" in fake.message(GROUP, answer_id)["text"]


async def test_approve_button_publishes_only_the_draft_the_moderator_saw(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    fake.private_message(USER, UNKNOWN)
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    item = int(data_of(review.params, "mr:")[0].split(":")[1])
    fake.group_message(
        MOD_CHAT, MODERATOR, f"/verdict {item} False | No bakery was opened. | https://e.org/a"
    )
    seen = await fake.wait_for("sendMessage", has_text("Drafted"))
    (button,) = data_of(seen.params, "ma:")
    # The draft is rewritten after the moderator looked at it; the old button must not publish the new text.
    mark = len(fake.calls)
    fake.group_message(MOD_CHAT, MODERATOR, f"/verdict {item} True | Aliens run it now. | https://e.org/b")
    rewritten = await fake.wait_for("sendMessage", has_text("Drafted"), since=mark)
    mark = len(fake.calls)
    fake.callback(MODERATOR, MOD_CHAT, seen.result["message_id"], button)
    alert = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "changed since you saw it" in alert.params["text"] and alert.params.get("show_alert") is True
    # Each draft message shows what its button approves.
    assert "No bakery was opened." in seen.params["text"] and "Aliens run it now." in rewritten.params["text"]
    fresh = await fake.wait_for("sendMessage", has_text("revision 2", "Aliens run it now."), since=mark)
    assert data_of(fresh.params, "ma:") == data_of(rewritten.params, "ma:") == [f"ma:{item}:2"]
    assert (await asyncio.to_thread(service.review_for_delivery, item)).status == "drafted"
    mark = len(fake.calls)
    fake.callback(MODERATOR, MOD_CHAT, fresh.result["message_id"], f"ma:{item}:2")
    await fake.wait_for("sendMessage", has_text("Published"), since=mark)
    published = await asyncio.to_thread(service.review_for_delivery, item)
    assert published.status == "answered" and published.fact_check.summary == "Aliens run it now."


async def test_moderator_buttons_and_chat_admins(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    # Issue 14: a card offers a one-tap link only to fact-checks above the suggest floor, and an
    # unrelated claim has none; a vague question whose suggestions the asker turned down has some.
    fake.private_message(USER, VAGUE)
    suggestions = await fake.wait_for("sendMessage", to_chat(USER))
    (none_of_these,) = data_of(suggestions.params, "n:")
    fake.callback(USER, USER, suggestions.result["message_id"], none_of_these)
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    links = data_of(review.params, "ml:")
    assert links, review.params
    review_id = review.result["message_id"]
    # An ordinary user pressing the moderators' button is refused and audited.
    fake.add_user(777)
    fake.callback(777, MOD_CHAT, review_id, links[0])
    await fake.wait_for("answerCallbackQuery", has_text("only this community's moderators"))
    # An admin of the moderators' chat is a moderator (checked with getChatMember).
    fake.set_member(MOD_CHAT, 778, "administrator")
    fake.add_user(778)
    fake.callback(778, MOD_CHAT, review_id, links[0])
    await fake.wait_for("sendMessage", has_text("Linked #"))
    assert fake.calls_to("getChatMember", lambda p: int(p["user_id"]) == 778)
    assert any(not e.allowed and e.actor == "telegram:777" for e in service.audit_log())


async def test_non_moderator_is_refused(fake: FakeTelegramAPI, service: ClaimService, polling: Any) -> None:
    fake.private_message(555, "/approve 1")
    call = await fake.wait_for("sendMessage", to_chat(555))
    assert "only this community's moderators" in call.params["text"]
    fake.group_message(GROUP, 556, "/reject 1 spam")
    await fake.wait_for("sendMessage", has_text("only this community's moderators"), since=call.index + 1)
    refusals = [e for e in service.audit_log() if not e.allowed]
    assert {e.actor for e in refusals} == {"telegram:555", "telegram:556"}
    assert fake.calls_to("getChatMember", lambda p: int(p["chat_id"]) == MOD_CHAT)


# ------------------------------------------------------------------------------------------ inline mode


async def test_inline_query(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.inline_query(USER, "nyc cop arrested ice agent")
    call = await fake.wait_for("answerInlineQuery", ok=True)
    results = call.params["results"]
    assert 1 <= len(results) <= 5
    top = results[0]
    assert top["type"] == "article" and "False" in top["title"]
    content = top["input_message_content"]
    assert content["parse_mode"] == "HTML" and "February 2, 2026" in content["message_text"]
    fake.inline_query(USER, "   ")
    empty = await fake.wait_for("answerInlineQuery", since=call.index + 1)
    assert empty.params["results"] == []


# ------------------------------------------------------------------------------------------ webhook


async def test_webhook_secret_and_duplicates(
    tmp_path: Path, fake: FakeTelegramAPI, database_url: str
) -> None:
    settings = telegram_settings(
        tmp_path, fake, TELEGRAM_WEBHOOK_SECRET="s3cret", CLAIMBOT_DATABASE_URL=database_url
    )
    svc = ClaimService.open(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with bot(svc, webhook_url=url, listen="127.0.0.1", port=port):
        hook = await fake.wait_for("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret"
        # The fake delivers like Telegram: POST with the secret header.
        fake.private_message(USER, NYC)
        await fake.wait_for("sendMessage", has_text("February 2, 2026"))
        assert fake.webhook_responses == [200]

        update = {"update_id": 9000, "message": fake.build_message(OTHER, OTHER, NYC, chat_type="private")}
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            missing = await client.post(url, json=update)
            assert (wrong.status_code, missing.status_code) == (403, 403)
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            first = await client.post(url, json=update, headers=right)
            second = await client.post(url, json=update, headers=right)  # Telegram redelivering
            assert (first.status_code, second.status_code) == (200, 200)
        await fake.wait_for("sendMessage", to_chat(OTHER))
        fake.private_message(1004, NYC)  # a later update: when it is answered, the duplicate was handled
        await fake.wait_for("sendMessage", to_chat(1004))
        assert len(fake.calls_to("sendMessage", to_chat(OTHER))) == 1
    svc.engine.dispose()


# ------------------------------------------------------------------------------------------ robustness


async def test_duplicate_update_is_answered_once(fake: FakeTelegramAPI, service: ClaimService) -> None:
    async with bot(service, concurrent_updates=1):
        update = {"message": fake.build_message(USER, USER, NYC, chat_type="private")}
        update_id = fake.push_update(update)
        fake.push_update({**update, "update_id": update_id})
        fake.private_message(OTHER, NYC)
        await fake.wait_for("sendMessage", to_chat(OTHER))
        assert len(fake.calls_to("sendMessage", to_chat(USER))) == 1


async def test_429_then_success(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER), ok=True, timeout=6)
    attempts = fake.calls_to("sendMessage", to_chat(USER))
    assert [c.ok for c in attempts] == [False, True]
    assert call.at - attempts[0].at >= 1.0  # waited retry_after


async def test_malformed_update_is_skipped(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.push_raw(
        {"update_id": fake.next_update_id(), "message": {"message_id": 1, "text": "no chat, no date"}}
    )
    fake.push_raw({"update_id": fake.next_update_id(), "brand_new_update_type": {"x": 1}})
    fake.private_message(USER, NYC)
    await fake.wait_for("sendMessage", to_chat(USER), ok=True)
    fake.private_message(OTHER, NYC)  # still polling, with the offset moved past the bad update
    await fake.wait_for("sendMessage", to_chat(OTHER), ok=True)


async def test_blocked_user_deleted_message_and_migrated_chat(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.add_user(USER)
    fake.block(USER)
    fake.private_message(USER, NYC)
    blocked = await fake.wait_for("sendMessage", to_chat(USER))
    assert not blocked.ok and "blocked" in (blocked.error or "")

    fake.migrate_chat(-3001, -1003001)
    fake.group_message(-3001, OTHER, "/check " + NYC)
    migrated = await fake.wait_for("sendMessage", to_chat(-3001))
    assert not migrated.ok

    # A /check whose message is deleted before the answer: answered without the quote.
    update_id = fake.group_message(GROUP, ADMIN, "/check " + NYC)
    fake.delete_message(GROUP, fake.chats[GROUP].next_message_id - 1)
    answered = await fake.wait_for("sendMessage", to_chat(GROUP), ok=True)
    assert answered.params["reply_parameters"]["allow_sending_without_reply"] is True
    assert update_id

    fake.private_message(OTHER, NYC)  # the bot kept running
    await fake.wait_for("sendMessage", to_chat(OTHER), ok=True)


async def test_outbox_edit_of_deleted_message_is_dead_lettered(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    answer_id = await _group_answer(fake)
    await fake.wait_until(lambda: service.sent_reply("telegram", str(GROUP), str(answer_id)) is not None)
    fake.delete_message(GROUP, answer_id)
    from bot.domain import Actor

    await asyncio.to_thread(service.revise, Actor("cli", "test"), 1, summary="Revised after new reporting.")
    edit = await fake.wait_for("editMessageText", to_chat(GROUP))
    assert not edit.ok
    await fake.wait_until(lambda: service.outbox_backlog() == 0, timeout=5)


# ------------------------------------------------------------------------------------------ acceptance


async def test_claimbot_serve_telegram_command(tmp_path: Path, fake: FakeTelegramAPI) -> None:
    """`claimbot serve telegram` as an operator starts it, against the fake server."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "telegram"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await fake.wait_for("getUpdates", timeout=30)
        fake.private_message(USER, NYC)
        call = await fake.wait_for("sendMessage", to_chat(USER), timeout=15)
        p = call.params
        assert p["parse_mode"] == "HTML" and "False" in p["text"] and "February 2, 2026" in p["text"]
        assert "ClaimBot can make mistakes" in p["text"] and "1. AFP" in p["text"] and buttons(p)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.to_thread(process.communicate, timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert fake.token not in stderr.decode()


async def test_unexpected_error_is_logged_and_moderators_told(fake: FakeTelegramAPI, polling: Any) -> None:
    fake.fail_next("sendMessage", 500, "Internal Server Error", predicate=to_chat(USER))
    fake.private_message(USER, NYC)
    alert = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    assert "failed on update" in alert.params["text"] and fake.token not in alert.params["text"]
    fake.private_message(OTHER, NYC)  # and the bot keeps answering
    await fake.wait_for("sendMessage", to_chat(OTHER), ok=True)


# ------------------------------------------- issue 14: was this helpful? the full report in chat


async def test_votes_on_an_answer_and_why_not(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    votes = data_of(call.params, "v:")
    assert [b["text"] for b in buttons(call.params) if b.get("callback_data") in votes] == ["👍", "👎"]
    message_id = call.result["message_id"]
    mark = len(fake.calls)
    fake.callback(OTHER, USER, message_id, votes[1])  # a vote on someone else's answer
    refused = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "Only the person who asked" in refused.params["text"]
    fake.callback(USER, USER, message_id, votes[1])
    why = await fake.wait_for("sendMessage", has_text("What was wrong"))
    reasons = data_of(why.params, "w:")
    assert [b["text"] for b in buttons(why.params)] == ["Wrong claim", "Outdated", "Other"]
    fake.callback(USER, USER, why.result["message_id"], reasons[0])
    await fake.wait_for("editMessageText", has_text("won't give that answer"))
    await fake.wait_for("sendMessage", to_chat(MOD_CHAT))  # the question went to the reviewers
    mark = len(fake.calls)
    fake.callback(USER, USER, message_id, votes[0].rsplit(":", 1)[0] + ":9")  # forged vote code
    forged = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "not valid" in forged.params["text"]


async def test_full_report_pages_and_follow_up(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    from bot.importers import read_records

    fake.private_message(USER, NYC)
    call = await fake.wait_for("sendMessage", to_chat(USER))
    (starter,) = data_of(call.params, "r:")
    assert buttons(call.params)[0]["text"] == "Full report"  # the starter card has no page to link
    message_id = call.result["message_id"]
    fake.callback(USER, USER, message_id, starter)
    page = await fake.wait_for("sendMessage", has_text("Full report (1/1)"))
    assert "Sources" in page.params["text"]
    mark = len(fake.calls)
    fake.callback(USER, USER, message_id, starter.rsplit(":", 1)[0] + ":99")  # a page out of range
    bad = await fake.wait_for("answerCallbackQuery", since=mark)
    assert "doesn't exist" in bad.params["text"]
    # A report import keeps its sections: pages within 4,096 characters, follow-ups on the last one.
    await asyncio.to_thread(
        service.import_records, list(read_records(ROOT / "tests/data/importers/seed_report.txt"))
    )
    seed = max(card.id for card in service.published())
    mark = len(fake.calls)
    fake.callback(USER, USER, message_id, f"r:{seed}:1")
    first = await fake.wait_for("sendMessage", has_text("Full report (1/"), since=mark)
    text, _entities = parse_html(first.params["text"])
    assert utf16_len(text) <= MAX_TEXT and "1. What the viral clip actually was" in text and "[1]" in text
    (following,) = data_of(first.params, "r:")
    fake.callback(USER, USER, first.result["message_id"], following)
    last = await fake.wait_for("editMessageText", has_text("Full report (2/2)"))
    assert "Want" not in last.params["text"] and "AFP" in last.params["text"]
    questions = data_of(last.params, "fu:")
    assert len(questions) == 3
    mark = len(fake.calls)
    fake.callback(OTHER, USER, first.result["message_id"], questions[1])  # asked as the presser
    asked = await fake.wait_for("sendMessage", to_chat(USER), since=mark)
    assert (
        "reviewers" in asked.params["text"]
        or "Checked on" in asked.params["text"]
        or "one of these" in asked.params["text"]
    )


# ------------------------------------------------------------------------------ languages (issue 14)

SPANISH_UNKNOWN = "¿Es verdad que los extraterrestres abrieron ayer una panadería en el centro de París?"


async def test_replies_follow_the_app_language_and_the_questions(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    from bot import i18n

    await asyncio.to_thread(i18n.warm_up)  # the detector's first load is not what this test waits on
    fake.add_user(USER)["language_code"] = "de"
    fake.private_message(USER, "/start")
    call = await fake.wait_for("sendMessage", to_chat(USER))
    assert "Ich prüfe Behauptungen" in call.params["text"] and "<i>" in call.params["text"]
    # A Spanish question from a German-UI user: the text wins, and so do its buttons.
    fake.private_message(USER, SPANISH_UNKNOWN)
    queued = await fake.wait_for("sendMessage", has_text("Todavía no tengo una verificación"))
    assert [b["text"] for b in buttons(queued.params)] == ["Avisarme"]
    # An English question from the same user is answered in English; a too-short one in German.
    fake.private_message(USER, NYC)
    answer = await fake.wait_for("sendMessage", has_text("February 2, 2026"))
    assert "Not what I asked" in [b["text"] for b in buttons(answer.params)]
    fake.private_message(USER, "??")  # no claim in it: chit-chat, in the app's language
    chat = await fake.wait_for("sendMessage", has_text("darin habe ich keine Behauptung gefunden"))
    assert "Hat ein New Yorker Polizist einen ICE-Beamten festgenommen?" in chat.params["text"]
    fake.add_user(OTHER)["language_code"] = "zh-hans"  # no catalog: English
    fake.private_message(OTHER, "/start")
    hello = await fake.wait_for("sendMessage", to_chat(OTHER))
    assert "I check claims against published" in hello.params["text"]
