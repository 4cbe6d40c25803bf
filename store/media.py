"""Known media of fact-checks: stored by fingerprint, read back to build the media index."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, col, select

from bot.domain import MediaRecord
from store.models import KnownMedia


def add_known(session: Session, fact_check_id: int, record: MediaRecord, added_by: str) -> KnownMedia:
    """Store media of a fact-check; the same file (or the same hashes) attached again is not repeated."""
    hashes = " ".join(record.hashes)
    existing = session.exec(
        select(KnownMedia).where(KnownMedia.fact_check_id == fact_check_id, KnownMedia.hashes == hashes)
    ).first()
    if existing is not None:
        return existing
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
    return row


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
