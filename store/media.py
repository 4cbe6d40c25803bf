"""Known media of fact-checks: stored by fingerprint, read back to build the media index."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, col, select

from bot.domain import Authenticity, MediaRecord
from store.models import KnownMedia


def add_known(
    session: Session, fact_check_id: int, record: MediaRecord, added_by: str
) -> tuple[KnownMedia, bool]:
    """Store media of a fact-check, and whether it is new: the same hashes attached again are not
    repeated (nor, for media known by its sha256 alone, the same file)."""
    hashes = " ".join(record.hashes)
    same = select(KnownMedia).where(KnownMedia.fact_check_id == fact_check_id, KnownMedia.hashes == hashes)
    if not hashes:
        same = same.where(KnownMedia.sha256 == record.sha256)
    existing = session.exec(same).first()
    if existing is not None:
        return existing, False
    row = KnownMedia(
        fact_check_id=fact_check_id,
        kind=record.kind,
        authenticity=record.authenticity.value if record.authenticity else None,
        description=record.description,
        content_url=record.content_url,
        hashes=hashes,
        sha256=record.sha256,
        added_by=added_by,
    )
    session.add(row)
    session.flush()
    return row, True


def known_since(session: Session, after_id: int = 0, batch: int = 5000) -> Iterator[KnownMedia]:
    """Known media in id order after a given id (rows are only added; a fact-check's deletion removes its)."""
    while True:
        rows = session.exec(
            select(KnownMedia).where(col(KnownMedia.id) > after_id).order_by(col(KnownMedia.id)).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after_id = rows[-1].id or after_id


def for_fact_check(session: Session, fact_check_id: int) -> list[KnownMedia]:
    return list(session.exec(select(KnownMedia).where(KnownMedia.fact_check_id == fact_check_id)))


def to_record(row: KnownMedia) -> MediaRecord:
    """A stored row as the domain's known media (what an export writes)."""
    return MediaRecord(
        kind=row.kind,
        authenticity=Authenticity(row.authenticity) if row.authenticity else None,
        description=row.description,
        content_url=row.content_url,
        hashes=tuple(row.hashes.split()),
        sha256=row.sha256,
    )
