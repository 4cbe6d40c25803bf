"""Telegram: /factchecks, the moderators' catalogue search (issue 14, item 11), through the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.service import ClaimService
from tests import test_telegram
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram import MOD_CHAT, MODERATOR, UNKNOWN, USER, data_of, has_text, to_chat

# test_telegram.py's fixtures: the fake Bot API, a service on each engine, the adapter polling it.
fake, service, polling = test_telegram.fake, test_telegram.service, test_telegram.polling


async def test_factchecks_search_in_reply_to_a_review_item_offers_link_buttons(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    fake.private_message(USER, UNKNOWN)
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT))
    item = int(data_of(review.params, "mr:")[0].split(":")[1])

    # Not in reply to anything: the results and their ids, no buttons.
    mark = len(fake.calls)
    fake.group_message(MOD_CHAT, MODERATOR, "/factchecks 5G covid")
    plain = await fake.wait_for("sendMessage", has_text("Fact-checks for “5G covid”"), since=mark)
    assert (
        "5G mobile networks spread COVID-19" in plain.params["text"] and "score 0.9" in plain.params["text"]
    )
    assert "bleach" not in plain.params["text"].lower()
    assert data_of(plain.params, "ml:") == []

    # In reply to the review item's message: a Link button per published result.
    mark = len(fake.calls)
    fake.group_message(
        MOD_CHAT, MODERATOR, "/factchecks NYC cop ICE agent", reply_to=review.result["message_id"]
    )
    found = await fake.wait_for("sendMessage", has_text("Fact-checks for", "answer review item"), since=mark)
    links = data_of(found.params, "ml:")
    assert links and all(link.startswith(f"ml:{item}:") for link in links)
    fact_check = int(links[0].split(":")[2])
    assert f"#{fact_check} " in found.params["text"]

    mark = len(fake.calls)
    fake.callback(MODERATOR, MOD_CHAT, found.result["message_id"], links[0])
    await fake.wait_for("sendMessage", has_text(f"Linked #{item} to fact-check #{fact_check}"), since=mark)
    linked = await asyncio.to_thread(service.review_for_delivery, item)
    assert linked.status == "answered" and linked.fact_check.id == fact_check


async def test_factchecks_search_is_for_moderators_and_says_how_to_use_it(
    fake: FakeTelegramAPI, service: ClaimService, polling: Any
) -> None:
    fake.private_message(555, "/factchecks 5G")
    refused = await fake.wait_for("sendMessage", to_chat(555))
    assert "only this community's moderators" in refused.params["text"]
    assert any(
        e.actor == "telegram:555" and e.action == "factchecks" and not e.allowed for e in service.audit_log()
    )
    mark = len(fake.calls)
    fake.group_message(MOD_CHAT, MODERATOR, "/factchecks")
    usage = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), since=mark)
    assert "Usage: /factchecks" in usage.params["text"]
    mark = len(fake.calls)
    fake.group_message(MOD_CHAT, MODERATOR, "/factchecks zeppelins over narnia")
    none = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), since=mark)
    assert "No fact-check found for “zeppelins over narnia”" in none.params["text"]
