"""Discord: /review search, the moderators' catalogue search (issue 14, item 11), through the fake Discord."""

from __future__ import annotations

import asyncio

from tests import test_discord
from tests.test_discord import UNKNOWN, Harness, custom_ids, moderator

# test_discord.py's fixture: the fake Discord with the adapter connected, on each engine.
bot = test_discord.bot


async def test_review_search_finds_by_words_and_links_the_item_named(bot: Harness) -> None:
    fake, mod = bot.fake, moderator(bot.fake)
    await bot.interact(fake.slash("check", {"question": UNKNOWN}))
    review_post = await fake.wait_call("POST", rf"/channels/{fake.review_channel_id}/messages")
    item = int(review_post.json["embeds"][0]["title"].rsplit("#", 1)[1])

    plain = await bot.interact(fake.slash("review", {"query": "5G covid"}, subcommand="search", **mod))
    (embed,) = plain["data"]["embeds"]
    assert (
        embed["title"] == "Fact-checks for “5G covid”" and plain["data"]["flags"] & 64
    )  # only the moderator
    assert (
        "5G mobile networks spread COVID-19" in embed["description"] and "score 0.9" in embed["description"]
    )
    assert "bleach" not in embed["description"].lower()
    assert not plain["data"].get("components")

    payload = fake.slash("review", {"query": "NYC cop ICE agent", "item": item}, subcommand="search", **mod)
    found = await bot.interact(payload)
    links = [i for i in custom_ids(found["data"]["components"]) if i.startswith("cb:ml:")]
    assert links and all(i.startswith(f"cb:ml:{item}:") for i in links)
    fact_check = int(links[0].rsplit(":", 1)[1])
    assert f"**#{fact_check}**" in found["data"]["embeds"][0]["description"]
    linked = await bot.interact(fake.button(links[0], message=bot.message(payload["id"]), **mod))
    assert f"Item #{item} answered with fact-check #{fact_check}" in linked["data"]["content"]
    summary = await asyncio.to_thread(bot.service.review_for_delivery, item)
    assert summary.status == "answered" and summary.fact_check.id == fact_check


async def test_review_search_is_refused_to_members_and_says_when_nothing_is_found(bot: Harness) -> None:
    fake = bot.fake
    refused = await bot.interact(fake.slash("review", {"query": "5G"}, subcommand="search"))
    assert "only this community's moderators" in refused["data"]["content"]
    log = await asyncio.to_thread(bot.service.audit_log)
    assert any(e.action == "factchecks" and not e.allowed for e in log)
    none = await bot.interact(
        fake.slash("review", {"query": "zeppelins over narnia"}, subcommand="search", **moderator(fake))
    )
    assert "No fact-check found for “zeppelins over narnia”" in none["data"]["embeds"][0]["description"]
