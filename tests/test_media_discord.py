"""Photos and videos in Discord (issue 16): discord.py's real stack reads attachments from the fake's CDN
(the "Fact-check this" menu's message, /check's `attachment` option) and the core checks them; the
review channel shows a queued photo from its attachment URL. Then both adapters on one service: the
same picture forwarded on Telegram and on Discord is one review item, asked twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.service import ClaimService
from tests.adapter_harness import both_settings, discord_bot, discord_reply, telegram_bot
from tests.fakes import patient
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.media_factory import IMAGE_TRANSFORMS, cropped, encode, reencoded, scene, transcode, video
from tests.test_discord import Harness, embed_text, running
from tests.test_media_telegram import AI_PHOTO, EDITOR, NYC_ICE, known, photo_sizes, reply_to
from tests.test_telegram import MOD_CHAT, USER, to_chat

REVIEW_POST = r"/channels/{}/messages"


@pytest.fixture
async def dc(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(tmp_path) as harness:
        yield harness


def first_embed(reply: dict[str, Any]) -> str:
    return embed_text((reply["data"].get("embeds") or [{}])[0])


def posted_by(harness: Harness) -> dict[str, Any]:
    return harness.fake.user(harness.fake.snowflake(), "poster")


async def test_fact_check_this_on_a_known_photo_answers_with_what_it_is(dc: Harness) -> None:
    fake, service = dc.fake, dc.service
    original = scene(21)
    await asyncio.to_thread(known, service, encode(original))
    copy = fake.attachment(encode(cropped(reencoded(original, 40), 0.04)), "forward.jpg", "image/jpeg")
    target = fake.message(fake.general_id, content="", author=posted_by(dc), attachments=[copy])
    reply = await discord_reply(fake, fake.context_menu("Fact-check this", target), timeout=20)
    assert AI_PHOTO in first_embed(reply) and "False" in first_embed(reply)
    assert len(fake.downloads) == 1 and copy["url"].split("/attachments/")[1].startswith(fake.downloads[0])


async def test_check_with_an_attachment_option_checks_a_video(dc: Harness) -> None:
    fake, service = dc.fake, dc.service
    clip = video(6, seconds=8)
    await asyncio.to_thread(known, service, clip)
    upload = fake.attachment(transcode(clip, start=1.0, end=7.0, size=(240, 180)), "clip.mp4", "video/mp4")
    reply = await discord_reply(fake, fake.slash("check", {"attachment": upload}), timeout=20)
    assert "This video has been manipulated or generated" in first_embed(reply)


async def test_too_big_or_not_a_picture_is_refused_before_any_download(dc: Harness) -> None:
    fake = dc.fake
    huge = fake.attachment(encode(scene(22)), "huge.jpg", "image/jpeg", size=300 * 2**20)
    refused = await dc.interact(fake.slash("check", {"attachment": huge}))
    assert refused["type"] == 4 and refused["data"]["flags"] & 64  # ephemeral, at once
    assert "That file is too large for me to check: the limit is 20 MB." in refused["data"]["content"]
    notes = fake.attachment(b"%PDF-1.7", "notes.pdf", "application/pdf")
    target = fake.message(fake.general_id, content=NYC_ICE, author=posted_by(dc), attachments=[notes])
    answer = await dc.interact(fake.context_menu("Fact-check this", target))
    text = embed_text(answer["data"]["embeds"][0])  # its words are still a question, said to be so
    assert "I can check photos (JPEG, PNG" in text and "I checked the words sent with it instead." in text
    assert "False" in text
    usage = await dc.interact(fake.slash("check", {}))
    assert "Send /check with a claim, a photo or a video" in usage["data"]["content"]
    assert fake.downloads == []


async def test_a_queued_photo_is_shown_in_the_review_channel_from_its_attachment(dc: Harness) -> None:
    fake = dc.fake
    photo = fake.attachment(encode(scene(23)), "seen.jpg", "image/jpeg")
    target = fake.message(fake.general_id, content="is this real?", author=posted_by(dc), attachments=[photo])
    reply = await discord_reply(fake, fake.context_menu("Fact-check this", target), timeout=20)
    assert "reviewers" in first_embed(reply)
    post = await fake.wait_call("POST", REVIEW_POST.format(fake.review_channel_id))
    embed = post.json["embeds"][0]
    assert embed["image"]["url"] == photo["url"]  # the attachment URL: nothing re-uploaded or kept
    assert "Photo" in embed_text(embed) and "is this real?" in embed_text(embed)
    assert "1×" in embed_text(embed)
    clip = fake.attachment(video(7, seconds=4), "clip.mp4", "video/mp4")
    await discord_reply(fake, fake.slash("check", {"attachment": clip}), timeout=20)
    posts = REVIEW_POST.format(fake.review_channel_id)
    await fake.wait_for(lambda c: c.matches("POST", posts) and c.json.get("content") == clip["url"], 10)


# ------------------------------------------------------------------ both platforms, one review item


@contextlib.asynccontextmanager
async def both(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[FakeTelegramAPI, FakeDiscord, ClaimService]]:
    async with FakeTelegramAPI(max_poll_wait=0.3) as tg:
        dc = await FakeDiscord().start()
        tg.add_chat(MOD_CHAT, "supergroup", "Moderators")
        service = await asyncio.to_thread(
            ClaimService.open, both_settings(tmp_path, tg, dc, CLAIMBOT_DATABASE_URL=database_url)
        )
        try:
            async with telegram_bot(service), discord_bot(dc, service, tmp_path):
                yield tg, dc, service
        finally:
            await dc.close()
            service.engine.dispose()


async def test_one_picture_forwarded_on_both_platforms_is_one_item_asked_twice(
    tmp_path: Path, database_url: str
) -> None:
    picture = scene(24)
    async with both(tmp_path, database_url) as (tg, dc, service):
        upload = dc.attachment(encode(reencoded(picture, 60)), "viral.jpg", "image/jpeg")
        target = dc.message(
            dc.general_id, content="", author=dc.user(dc.snowflake(), "p"), attachments=[upload]
        )
        first = await discord_reply(dc, dc.context_menu("Fact-check this", target), timeout=20)
        assert "reviewers" in first_embed(first)
        # Telegram's moderators are sent the Discord photo by its URL (Telegram fetches it).
        sent = await tg.wait_for("sendPhoto", to_chat(MOD_CHAT), ok=True, timeout=10)
        assert sent.params["photo"] == upload["url"]
        review = await tg.wait_for("sendMessage", to_chat(MOD_CHAT), ok=True)
        assert "Photo sent on Discord, shown above." in review.params["text"]
        assert review.params["reply_parameters"]["message_id"] == sent.result["message_id"]

        tg.private_media(USER, photo=photo_sizes(tg, IMAGE_TRANSFORMS["screenshot"](picture)), forwarded=True)
        assert "sent it to our reviewers" in await reply_to(tg, USER)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patient(10)
        while (items := await asyncio.to_thread(service.queue, EDITOR)) and items[0].ask_count < 2:
            assert loop.time() < deadline, items
            await asyncio.sleep(0.05)
        [item] = items
        assert item.ask_count == 2 and item.media is not None and item.media.platform == "discord"


async def test_review_link_attach_media_attaches_the_items_photo(dc: Harness) -> None:
    from tests.test_discord import moderator
    from tests.test_media_telegram import NOT_A_REAL_ARREST

    fake, service = dc.fake, dc.service
    picture = scene(24)
    photo = fake.attachment(encode(picture), "viral.jpg", "image/jpeg")
    target = fake.message(fake.general_id, content="", author=posted_by(dc), attachments=[photo])
    await discord_reply(fake, fake.context_menu("Fact-check this", target), timeout=20)
    post = await fake.wait_call("POST", REVIEW_POST.format(fake.review_channel_id))
    item = int(post.json["embeds"][0]["title"].rsplit("#", 1)[1])
    fact_check = service.search(NYC_ICE)[0].fact_check.id
    mod = moderator(fake)
    link = {"item": item, "fact_check": fact_check, "media_description": NOT_A_REAL_ARREST}
    refused = await dc.interact(fake.slash("review", link, subcommand="link", **mod))
    assert "media_description goes with attach_media" in refused["data"]["content"]
    assert service.review_for_delivery(item).status == "open"
    command = fake.slash("review", {**link, "attach_media": "transformed"}, subcommand="link", **mod)
    command["locale"] = "fr"
    done = await dc.interact(command)
    assert f"Item #{item} answered with fact-check #{fact_check}" in done["data"]["content"]
    assert "transformé : généré par IA ou deepfake" in done["data"]["content"]
    copy = fake.attachment(
        encode(IMAGE_TRANSFORMS["screenshot"](reencoded(picture, 50))), "c.jpg", "image/jpeg"
    )
    answer = await discord_reply(fake, fake.slash("check", {"attachment": copy}), timeout=20)
    assert AI_PHOTO in first_embed(answer)


async def test_the_review_commands_offer_the_media_kinds(dc: Harness) -> None:
    """As synced to Discord: an optional choice of the kinds as the CLI names them."""
    review = next(c for cs in dc.fake.commands.values() for c in cs if c["name"] == "review")
    for name in ("link", "approve"):
        sub = next(o for o in review["options"] if o["name"] == name)
        attach = next(o for o in sub["options"] if o["name"] == "attach_media")
        assert [c["value"] for c in attach["choices"]][:3] == ["original", "out-of-context", "edited"]
        assert not attach.get("required")
