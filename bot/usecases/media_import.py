"""An import's photos and videos (schema.org MediaReview, bot/importers/mediareview.py): the files and
URLs it names are fingerprinted, then stored as known media of their fact-checks.

`MediaSources.resolve` runs on each record as it is read, outside any transaction: a local file is read
(within the size caps) and a `contentUrl` fetched through the crawler's guarded client (no internal
address, one deadline, at most 50 MB), then fingerprinted as a moderator's attached media is. Media the
fact-check already has (the same file, the same URL) is neither read nor fetched again, so a re-import
costs no downloads. `prepare` and `store` then run inside the import's batch transaction
(bot/usecases/catalogue.py): a record made from a MediaReview alone creates its fact-check only when
the URL is new, and otherwise only adds its media.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain import REVIEW_ORIGIN, FactCheckRecord, MediaRecord, RecordError
from store import media as known_media
from store.factchecks import UpsertResult
from store.models import FactCheck, KnownMedia

if TYPE_CHECKING:
    import httpx

    from bot.importers.web import Crawler, CrawlSettings

log = logging.getLogger(__name__)

IMPORTED_BY = "import"  # known media's added_by for what an import brought


class MediaSources:
    """Fingerprints for the media an import names: local files read, http(s) URLs fetched."""

    def __init__(
        self, engine: Engine, settings: CrawlSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self._transport = transport  # tests hand the crawler theirs

    def resolve(self, record: FactCheckRecord) -> tuple[FactCheckRecord, list[RecordError]]:
        """The record with hashes for its media, and an error (its file and line) per media that could
        not be read; media stored with its fact-check already is left out, unread."""
        stored = self._stored(record.url)
        ready: list[MediaRecord] = []
        wanted: list[MediaRecord] = []
        errors: list[RecordError] = []
        for media in record.media:
            if media.hashes:
                ready.append(media)
            elif media.file:
                found = self._from_file(media, stored)
                if isinstance(found, str):
                    errors.append(RecordError(record.file, record.line, found))
                elif found is not None:
                    ready.append(found)
            elif media.content_url:
                if media.content_url not in stored:
                    wanted.append(media)
            elif media.sha256:  # the exact file only: no bytes to fingerprint
                ready.append(media)
        if wanted:
            from bot.fetching import run_sync  # the HTTP stack, only for an import that names URLs

            for media, found in zip(wanted, run_sync(self._fetch_all(wanted)), strict=True):
                if isinstance(found, str):
                    message = f"{media.content_url[:200]}: {found}"
                    errors.append(RecordError(record.file, record.line, message))
                else:
                    ready.append(found)
        record.media = ready
        return record, errors

    def _stored(self, url: str) -> set[str]:
        """The sha256s and content URLs of the media the fact-check at `url` has already."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(KnownMedia.sha256, KnownMedia.content_url)
                .join(FactCheck, col(FactCheck.id) == col(KnownMedia.fact_check_id))
                .where(FactCheck.url == url)
            ).all()
        return {value for row in rows for value in row if value}

    def _from_file(self, media: MediaRecord, stored: set[str]) -> MediaRecord | None | str:
        # The fingerprinting (bot.media) is imported by an import that carries media only: every store
        # write passes this module, `claimbot ask` without media among them.
        from bot.media.fingerprints import MAX_VIDEO_BYTES

        path = Path(media.file)
        try:
            size = path.stat().st_size
            if size > MAX_VIDEO_BYTES:
                return f"{path.name}: {size >> 20} MB is over the {MAX_VIDEO_BYTES >> 20} MB limit"
            data = path.read_bytes()
        except OSError as error:
            return f"{path.name}: {error.strerror or error}"
        if hashlib.sha256(data).hexdigest() in stored:
            return None  # imported before: the same file
        found = _fingerprinted(media, data)
        return f"{path.name}: {found}" if isinstance(found, str) else found

    async def _fetch_all(self, wanted: Sequence[MediaRecord]) -> list[MediaRecord | str]:
        from bot.importers.web import Crawler

        async with Crawler(self.settings, transport=self._transport) as crawler:
            return await asyncio.gather(*(self._fetch(crawler, media) for media in wanted))

    async def _fetch(self, crawler: Crawler, media: MediaRecord) -> MediaRecord | str:
        from bot.fetching import FetchRefused
        from bot.media.fingerprints import MAX_VIDEO_BYTES

        assert media.content_url is not None
        try:
            async with asyncio.timeout(self.settings.http_deadline):
                data = await crawler.fetch_media(media.content_url, MAX_VIDEO_BYTES)
        except FetchRefused as refused:
            return str(refused)
        except TimeoutError:
            return f"not read within the {self.settings.http_deadline:g} s deadline"
        # Fingerprinting a video takes a second or more: off the loop, so the other fetches go on.
        return await asyncio.to_thread(_fingerprinted, media, data)


