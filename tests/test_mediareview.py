"""schema.org MediaReview (issue 16): imported with the photos and videos it names (files beside the
import, URLs fetched safely, or the PDQ hashes of our own export), exported with those hashes, and a
review item's forwarded media attached to a verdict by a moderator, so the next copy is answered."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain import (
    Actor,
    Asker,
    Authenticity,
    ChatRef,
    FactCheckRecord,
    MediaAttachment,
    MediaFile,
    OutcomeKind,
    Question,
    RecordError,
    ServiceError,
    Verdict,
)
from bot.exporters import mediareview_jsonld
from bot.importers import read_records
from bot.replies import compose, render_text
from bot.service import ClaimService
from tests.conftest import ROOT, claimbot, make_settings
from tests.fakes.publisher_site import PublisherSite
from tests.media_factory import IMAGE_TRANSFORMS, cropped, encode, reencoded, scene, transcode, video

SAMPLE = ROOT / "tests" / "data" / "importers" / "mediareview_sample.jsonld"
SHARK = "https://factdesk.example/checks/shark-on-the-highway"
AIRPORT = "https://factdesk.example/checks/flooded-airport-photo"
SHARK_LEAD = (
    "This video has been manipulated or generated (for example by AI): "
    "the shark was added to a clip of a flooded road."
)
AIRPORT_LEAD = "This photo is real but shared out of context: it was taken in 2019, at another airport."
MODERATOR = Actor("cli", "editor")
NYC_ICE = "did a NYC cop arrest an ICE agent"
NOT_A_REAL_ARREST = "it does not show a real arrest"


def ask(service: ClaimService, media: bytes, text: str = "", user: str = "asker", message: str = "1"):  # noqa: ANN201
    question = Question(
        text, Asker("telegram", user), ChatRef("telegram", f"chat-{user}"), message, media=MediaFile(media)
    )
    return service.ask(question)


def reply_text(service: ClaimService, outcome) -> str:  # noqa: ANN001
    return render_text(compose(outcome, service.settings.disclaimer))


def shark_clip() -> bytes:
    return video(21, seconds=8)


def airport_photo() -> bytes:
    return encode(scene(22))


def sample_import(folder: Path) -> Path:
    """The sample MediaReview file with the clip and the photo it names beside it, in media/."""
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "shark-clip.mp4").write_bytes(shark_clip())
    (folder / "media" / "flooded-airport.jpg").write_bytes(airport_photo())
    return Path(shutil.copy(SAMPLE, folder / "checks.jsonld"))


def copies() -> tuple[bytes, bytes]:
    """What askers forward: the clip trimmed and re-encoded, the photo cropped and recompressed."""
    clip = transcode(shark_clip(), start=1.0, end=7.0, size=(240, 180), bit_rate=150_000)
    photo = encode(cropped(reencoded(scene(22), 40), 0.04), quality=70)
    return clip, photo


def assert_known(service: ClaimService) -> None:
    """The forwarded copies are answered with their fact-checks, led by what the media is."""
    clip, photo = copies()
    outcome = ask(service, clip, user="a")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.url == SHARK
    assert outcome.media.via == "fingerprint" and outcome.media.authenticity is Authenticity.TRANSFORMED
    text = reply_text(service, outcome)
    assert text.startswith(SHARK_LEAD + "\n❌ False"), text
    outcome = ask(service, photo, user="b")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.url == AIRPORT
    assert reply_text(service, outcome).startswith(AIRPORT_LEAD)


@pytest.fixture
def other_service(tmp_path: Path) -> Iterator[ClaimService]:
    svc = ClaimService.open(make_settings(f"sqlite:///{tmp_path / 'other.db'}"))
    yield svc
    svc.engine.dispose()


# ------------------------------------------------------------------ reading


def test_the_sample_reads_as_two_fact_checks_with_their_local_media(tmp_path: Path) -> None:
    path = sample_import(tmp_path)
    shark, airport = list(read_records(path))
    assert isinstance(shark, FactCheckRecord) and isinstance(airport, FactCheckRecord)
    # A ClaimReview holding its MediaReview (associatedMediaReview): the fact-check and its video.
    assert (shark.url, shark.verdict, shark.media_only) == (SHARK, Verdict.FALSE, False)
    [clip] = shark.media
    assert (clip.kind, clip.authenticity) == ("video", Authenticity.TRANSFORMED)
    assert clip.file == str(tmp_path / "media" / "shark-clip.mp4") and not clip.hashes
    assert [a.url for a in shark.appearances] == ["https://social.example/posts/8812"]
    # A MediaReview alone: its own fact-check, the claim from itemReviewed, no verdict of its own.
    assert (airport.url, airport.verdict, airport.media_only) == (AIRPORT, Verdict.UNRATED, True)
    assert airport.claim == "Photo shows the city airport flooded this week"
    [photo] = airport.media
    assert (photo.kind, photo.authenticity) == ("image", Authenticity.DECONTEXTUALIZED)
    assert photo.description == "it was taken in 2019, at another airport"
    assert photo.file == str(tmp_path / "media" / "flooded-airport.jpg")


def test_bad_mediareviews_are_reported_by_line_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "ok.jpg").write_bytes(encode(scene(30)))
    (tmp_path.parent / "outside.jpg").write_bytes(encode(scene(31)))

    def media_review(n: int, category: object, content: dict) -> str:
        return json.dumps(
            {
                "@type": "MediaReview",
                "url": f"https://factdesk.example/checks/{n}",
                "mediaAuthenticityCategory": category,
                "itemReviewed": {
                    "@type": "MediaReviewItem",
                    "name": f"Photo {n} shows a thing",
                    "mediaItemAppearance": [{"@type": "ImageObject", **content}],
                },
            }
        )

    lines = [
        media_review(1, "EditedOrCroppedContent", {"contentUrl": "media/ok.jpg"}),
        media_review(2, "DeepfakeContent", {"contentUrl": "media/ok.jpg"}),
        media_review(3, "StagedContent", {"identifier": {"propertyID": "pdq", "value": "beef"}}),
        media_review(4, "StagedContent", {"contentUrl": "../outside.jpg"}),
        media_review(5, "StagedContent", {"contentUrl": "media/missing.jpg"}),
        media_review(6, "StagedContent", {"contentUrl": "data:image/png;base64,AAAA"}),
        json.dumps({"@type": "MediaReview", "mediaAuthenticityCategory": "StagedContent"}),
        media_review(8, "schema:SatireOrParodyContent", {"sha256": "ab" * 32}),
    ]
    path = tmp_path / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n")
    items = list(read_records(path))
    problems = {item.line: item.message for item in items if isinstance(item, RecordError)}
    assert problems[2].startswith("unknown mediaAuthenticityCategory 'DeepfakeContent'; use one of Original")
    assert str(next(i for i in items if isinstance(i, RecordError))).startswith(f"{path}:2: unknown")
    assert "is not 64 hex digits" in problems[3]
    assert "outside the import file's folder" in problems[4]
    assert "no such media file" in problems[5]
    assert "neither an http(s) URL nor a file" in problems[6]
    assert "lacks url and a claim" in problems[7]
    read = {item.line: item for item in items if isinstance(item, FactCheckRecord)}
    assert sorted(read) == [1, 8]
    assert read[1].media[0].authenticity is Authenticity.EDITED_OR_CROPPED
    assert read[8].media[0].sha256 == "ab" * 32 and read[8].media[0].kind == "image"


# ------------------------------------------------------------------ importing and answering


def test_an_import_stores_the_media_hashes_and_copies_are_answered_with_what_they_are(
    service: ClaimService, tmp_path: Path
) -> None:
    path = sample_import(tmp_path / "import")
    report = service.import_records(read_records(path))
    assert (report.added, report.media, report.errors) == (2, 2, [])
    assert_known(service)
    # Idempotent: the same file again adds nothing, and changes no fact-check.
    again = service.import_records(read_records(path))
    assert (again.added, again.updated, again.media, again.errors) == (0, 0, 0, [])
    assert sum(len(media) for media in service.known_media().values()) == 2


def test_a_mediareview_alone_adds_media_to_a_stored_fact_check_and_changes_nothing_else(
    service: ClaimService, tmp_path: Path
) -> None:
    claim_review = {
        "@type": "ClaimReview",
        "url": AIRPORT,
        "claimReviewed": "The city airport was flooded this week",
        "reviewRating": {"alternateName": "Misleading"},
        "author": {"name": "Fact Desk"},
    }
    first = tmp_path / "claims.json"
    first.write_text(json.dumps(claim_review))
    assert service.import_records(read_records(first)).added == 1
    path = sample_import(tmp_path / "later")
    report = service.import_records(read_records(path))
    assert (report.added, report.skipped, report.media) == (1, 1, 2)
    [card] = [c for c in service.published() if c.url == AIRPORT]
    assert (card.verdict, card.revision, card.claim) == (Verdict.MISLEADING, 1, claim_review["claimReviewed"])
    outcome = ask(service, copies()[1])
    assert outcome.fact_check.url == AIRPORT
    assert reply_text(service, outcome).startswith(AIRPORT_LEAD + "\n⚠️ Misleading")


def test_export_then_import_elsewhere_keeps_the_hashes_without_the_files(
    service: ClaimService, other_service: ClaimService, tmp_path: Path
) -> None:
    path = sample_import(tmp_path / "import")
    service.import_records(read_records(path))
    exported = mediareview_jsonld(service.published(), service.known_media())
    graph = exported["@graph"]
    assert [node["@type"] for node in graph] == ["MediaReview", "MediaReview"]
    [video_object] = graph[0]["itemReviewed"]["mediaItemAppearance"]
    assert video_object["@type"] == "VideoObject" and len(video_object["sha256"]) == 64
    assert {p["propertyID"] for p in video_object["identifier"]} == {"pdq"}
    assert graph[0]["associatedClaimReview"]["reviewRating"]["alternateName"] == "False"
    elsewhere = tmp_path / "elsewhere"  # no media folder: the hashes travel in the file
    elsewhere.mkdir()
    backup = elsewhere / "media.jsonld"
    backup.write_text(json.dumps(exported))

    report = other_service.import_records(read_records(backup))
    assert (report.added, report.media, report.errors) == (2, 2, [])

    def hashes(svc: ClaimService) -> dict[str, set[tuple[str, ...]]]:
        urls = {card.id: card.url for card in svc.published()}
        return {urls[i]: {m.hashes for m in media} for i, media in svc.known_media().items()}

    assert hashes(other_service) == hashes(service)
    assert_known(other_service)
    # Back into the database it came from: nothing new, no fact-check revised.
    report = service.import_records(read_records(backup))
    assert (report.added, report.updated, report.media, report.errors) == (0, 0, 0, [])
    assert {card.revision for card in service.published() if card.url in (SHARK, AIRPORT)} == {1}


def test_a_content_url_is_fetched_through_the_guarded_client_once(database_url: str, tmp_path: Path) -> None:
    with PublisherSite() as site:
        url = site.document("/media/flooded-airport.jpg", airport_photo(), "image/jpeg")
        node = {
            "@type": "MediaReview",
            "url": AIRPORT,
            "mediaAuthenticityCategory": "DecontextualizedContent",
            "description": "it was taken in 2019, at another airport",
            "itemReviewed": {
                "@type": "MediaReviewItem",
                "name": "Photo shows the city airport flooded this week",
                "mediaItemAppearance": {"@type": "ImageObject", "contentUrl": url},
            },
        }
        path = tmp_path / "remote.json"
        path.write_text(json.dumps(node))
        guarded = ClaimService.open(make_settings(database_url))
        try:  # the publisher is on loopback, which is refused unless the operator allows it
            report = guarded.import_records(read_records(path))
            assert report.added == 1 and report.media == 0
            [error] = report.errors
            assert "loopback" in error.message and str(error).startswith(f"{path}:1: {url}")
        finally:
            guarded.engine.dispose()
        assert site.hits["/media/flooded-airport.jpg"] == 0
        allowed = ClaimService.open(make_settings(database_url, CLAIMBOT_HTTP_ALLOW_HOSTS="127.0.0.1"))
        try:
            report = allowed.import_records(read_records(path))
            assert (report.media, report.errors) == (1, [])
            [media] = next(iter(allowed.known_media().values()))
            assert media.content_url == url  # the publisher's URL is kept
            outcome = ask(allowed, copies()[1])
            assert outcome.fact_check.url == AIRPORT and reply_text(allowed, outcome).startswith(AIRPORT_LEAD)
            again = allowed.import_records(read_records(path))
            assert (again.media, again.errors) == (0, [])
            assert site.hits["/media/flooded-airport.jpg"] == 1  # known already: not fetched again
        finally:
            allowed.engine.dispose()


# ------------------------------------------------------------------ a moderator attaches forwarded media


def queued_item(service: ClaimService, media: bytes, user: str = "first") -> int:
    outcome = ask(service, media, user=user)
    assert outcome.kind is OutcomeKind.QUEUED and outcome.review_item_id is not None
    return outcome.review_item_id


def test_linking_with_attach_media_answers_the_next_copy_with_the_fact_check(service: ClaimService) -> None:
    fact_check = service.search(NYC_ICE)[0].fact_check.id
    picture = scene(51)
    item = queued_item(service, encode(picture))
    attach = MediaAttachment(Authenticity.TRANSFORMED, NOT_A_REAL_ARREST)
    service.link(MODERATOR, item, fact_check, attach_media=attach)
    copy = encode(IMAGE_TRANSFORMS["screenshot"](reencoded(picture, 50)), quality=60)
    outcome = ask(service, copy, user="second", message="2")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.id == fact_check
    assert outcome.media.via == "fingerprint"
    assert reply_text(service, outcome).startswith(
        "This photo has been manipulated or generated (for example by AI): it does not show a real arrest."
    )
    entry = next(a for a in service.audit_log(10) if a.action == "media")
    assert (entry.actor, entry.target, entry.allowed) == ("cli:editor", f"factcheck:{fact_check}", True)
    assert f"review:{item}" in entry.detail and "TransformedContent" in entry.detail


def test_a_plain_link_attaches_nothing_and_an_item_without_media_is_refused(service: ClaimService) -> None:
    fact_check = service.search(NYC_ICE)[0].fact_check.id
    picture = scene(52)
    service.link(MODERATOR, queued_item(service, encode(picture)), fact_check)
    again = ask(service, encode(reencoded(picture, 50)), user="second", message="2")
    assert again.media.via != "fingerprint"  # a moderator's choice, never a side effect
    claim = "did the mayor of Ostrava ban purple umbrellas on tuesdays in 2031"
    words = service.ask(Question(claim, Asker("telegram", "c"), ChatRef("telegram", "c")))
    assert words.kind is OutcomeKind.QUEUED
    with pytest.raises(ServiceError, match="has no photo or video"):
        service.link(MODERATOR, words.review_item_id, fact_check, attach_media=MediaAttachment())
    assert any(item.id == words.review_item_id for item in service.queue(MODERATOR))  # not linked


def test_approving_with_attach_media_keeps_every_frame_of_a_forwarded_video(service: ClaimService) -> None:
    clip = video(53, seconds=20)
    item = queued_item(service, clip)
    draft = service.write_verdict(
        MODERATOR, item, "False", "The clip was staged by actors.", ["https://factdesk.example/staged"]
    )
    result = service.approve(
        MODERATOR, item, draft.revision, attach_media=MediaAttachment(Authenticity.STAGED)
    )
    assert result.published
    # Its second half, re-encoded: none of the first eight frames the review item folds forwards by.
    copy = transcode(clip, start=10.0, end=19.5, size=(240, 180), bit_rate=150_000)
    outcome = ask(service, copy, user="second", message="2")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.fact_check.id == result.fact_check.id
    assert reply_text(service, outcome).startswith("This video was staged.\n❌ False")


def test_photos_sent_to_review_on_confirmation_fold_by_fingerprint_and_can_be_attached(
    database_url: str,
) -> None:
    """Regression: "Send to our fact-checkers" queued a captionless photo by its placeholder text, so
    every such photo folded onto one item and none kept its fingerprint to attach."""
    service = ClaimService.open(make_settings(database_url, CLAIMBOT_AUTO_QUEUE=False))
    try:
        asker = Asker("telegram", "asker")

        def confirmed(media: bytes, message: str) -> int:
            outcome = ask(service, media, message=message)
            assert outcome.kind is OutcomeKind.UNMATCHED
            queued = service.send_to_review(outcome.request_id, asker)
            assert queued.review_item_id is not None
            return queued.review_item_id

        first = confirmed(encode(scene(55)), "1")
        other = confirmed(encode(scene(56)), "2")
        again = confirmed(encode(reencoded(scene(55), 40)), "3")
        assert other != first and again == first
        fact_check = service.search(NYC_ICE)[0].fact_check.id
        service.link(MODERATOR, first, fact_check, attach_media=MediaAttachment(Authenticity.TRANSFORMED))
        answered = ask(service, encode(reencoded(scene(55), 60)), message="4")
        assert answered.kind is OutcomeKind.ANSWER and answered.fact_check.id == fact_check
    finally:
        service.engine.dispose()


def test_attach_media_and_mediareview_export_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    photo, copy = tmp_path / "forwarded.jpg", tmp_path / "again.jpg"
    photo.write_bytes(encode(scene(54)))
    copy.write_bytes(encode(IMAGE_TRANSFORMS["caption bar"](scene(54)), quality=60))
    queued = claimbot("ask", "--send-to-review", "--media", str(photo), db=db)
    assert queued.returncode == 0 and "review item 1" in queued.stdout.lower(), queued.stdout
    refused = claimbot("review", "link", "1", "1", "--authenticity", "staged", db=db)
    assert refused.returncode == 2 and "go with --attach-media" in refused.stderr
    linked = claimbot(
        "review", "link", "1", "1", "--attach-media", "--authenticity", "ai-generated",
        "--media-description", NOT_A_REAL_ARREST, db=db,
    )  # fmt: skip
    assert linked.returncode == 0, linked.stderr
    assert "Attached the item's media to fact-check 1" in linked.stdout
    answer = claimbot("ask", "--media", str(copy), db=db)
    assert answer.stdout.startswith(
        "This photo has been manipulated or generated (for example by AI): it does not show a real arrest."
    ), answer.stdout
    # The starter fact-check's key is the bot's own; a published http one exports and re-imports.
    sample = sample_import(tmp_path / "import")
    imported = claimbot("import", str(sample), db=db)
    assert imported.returncode == 0 and "added 2" in imported.stdout and "media 2" in imported.stdout
    exported = claimbot("export", "--format", "mediareview", db=db)
    assert exported.returncode == 0, exported.stderr
    graph = json.loads(exported.stdout)["@graph"]
    assert {node["url"] for node in graph} >= {SHARK, AIRPORT}
    backup = tmp_path / "backup" / "media.jsonld"
    backup.parent.mkdir()
    backup.write_text(json.dumps({"@graph": [n for n in graph if n["url"] in (SHARK, AIRPORT)]}))
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    restored = claimbot("import", "--format", "mediareview", str(backup), db=fresh)
    assert restored.returncode == 0 and "added 2" in restored.stdout and "media 2" in restored.stdout
