"""Media in a question: is it a photo or video a fact-check is about, or does the text in it match one?

The fingerprints (bot.media) are compared with the known media of published fact-checks, which every
worker keeps in memory and tops up from the store before each look (known media is only ever added).
Moderators attach media to a fact-check so the next copy matches at once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import (
    MEDIA_KINDS,
    Actor,
    Authenticity,
    MediaAttachment,
    MediaFile,
    MediaNote,
    MediaRecord,
    NotFound,
    ReviewMedia,
    ServiceError,
)
from bot.text import clean_text
from bot.usecases.moderation import Moderation, record_audit
from store import media as known_media
from store.db import session_scope
from store.models import FactCheck, FactCheckStatus, KnownMedia, ReviewItem

if TYPE_CHECKING:
    from bot.media import Fingerprint, MediaIndex

# The fingerprinting and its index (bot.media) are imported when media is first looked at: a question
# without media (every `claimbot ask` without --media, most chat messages) never loads them.

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaFinding:
    """What a question's media is: known media of a fact-check, text to match, or nothing usable."""

    note: MediaNote
    fact_check_id: int | None = None
    # Its PDQ hashes (hex, space-separated): forwards of near-identical media fold onto one review item,
    # and a moderator can attach them to the item's verdict.
    hashes_hex: str | None = None
    text: str = ""  # the text read in the image, for the matcher


@dataclass(frozen=True)
class MediaRef:
    """The media of a queued question: what folds forwards together, and where moderators see it."""

    kind: str
    hashes_hex: str
    # "platform:reference" of where the platform keeps it (bot.domain.MediaFile.ref; else the question's
    # chat_id:message_id): a message to copy or an attachment URL, never the file
    message: str
    caption: str = ""
    text_read: str = ""  # what OCR read in it


FOLD_HASHES = 8  # hashes compared to fold forwards: an image's variants, a video's first frames


def near_media(a_hex: str, b_hex: str, limit: int | None = None) -> bool:
    """Whether two sets of PDQ hashes share a picture (or one of the first video frames) within limit
    (default: the index's IMAGE_DISTANCE)."""
    if limit is None:
        from bot.media.index import IMAGE_DISTANCE

        limit = IMAGE_DISTANCE
    first, second = a_hex.split()[:FOLD_HASHES], b_hex.split()[:FOLD_HASHES]
    return any((int(a, 16) ^ int(b, 16)).bit_count() <= limit for a in first for b in second)


def _all_hashes(print_: Fingerprint) -> str:
    # All of them (a video's are capped at 60 frames): a moderator may attach them to the verdict, and a
    # copy of a long clip matches a known video by the share of its frames found there.
    return " ".join(digest.hex() for digest in print_.hashes)


def review_media(item: ReviewItem) -> ReviewMedia | None:
    """A review item's media as moderators are shown it: where the platform keeps it, caption, text read."""
    if not item.media_kind or not item.media_ref:
        return None
    platform, _, ref = item.media_ref.partition(":")
    return ReviewMedia(item.media_kind, platform, ref, item.media_caption or "", item.media_text or "")


def _print_of(row: KnownMedia) -> Fingerprint:
    from bot.media import Fingerprint, MediaKind

    return Fingerprint(MediaKind(row.kind), tuple(bytes.fromhex(h) for h in row.hashes.split()), row.sha256)