def _fingerprinted(media: MediaRecord, data: bytes) -> MediaRecord | str:
    from bot.media import MediaError, fingerprint  # media to read only (see _from_file)

    try:
        print_ = fingerprint(data, known=True)
    except MediaError as error:
        return str(error)
    if media.kind and media.kind != print_.kind.value:
        return f"it is {'an' if print_.kind.value == 'image' else 'a'} {print_.kind.value}, not {media.kind}"
    hashes = tuple(digest.hex() for digest in print_.hashes)
    return replace(media, kind=print_.kind.value, hashes=hashes, sha256=print_.sha256, file="")


# ------------------------------------------------------------------------ in the import's transaction


@dataclass
class Prepared:
    """A batch as it is upserted, and what its media-only records did without an upsert."""

    records: list[FactCheckRecord]
    media: dict[str, list[MediaRecord]]  # by fact-check URL, from every record of the batch
    attached: int = 0  # media added to fact-checks stored already
    skipped: list[FactCheckRecord] = field(default_factory=list)  # media-only records, nothing upserted
    protected: list[FactCheckRecord] = field(default_factory=list)  # of the review workflow's


def prepare(session: Session, batch: Sequence[FactCheckRecord]) -> Prepared:
    """Which records of a batch are upserted: every ClaimReview, and a MediaReview alone only when no
    fact-check of its URL is stored or in the batch (it then makes one); the others add their media."""
    media: dict[str, list[MediaRecord]] = {}
    for record in batch:
        media.setdefault(record.url, []).extend(record.media)
    full = {record.url for record in batch if not record.media_only}
    alone = [r for r in batch if r.media_only and r.url not in full]
    stored = {}
    if alone:
        query = select(FactCheck.id, FactCheck.url, FactCheck.origin)
        rows = session.exec(query.where(col(FactCheck.url).in_({r.url for r in alone}))).all()
        stored = {url: (fact_check_id, origin) for fact_check_id, url, origin in rows}
    prepared = Prepared([], media)
    created: set[str] = set()
    for record in batch:
        if not record.media_only or record.url in full:
            if not record.media_only:
                prepared.records.append(record)
            continue
        if record.url in stored:
            fact_check_id, origin = stored[record.url]
            if origin == REVIEW_ORIGIN:
                prepared.protected.append(record)
            else:
                prepared.attached += _add(session, fact_check_id, media.pop(record.url, []))
                prepared.skipped.append(record)
        elif record.url not in created:  # the first of its URL makes the fact-check; all add media
            created.add(record.url)
            prepared.records.append(record)
    return prepared


def store(session: Session, prepared: Prepared, results: Iterable[UpsertResult]) -> int:
    """Store the media of the upserted fact-checks (not of the review workflow's); how many were new."""
    added = 0
    for record, result in zip(prepared.records, results, strict=True):
        if not result.protected:
            added += _add(session, result.fact_check_id, prepared.media.pop(record.url, []))
    return prepared.attached + added


def _add(session: Session, fact_check_id: int, media: Iterable[MediaRecord]) -> int:
    added = 0
    for one in media:
        if one.hashes or (one.sha256 and one.kind):  # media `resolve` could not read was reported
            added += known_media.add_known(session, fact_check_id, one, IMPORTED_BY)[1]
    return added
