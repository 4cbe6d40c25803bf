"""Photos and videos (issue 16): fingerprints that survive people's copies, known media answered with
its fact-check and what the media is, the rest matched by its words or queued by its fingerprint."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bot.domain import Actor, Asker, Authenticity, ChatRef, MediaFile, OutcomeKind, Question
from bot.media import MediaError, MediaIndex, fingerprint
from bot.media.ocr import ocr_available
from bot.service import ClaimService
from tests.conftest import claimbot
from tests.media_factory import IMAGE_TRANSFORMS, cropped, encode, reencoded, scene, transcode, video

NYC_ICE = "did a NYC cop arrest an ICE agent"
MODERATOR = Actor("cli", "editor")
NOT_A_REAL_ARREST = "it does not show a real arrest"


def ask(service: ClaimService, media: bytes, text: str = "", user: str = "asker", message: str = "1"):  # noqa: ANN201
    question = Question(
        text, Asker("telegram", user), ChatRef("telegram", f"chat-{user}"), message, media=MediaFile(media)
    )
    return service.ask(question)


def seed_fact_check_id(service: ClaimService) -> int:
    return service.search(NYC_ICE)[0].fact_check.id


# ------------------------------------------------------------------ fingerprints


@pytest.mark.parametrize("transform", sorted(IMAGE_TRANSFORMS))
def test_a_transformed_copy_of_an_image_matches_it_and_no_other(transform: str) -> None:
    index = MediaIndex()
    originals = [scene(seed) for seed in range(8)]
    for media_id, picture in enumerate(originals):
        index.add(media_id, fingerprint(encode(picture), known=True))
    for media_id, picture in enumerate(originals):
        found = index.match(fingerprint(encode(IMAGE_TRANSFORMS[transform](picture))))
        assert found is not None and found.media_id == media_id, (transform, media_id, found)


def test_unrelated_images_match_nothing() -> None:
    index = MediaIndex()
    for media_id in range(20):
        index.add(media_id, fingerprint(encode(scene(media_id)), known=True))
    assert [index.match(fingerprint(encode(scene(500 + seed)))) for seed in range(40)] == [None] * 40


def test_a_trimmed_rescaled_letterboxed_reencode_of_a_video_matches_it() -> None:
    clips = [video(seed, seconds=8) for seed in range(3)]
    index = MediaIndex()
    for media_id, clip in enumerate(clips):
        index.add(media_id, fingerprint(clip, known=True))
    for media_id, clip in enumerate(clips):
        copy = transcode(clip, start=2.0, end=7.0, size=(240, 180), letterbox=24, bit_rate=200_000)
        found = index.match(fingerprint(copy))
        assert found is not None and found.media_id == media_id and found.share >= 0.5
    assert index.match(fingerprint(video(99, seconds=8))) is None


def _bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")  # 400 megapixels, a few KB on disk
    return out.getvalue()


def _audio_only_mp4() -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 16000
        for _ in range(20):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (encode(scene(1))[:400], "corrupt"),  # a JPEG cut short
        (b"\xff\xd8\xff" + b"\x00" * 1000, "corrupt"),  # says JPEG, is not
        (b"%PDF-1.7 not a picture", "unsupported"),
        (b"II*\x00" + bytes(100), "unsupported"),  # TIFF: not a format people forward
        (_bomb_png(), "too_large"),
        (encode(Image.new("RGB", (400, 300), (120, 120, 120))), "featureless"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(200), "corrupt"),
    ],
    ids=["zero bytes", "truncated", "fake jpeg", "pdf", "tiff", "png bomb", "blank", "broken mp4"],
)
def test_files_that_cannot_be_checked_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(MediaError) as refused:
        fingerprint(data)
    assert refused.value.reason == reason and str(refused.value)


def test_a_video_without_a_picture_is_refused() -> None:
    with pytest.raises(MediaError) as refused:
        fingerprint(_audio_only_mp4())
    assert refused.value.reason == "no_video"


# ------------------------------------------------------------------ asking with media


def test_a_cropped_reencoded_copy_of_a_known_image_is_answered_with_what_it_is(service: ClaimService) -> None:
    fact_check = seed_fact_check_id(service)
    original = scene(7)
    service.attach_media(
        MODERATOR, fact_check, MediaFile(encode(original)), Authenticity.TRANSFORMED, NOT_A_REAL_ARREST
    )
    copy = encode(cropped(reencoded(original, 40), 0.04), quality=70)
    outcome = ask(service, copy)
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.id == fact_check
    assert outcome.media.via == "fingerprint" and outcome.media.authenticity is Authenticity.TRANSFORMED
    from bot.replies import compose, render_text

    text = render_text(compose(outcome, service.settings.disclaimer))
    assert text.startswith(
        "This photo has been manipulated or generated (for example by AI): it does not show a real arrest."
    )
    assert "False" in text and "AFP" in text  # then the claim's verdict and sources


def test_a_trimmed_reencode_of_a_known_video_is_answered(service: ClaimService) -> None:
    fact_check = seed_fact_check_id(service)
    clip = video(3, seconds=8)
    service.attach_media(MODERATOR, fact_check, MediaFile(clip), Authenticity.TRANSFORMED, NOT_A_REAL_ARREST)
    outcome = ask(service, transcode(clip, start=1.5, end=6.5, bit_rate=150_000))
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.id == fact_check
    assert outcome.media.kind == "video"


def test_unknown_media_with_a_caption_is_matched_by_its_words(service: ClaimService) -> None:
    outcome = ask(service, encode(scene(40)), text=NYC_ICE)
    assert outcome.kind is OutcomeKind.ANSWER and outcome.media.via == "unmatched"


def test_forwards_of_one_unknown_photo_fold_onto_one_review_item(service: ClaimService) -> None:
    picture = scene(41)
    first = ask(service, encode(picture), user="a", message="10")
    again = ask(service, encode(IMAGE_TRANSFORMS["screenshot"](picture)), user="b", message="11")
    other = ask(service, encode(scene(42)), user="c", message="12")
    assert first.kind is OutcomeKind.QUEUED and first.review_item_id is not None
    assert again.review_item_id == first.review_item_id
    assert other.review_item_id != first.review_item_id
    [item] = [i for i in service.queue(MODERATOR) if i.id == first.review_item_id]
    assert item.ask_count == 2


def test_a_corrupt_file_gets_a_clear_reply_and_reaches_no_one(service: ClaimService) -> None:
    outcome = ask(service, b"\xff\xd8\xff" + bytes(500))
    assert outcome.kind is OutcomeKind.REFUSED and outcome.media.via == "unreadable"
    assert "damaged" in outcome.media.error
    assert service.queue(MODERATOR) == []


def test_a_photo_under_words_that_ask_nothing_is_checked_by_its_fingerprint(service: ClaimService) -> None:
    """ "is this real?" under a forwarded photo asks about the photo: it is queued, not answered with help."""
    outcome = ask(service, encode(scene(43)), text="is this real?")
    assert outcome.kind is OutcomeKind.QUEUED and outcome.review_item_id is not None
    [item] = [i for i in service.queue(MODERATOR) if i.id == outcome.review_item_id]
    assert item.media is not None and item.media.caption == "is this real?"


def test_a_damaged_file_with_a_claim_in_its_words_is_asked_as_the_words(service: ClaimService) -> None:
    from bot.replies import compose, render_text

    outcome = ask(service, b"\xff\xd8\xff" + bytes(500), text=NYC_ICE)
    assert outcome.kind is OutcomeKind.ANSWER and outcome.media.via == "unreadable"
    assert render_text(compose(outcome, "")).startswith(
        "I couldn't read that file: it looks damaged. I checked the words sent with it instead."
    )
    chatter = ask(service, b"\xff\xd8\xff" + bytes(500), text="lol", message="2")
    assert chatter.kind is OutcomeKind.REFUSED and chatter.media.reason == "corrupt"


def test_a_queued_photo_keeps_where_it_is_its_caption_and_its_text(service: ClaimService) -> None:
    question = Question(
        "seen this?",
        Asker("telegram", "a"),
        ChatRef("telegram", "501"),
        "9",
        media=MediaFile(encode(scene(44)), ref="501:8"),
    )
    outcome = service.ask(question)
    [item] = [i for i in service.queue(MODERATOR) if i.id == outcome.review_item_id]
    assert item.media is not None
    assert (item.media.platform, item.media.ref, item.media.kind) == ("telegram", "501:8", "image")
    service.forget(Asker("telegram", "a"))  # their message held the photo: the reference goes with them
    assert all(i.media is None for i in service.queue(MODERATOR, status="rejected"))


def test_attaching_media_is_for_moderators_and_audited(service: ClaimService) -> None:
    from bot.domain import NotAllowed

    stranger = Actor("telegram", "999")
    with pytest.raises(NotAllowed):
        service.attach_media(stranger, seed_fact_check_id(service), MediaFile(encode(scene(5))))
    assert [(a.action, a.allowed) for a in service.audit_log(5)][0] == ("media", False)


@pytest.mark.skipif(not ocr_available(), reason="tesseract is not installed")
def test_text_in_a_screenshot_is_read_and_matched(service: ClaimService) -> None:
    card = Image.new("RGB", (900, 240), (255, 255, 255))
    draw = ImageDraw.Draw(card)
    draw.text((30, 60), "NYC cop arrests ICE agent", fill=(0, 0, 0), font=ImageFont.load_default(size=48))
    draw.text((30, 140), "caught on video!!", fill=(40, 40, 40), font=ImageFont.load_default(size=36))
    outcome = ask(service, encode(card, "PNG"))
    assert "ICE" in outcome.media.text_read
    assert outcome.kind is OutcomeKind.ANSWER and outcome.media.via == "unmatched"


# ------------------------------------------------------------------ the command line


def test_media_add_then_ask_media_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    original, copy = tmp_path / "viral.jpg", tmp_path / "forwarded.jpg"
    original.write_bytes(encode(scene(11)))
    copy.write_bytes(encode(IMAGE_TRANSFORMS["caption bar"](scene(11)), quality=60))
    seed = json.loads(claimbot("ask", "--json", NYC_ICE, db=db).stdout)
    assert seed["outcome"] == "answer"  # the starter fact-check, #1 on a new database
    added = claimbot(
        "media",
        "add",
        "1",
        str(original),
        "--authenticity",
        "ai-generated",
        "--description",
        NOT_A_REAL_ARREST,
        db=db,
    )
    assert added.returncode == 0, added.stderr
    assert "known media #1 of fact-check #1" in added.stdout
    answer = claimbot("ask", "--media", str(copy), db=db)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("This photo has been manipulated or generated (for example by AI)")
    payload = json.loads(claimbot("ask", "--json", "--media", str(copy), db=db).stdout)
    assert payload["media"]["authenticity"] == "TransformedContent"


def test_ask_media_refuses_what_it_cannot_check(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as out:
        out.truncate(4 * 2**30)  # 4 GB, sparse: refused before a byte is read
    for path, message in [
        (huge, "over the 50 MB limit"),
        (tmp_path / "missing.jpg", "No such file"),
    ]:
        result = claimbot("ask", "--media", str(path), db=db)
        assert result.returncode != 0 and message in result.stderr, result.stderr
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"just some text pretending to be a photo")
    result = claimbot("ask", "--media", str(notes), db=db)
    assert result.returncode != 0 and "I can check photos" in result.stderr