class MediaCheck:
    def __init__(self, engine: Engine, moderation: Moderation) -> None:
        self.engine = engine
        self.moderation = moderation
        self._rows: dict[int, KnownMedia] = {}  # known media id → its row (fact-check, category)
        self._last_id = 0
        self._lock = threading.Lock()

    @cached_property
    def index(self) -> MediaIndex:
        from bot.media import MediaIndex

        return MediaIndex()

    def refresh(self) -> int:
        """Add known media stored since the last look (by any worker); returns how many."""
        with self._lock, Session(self.engine) as session:
            added = 0
            for row in known_media.known_since(session, self._last_id):
                assert row.id is not None
                self.index.add(row.id, _print_of(row))
                self._rows[row.id] = row
                self._last_id = row.id
                added += 1
            return added

    def inspect(self, media: MediaFile) -> MediaFinding:
        """Fingerprint the media and look it up; the text in an image is read for the matcher."""
        from bot.media import MediaError, MediaKind, fingerprint
        from bot.media.ocr import image_text

        try:
            print_ = fingerprint(media.data)
        except MediaError as error:
            log.info("media refused: %s", error.reason)
            return MediaFinding(MediaNote("file", "unreadable", error=str(error), reason=error.reason))
        self.refresh()
        kind = print_.kind.value
        found = self.index.match(print_)
        with Session(self.engine) as session:
            row = self._rows.get(found.media_id) if found else None
            if row is not None:
                fact = session.get(FactCheck, row.fact_check_id)
                if fact is not None and fact.status == FactCheckStatus.PUBLISHED:
                    category = Authenticity(row.authenticity) if row.authenticity else None
                    note = MediaNote(kind, "fingerprint", category, row.description)
                    return MediaFinding(note, row.fact_check_id, _all_hashes(print_))
        text = clean_text(image_text(media.data)) if print_.kind is MediaKind.IMAGE else ""
        return MediaFinding(MediaNote(kind, "unmatched", text_read=text), None, _all_hashes(print_), text)

    def attach(
        self,
        actor: Actor,
        fact_check_id: int,
        media: MediaFile,
        authenticity: Authenticity | None = None,
        description: str = "",
    ) -> int:
        """Attach known media to a fact-check (moderators): its copies are then answered with it."""
        self.moderation.authorize(actor, "media", f"factcheck:{fact_check_id}")
        from bot.media import MediaError, fingerprint

        try:
            print_ = fingerprint(media.data, known=True)
        except MediaError as error:
            raise ServiceError(str(error)) from error
        hashes = tuple(digest.hex() for digest in print_.hashes)
        record = MediaRecord(
            print_.kind.value, authenticity, clean_text(description), None, hashes, print_.sha256
        )
        return self.add_record(actor, fact_check_id, record)

    def known_media(self) -> dict[int, list[MediaRecord]]:
        """Every fact-check's known media, by fact-check id, in the order it was added (for exports)."""
        found: dict[int, list[MediaRecord]] = {}
        with Session(self.engine) as session:
            for row in known_media.known_since(session):
                found.setdefault(row.fact_check_id, []).append(known_media.to_record(row))
        return found

    def add_record(self, actor: Actor, fact_check_id: int, record: MediaRecord) -> int:
        with session_scope(self.engine) as session:
            if session.get(FactCheck, fact_check_id) is None:
                raise NotFound(f"There is no fact-check #{fact_check_id}.")
            row, _ = known_media.add_known(session, fact_check_id, record, actor.label)
            record_audit(session, actor, "media", f"factcheck:{fact_check_id}", True, record.kind)
            assert row.id is not None
            media_id = row.id
        self.refresh()
        return media_id


def attach_item_media(
    session: Session, actor: Actor, item: ReviewItem, fact_check_id: int, attachment: MediaAttachment
) -> int:
    """Attach the photo or video a review item was asked about to the fact-check that answers it, in
    the moderator's transaction (link or approve): the next copy is answered at once. Audited.

    Only its PDQ hashes are there (the file was never kept), so it matches copies of what the asker sent.
    """
    if not item.media_hashes or item.media_kind not in MEDIA_KINDS:
        raise ServiceError(f"Review item {item.id} has no photo or video to attach.")
    record = MediaRecord(
        item.media_kind,
        attachment.authenticity,
        clean_text(attachment.description),
        hashes=tuple(item.media_hashes.split()),
    )
    row, _ = known_media.add_known(session, fact_check_id, record, actor.label)
    what = attachment.authenticity.value if attachment.authenticity else "no category"
    detail = f"{record.kind} from review:{item.id} ({what})"
    record_audit(session, actor, "media", f"factcheck:{fact_check_id}", True, detail)
    assert row.id is not None
    return row.id
