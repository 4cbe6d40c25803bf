"""The FactCheck aggregate: fact-checks with their sources and aliases."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from bot.domain import FactCheckCard, SourceLink
from bot.importers.records import FactCheckRecord
from bot.ratings import Verdict, parse_verdict
from store.models import Alias, FactCheck, FactCheckStatus, Source, utcnow


@dataclass
class UpsertResult:
    fact_check: FactCheck
    created: bool
    changed: bool


def to_card(fact_check: FactCheck, sources: Iterable[Source]) -> FactCheckCard:
    assert fact_check.id is not None
    return FactCheckCard(
        id=fact_check.id,
        url=fact_check.url,
        claim=fact_check.claim,
        title=fact_check.title,
        summary=fact_check.summary,
        verdict=parse_verdict(fact_check.rating) or Verdict.UNRATED,
        rating_text=fact_check.rating_text,
        rating_confirmed=fact_check.rating_confirmed,
        publisher=fact_check.publisher,
        checked_at=fact_check.checked_at,
        sources=tuple(
            SourceLink(outlet=s.outlet, url=s.url, position=s.position, title=s.title)
            for s in sorted(sources, key=lambda s: s.position)
        ),
        revision=fact_check.revision,
        status=fact_check.status,
        origin=fact_check.origin,
    )


def get_card(session: Session, fact_check_id: int) -> FactCheckCard | None:
    fact_check = session.get(FactCheck, fact_check_id)
    if fact_check is None:
        return None
    sources = session.exec(select(Source).where(Source.fact_check_id == fact_check_id)).all()
    return to_card(fact_check, sources)


def get_cards(session: Session, ids: Iterable[int]) -> dict[int, FactCheckCard]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    facts = session.exec(select(FactCheck).where(col(FactCheck.id).in_(wanted))).all()
    sources: dict[int, list[Source]] = {}
    for source in session.exec(select(Source).where(col(Source.fact_check_id).in_(wanted))):
        sources.setdefault(source.fact_check_id, []).append(source)
    return {f.id: to_card(f, sources.get(f.id, [])) for f in facts if f.id is not None}


def find_by_url(session: Session, url: str) -> FactCheck | None:
    return session.exec(select(FactCheck).where(FactCheck.url == url)).first()


_RECORD_FIELDS = (
    "claim",
    "title",
    "summary",
    "rating_text",
    "rating_confirmed",
    "publisher",
    "checked_at",
    "language",
    "body",
    "origin",
)


def upsert_record(
    session: Session, record: FactCheckRecord, status: str = FactCheckStatus.PUBLISHED
) -> UpsertResult:
    """Insert a fact-check or update the one with the same URL; a real change bumps its revision."""
    values = {name: getattr(record, name) for name in _RECORD_FIELDS}
    values["rating"] = record.verdict.value
    values["follow_ups"] = json.dumps(record.follow_ups, ensure_ascii=False) if record.follow_ups else None
    new_sources = [(s.position, s.outlet, s.title, s.url) for s in record.sources]

    existing = find_by_url(session, record.url)
    if existing is None:
        fact_check = FactCheck(url=record.url, status=status, **values)
        session.add(fact_check)
        session.flush()
        _replace_sources(session, fact_check, new_sources)
        return UpsertResult(fact_check, created=True, changed=True)

    old_sources = [
        (s.position, s.outlet, s.title, s.url)
        for s in session.exec(
            select(Source).where(Source.fact_check_id == existing.id).order_by(col(Source.position))
        )
    ]
    changed = any(getattr(existing, k) != v for k, v in values.items()) or old_sources != new_sources
    if changed:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.revision += 1
        existing.updated_at = utcnow()
        session.add(existing)
        _replace_sources(session, existing, new_sources)
    return UpsertResult(existing, created=False, changed=changed)


def _replace_sources(session: Session, fact_check: FactCheck, sources: list[tuple]) -> None:
    session.exec(delete(Source).where(col(Source.fact_check_id) == fact_check.id))
    for position, outlet, title, url in sources:
        session.add(
            Source(fact_check_id=fact_check.id, position=position, outlet=outlet, title=title, url=url)
        )


def add_alias(session: Session, fact_check_id: int, text: str, added_by: str) -> bool:
    exists = session.exec(
        select(Alias).where(Alias.fact_check_id == fact_check_id, Alias.text == text)
    ).first()
    if exists:
        return False
    session.add(Alias(fact_check_id=fact_check_id, text=text, added_by=added_by))
    fact_check = session.get(FactCheck, fact_check_id)
    if fact_check is not None:
        # Touch it so other workers' indexes pick the alias up.
        fact_check.updated_at = utcnow()
        session.add(fact_check)
    return True


@dataclass(frozen=True)
class IndexRow:
    id: int
    claim: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    status: str


def iter_index_rows(
    session: Session, since: datetime | None = None, ids: Iterable[int] | None = None, batch: int = 5000
) -> Iterator[IndexRow]:
    """Fact-checks with their aliases in id order, batched: all, those changed since a time, or given ids."""
    wanted = sorted(set(ids)) if ids is not None else None
    last_id = 0
    while True:
        query = select(FactCheck).where(col(FactCheck.id) > last_id).order_by(col(FactCheck.id)).limit(batch)
        if since is not None:
            query = query.where(col(FactCheck.updated_at) >= since)
        if wanted is not None:
            query = query.where(col(FactCheck.id).in_(wanted))
        facts = session.exec(query).all()
        if not facts:
            return
        ids = [f.id for f in facts]
        aliases: dict[int, list[str]] = {}
        for alias in session.exec(select(Alias).where(col(Alias.fact_check_id).in_(ids))):
            aliases.setdefault(alias.fact_check_id, []).append(alias.text)
        for f in facts:
            assert f.id is not None
            yield IndexRow(f.id, f.claim, f.title, f.summary, tuple(aliases.get(f.id, ())), f.status)
        last_id = ids[-1]
