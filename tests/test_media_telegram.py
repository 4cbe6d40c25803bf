"""Photos and videos in Telegram (issue 16): python-telegram-bot's real stack fetches the files from the
fake Bot API (getFile, then /file/bot<token>/<path>) and the core checks them; moderators are shown a
queued photo by a copy of the asker's message.

SQLite only: the core's media path runs on PostgreSQL in tests/test_media.py and, with both adapters,
in tests/test_media_discord.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import adapters.media
from adapters.telegram import build_application, running
from bot.domain import Actor, Authenticity, MediaFile
from bot.media.ocr import ocr_available
from bot.service import ClaimService
from tests.adapter_harness import LoopMonitor, LoopThreadCalls
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.media_factory import IMAGE_TRANSFORMS, cropped, encode, reencoded, resized, scene, transcode, video
from tests.test_telegram import (
    ADMIN,
    GROUP,
    MOD_CHAT,
    MODERATOR,
    OTHER,
    USER,
    has_text,
    telegram_settings,
    to_chat,
)

EDITOR = Actor("cli", "editor")
NOT_A_REAL_ARREST = "it does not show a real arrest"
NYC_ICE = "did a NYC cop arrest an ICE agent"
AI_PHOTO = "This photo has been manipulated or generated (for example by AI): it does not show a real arrest."


@contextlib.asynccontextmanager
async def telegram(tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[FakeTelegramAPI, ClaimService]]:
    async with FakeTelegramAPI(max_poll_wait=0.3) as fake:
        fake.add_chat(MOD_CHAT, "supergroup", "Moderators")
        fake.add_chat(GROUP, "supergroup", "Town square")
        service = ClaimService.open(telegram_settings(tmp_path, fake, **settings))
        application = build_application(service, service.settings)
        try:
            async with running(application, service, service.settings, outbox_interval=0.1, poll_timeout=1):
                yield fake, service
        finally:
            service.engine.dispose()


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegramAPI, ClaimService]]:
    async with telegram(tmp_path) as pair:
        yield pair


def known(service: ClaimService, media: bytes) -> int:
    """The starter NYC fact-check, with `media` attached as AI-generated."""
    fact_check = service.search(NYC_ICE)[0].fact_check.id
    service.attach_media(EDITOR, fact_check, MediaFile(media), Authenticity.TRANSFORMED, NOT_A_REAL_ARREST)
    return fact_check


def photo_sizes(fake: FakeTelegramAPI, picture: Image.Image, **kw: Any) -> list[dict[str, Any]]:
    """A photo as Telegram offers it: three sizes, smallest first."""
    sizes = [(encode(resized(picture, share)), int(640 * share), int(480 * share)) for share in (0.25, 0.5)]
    return fake.photo(*sizes, (encode(picture), picture.width, picture.height), **kw)


def text_card(*lines: str) -> bytes:
    card = Image.new("RGB", (900, 240), (255, 255, 255))
    draw = ImageDraw.Draw(card)
    for row, line in enumerate(lines):
        draw.text((30, 60 + 80 * row), line, fill=(0, 0, 0), font=ImageFont.load_default(size=48))
    return encode(card, "PNG")


async def reply_to(fake: FakeTelegramAPI, chat: int, since: int = 0) -> str:
    call = await fake.wait_for("sendMessage", to_chat(chat), since=since, ok=True, timeout=20)
    return str(call.params["text"])


# ------------------------------------------------------------------ bounds, without a chat


def test_a_download_target_stops_growing_at_the_bound() -> None:
    bounds = adapters.media.Wanted("image", 10, platform_limit=2**20)
    out = adapters.media.BoundedBuffer(bounds)
    out.write(b"x" * (2**20 - 1))
    with pytest.raises(adapters.media.MediaRefused) as refused:
        out.write(b"yy")
    assert refused.value.reason == "too_big" and refused.value.values == {"limit": 1}
    with pytest.raises(adapters.media.MediaRefused) as too_long:
        adapters.media.Wanted("video", 1000, seconds=3600).check()
    assert (
        too_long.value.text("de")
        == "Dieses Video ist zu lang für eine Prüfung: Die Grenze liegt bei 10 Minuten."
    )


# ------------------------------------------------------------------ private chats


async def test_a_photo_of_known_media_is_answered_with_what_it_is(tg: Any) -> None:
    fake, service = tg
    original = scene(7)
    known(service, encode(original))
    sizes = photo_sizes(fake, cropped(reencoded(original, 40), 0.04))
    fake.private_media(USER, photo=sizes)
    text = await reply_to(fake, USER)
    assert AI_PHOTO in text and "False" in text and "AFP" in text
    largest = fake.files[sizes[-1]["file_id"]][0]
    assert fake.downloads == [largest]  # the largest size, and only it


async def test_a_forwarded_video_and_a_document_image_are_checked(tg: Any) -> None:
    fake, service = tg
    clip, picture = video(3, seconds=8), scene(8)
    known(service, clip)
    known(service, encode(picture))
    fake.private_media(
        USER, forwarded=True, video=fake.video(transcode(clip, start=1.5, end=6.5), duration=5)
    )
    assert "This video has been manipulated or generated" in await reply_to(fake, USER)
    mark = len(fake.calls)
    png = encode(IMAGE_TRANSFORMS["screenshot"](picture), "PNG")
    fake.private_media(USER, document=fake.document(png, "screenshot.png", "image/png"))
    assert AI_PHOTO in await reply_to(fake, USER, since=mark)
    mark = len(fake.calls)
    fake.private_media(USER, document=fake.document(b"%PDF-1.7", "report.pdf", "application/pdf"))
    assert "I can check photos (JPEG, PNG" in await reply_to(fake, USER, since=mark)
    assert len(fake.downloads) == 2  # the PDF was never fetched


async def test_too_big_or_too_long_is_refused_before_any_download(tg: Any) -> None:
    fake, service = tg
    fake.users[USER] = {**fake.add_user(USER), "language_code": "es"}
    fake.private_media(USER, photo=photo_sizes(fake, scene(9), file_size=25 * 2**20))
    assert "demasiado grande" in (refused := await reply_to(fake, USER)) and "20 MB" in refused
    mark = len(fake.calls)
    fake.private_media(USER, video=fake.video(video(4, seconds=2), duration=3 * 3600), caption=NYC_ICE)
    answer = await reply_to(fake, USER, since=mark)  # the caption is still a question, said to be so
    assert answer.startswith(
        "<i>That video is too long for me to check: the limit is 10 minutes. "
        "I checked the words sent with it instead.</i>"
    )  # in the caption's language, as the answer is
    assert "False" in answer
    assert not fake.calls_to("getFile") and fake.downloads == []


async def test_a_file_larger_than_said_is_refused_while_it_is_read(
    tg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, service = tg
    monkeypatch.setattr(adapters.media, "MAX_IMAGE_BYTES", 2**20)
    noise = np.random.default_rng(10).integers(0, 256, (700, 700, 3), dtype=np.uint8)
    big = encode(Image.fromarray(noise, "RGB"), "PNG")
    assert len(big) > 2**20
    sizes = fake.photo((big, 700, 700), file_size=1000)
    fake.reported_sizes[sizes[0]["file_id"]] = 1000  # getFile understates it too
    fake.private_media(USER, photo=sizes)
    assert "That file is too large for me to check: the limit is 1 MB." in await reply_to(fake, USER)
    assert len(fake.downloads) == 1 and service.queue(EDITOR) == []


async def test_a_damaged_photo_with_a_caption_is_answered_by_the_caption(tg: Any) -> None:
    fake, service = tg
    fake.private_media(USER, photo=fake.photo((b"\xff\xd8\xff" + bytes(900), 640, 480)), caption=NYC_ICE)
    text = await reply_to(fake, USER)
    assert "I couldn't read that file: it looks damaged. I checked the words sent with it instead." in text
    assert "False" in text


@pytest.mark.skipif(not ocr_available(), reason="tesseract is not installed")
async def test_the_text_in_a_photo_is_read_and_matched(tg: Any) -> None:
    fake, service = tg
    fake.private_media(
        USER, photo=fake.photo((text_card("NYC cop arrests ICE agent", "caught on video!!"), 900, 240))
    )
    text = await reply_to(fake, USER)
    assert "I don't know this photo, but its words match a fact-check:" in text and "False" in text


# ------------------------------------------------------------------ groups


async def test_in_groups_a_photo_is_checked_when_check_replies_to_it_or_is_its_caption(tg: Any) -> None:
    fake, service = tg
    original = scene(11)
    known(service, encode(original))
    posted = fake.media_message(GROUP, USER, photo=photo_sizes(fake, reencoded(original, 50)))
    fake.push_update({"message": posted})
    fake.group_message(GROUP, OTHER, "lunch at noon?")  # chatter and an uncaptioned photo: silence
    fake.group_message(GROUP, ADMIN, "/check", reply_to=posted["message_id"])
    first = await fake.wait_for("sendMessage", to_chat(GROUP), ok=True, timeout=20)
    assert AI_PHOTO in first.params["text"]
    fake.group_media(GROUP, OTHER, photo=photo_sizes(fake, cropped(original, 0.03)), caption="/check")
    second = await fake.wait_for("sendMessage", to_chat(GROUP), since=first.index + 1, ok=True, timeout=20)
    assert AI_PHOTO in second.params["text"]
    assert len(fake.calls_to("sendMessage", to_chat(GROUP))) == 2


# ------------------------------------------------------------------ moderators


async def test_a_queued_photo_reaches_the_moderators_with_the_photo_itself(tg: Any) -> None:
    fake, service = tg
    picture = scene(12)
    message = fake.media_message(USER, USER, photo=photo_sizes(fake, picture), caption="is this real?")
    fake.push_update({"message": message})
    assert "sent it to our reviewers" in await reply_to(fake, USER)
    copy = await fake.wait_for("copyMessage", to_chat(MOD_CHAT), ok=True)
    assert (copy.params["from_chat_id"], copy.params["message_id"]) == (USER, message["message_id"])
    assert fake.message(MOD_CHAT, copy.result["message_id"])["photo"] == message["photo"]
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), ok=True)
    assert review.params["reply_parameters"]["message_id"] == copy.result["message_id"]
    text = review.params["text"]
    assert "Photo sent on Telegram, shown above." in text and "<blockquote>is this real?</blockquote>" in text
    assert "Caption:" not in text  # the caption is the item's text already
    assert "Asked 1 time" in text
    # A forward of the same picture (a screenshot of it) by someone else: one item, asked twice.
    mark = len(fake.calls)
    fake.private_media(
        OTHER, photo=photo_sizes(fake, IMAGE_TRANSFORMS["screenshot"](picture)), forwarded=True
    )
    assert "sent it to our reviewers" in await reply_to(fake, OTHER, since=mark)
    [item] = service.queue(EDITOR)
    assert (
        item.ask_count == 2 and item.media is not None and item.media.ref == f"{USER}:{message['message_id']}"
    )
    assert len(fake.calls_to("copyMessage")) == 1


async def test_the_item_still_reaches_the_moderators_when_the_message_is_gone(tg: Any) -> None:
    fake, service = tg
    message = fake.media_message(USER, USER, photo=photo_sizes(fake, scene(13)))
    fake.push_update({"message": message})
    await reply_to(fake, USER)
    fake.fail_next("copyMessage", 400, "Bad Request: message to copy not found")
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), ok=True)
    assert "the message can no longer be shown" in review.params["text"]
    assert "(a photo or video, no caption)" in review.params["text"]


@pytest.mark.skipif(not ocr_available(), reason="tesseract is not installed")
async def test_moderators_see_the_text_read_in_a_queued_photo(tg: Any) -> None:
    fake, service = tg
    card = text_card("Giant tortoise elected", "mayor of Lisbon")
    fake.private_media(USER, photo=fake.photo((card, 900, 240)))
    await reply_to(fake, USER)
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), ok=True)
    assert "Text in the photo:" in review.params["text"] and "tortoise" in review.params["text"].lower()


async def test_files_are_decoded_off_the_event_loop(tg: Any) -> None:
    fake, service = tg
    async with LoopMonitor() as monitor:
        calls = LoopThreadCalls(monitor.loop_thread)  # type: ignore[arg-type]
        inspect = service.asking.media.inspect
        service.asking.media.inspect = calls.wrap("inspect", inspect)  # type: ignore[method-assign]
        try:
            fake.private_media(USER, video=fake.video(video(5, seconds=4), duration=4))
            await reply_to(fake, USER)
        finally:
            service.asking.media.inspect = inspect  # type: ignore[method-assign]
    assert calls.off_loop["inspect"] == 1 and calls.on_loop["inspect"] == 0
    print(f"event loop's longest stall while a video was checked: {monitor.max_lag * 1000:.0f} ms")


async def test_a_moderator_attaches_a_queued_photo_with_link_media_kind(tg: Any) -> None:
    fake, service = tg
    picture = scene(14)
    fake.private_media(USER, photo=photo_sizes(fake, picture))
    await reply_to(fake, USER)
    review = await fake.wait_for("sendMessage", to_chat(MOD_CHAT), ok=True)
    [item] = service.queue(EDITOR)
    assert (
        "To attach the photo on /link or /approve, kinds: original, out-of-context" in review.params["text"]
    )
    assert f"/link {item.id} &lt;fact-check id&gt; media:&lt;kind&gt;" in review.params["text"]
    fact_check = service.search(NYC_ICE)[0].fact_check.id

    fake.group_message(MOD_CHAT, MODERATOR, f"/link {item.id} {fact_check} media:blurry")
    refused = await fake.wait_for("sendMessage", has_text("Unknown media kind"), ok=True)
    assert "transformed" in refused.params["text"] and service.queue(EDITOR)  # still open
    fake.users[MODERATOR] = {**fake.add_user(MODERATOR), "language_code": "es"}
    fake.group_message(
        MOD_CHAT, MODERATOR, f"/link {item.id} {fact_check} media:ai-generated | {NOT_A_REAL_ARREST}"
    )
    done = await fake.wait_for("sendMessage", has_text(f"Linked #{item.id}"), ok=True)
    # The moderators' commands stay English; the new sentence is in the moderator's language.
    assert f"Adjunté la foto o el vídeo reenviado a la verificación #{fact_check}" in done.params["text"]
    mark = len(fake.calls)
    fake.private_media(
        OTHER, photo=photo_sizes(fake, IMAGE_TRANSFORMS["screenshot"](picture)), forwarded=True
    )
    assert AI_PHOTO in await reply_to(fake, OTHER, since=mark)


async def test_approve_with_media_attaches_and_a_bare_description_is_refused(tg: Any) -> None:
    fake, service = tg
    picture = scene(15)
    fake.private_media(USER, photo=photo_sizes(fake, picture))
    await reply_to(fake, USER)
    [item] = service.queue(EDITOR)
    draft = service.write_verdict(EDITOR, item.id, "False", "Staged by actors.", ["https://desk.example/s"])
    fake.group_message(MOD_CHAT, MODERATOR, f"/approve {item.id} {draft.revision} | staged by actors")
    await fake.wait_for("sendMessage", has_text("A description after | goes with media:"), ok=True)
    fake.group_message(MOD_CHAT, MODERATOR, f"/approve {item.id} {draft.revision} media:staged")
    await fake.wait_for("sendMessage", has_text("Published fact-check", "Attached the forwarded"), ok=True)
    mark = len(fake.calls)
    fake.private_media(OTHER, photo=photo_sizes(fake, reencoded(picture, 40)))
    assert "This photo was staged" in await reply_to(fake, OTHER, since=mark)
