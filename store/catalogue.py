"""Read-side queries of the fact-check aggregate for browsing: a filtered page, text search, aliases.

The match index answers "which fact-check is this question about"; these answer a moderator looking
for one by its words, id or state, whatever the index holds (drafts and retracted ones included).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from store.models import Alias, FactCheck

MAX_TERMS = 8  # a pasted paragraph is not a search; its first words are


def _filters(status: str | None, rating: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(col(FactCheck.status) == status)
    if rating is not None:
        where.append(col(FactCheck.rating) == rating)
    return where


def page_ids(
    session: Session, *, status: str | None, rating: str | None, limit: int, offset: int
) -> tuple[list[int], int]:
    """Ids of one page, newest stored first, and the number of fact-checks the filters select."""
    where = _filters(status, rating)
    total = session.exec(select(func.count()).select_from(FactCheck).where(*where)).one()
    query = select(FactCheck.id).where(*where).order_by(col(FactCheck.id).desc()).limit(limit).offset(offset)
    return [i for i in session.exec(query).all() if i is not None], int(total)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_search_ids(
    session: Session, text: str, *, status: str | None, rating: str | None, limit: int
) -> list[int]:
    """Fact-checks whose claim, title, URL or an alias holds every word of `text` (case-insensitive)."""
    terms = [t for t in text.lower().split() if len(t) > 1][:MAX_TERMS] or text.lower().split()[:1]
    if not terms:
        return []
    aliased = select(Alias.fact_check_id)
    fields = (FactCheck.claim, FactCheck.title, FactCheck.url)
    conditions = []
    for term in terms:
        pattern = f"%{_escape_like(term)}%"
        in_alias = col(FactCheck.id).in_(
            aliased.where(func.lower(col(Alias.text)).like(pattern, escape="\\"))
        )
        in_fields = [func.lower(col(f)).like(pattern, escape="\\") for f in fields]
        conditions.append(or_(*in_fields, in_alias))
    query = (
        select(FactCheck.id)
        .where(and_(*conditions), *_filters(status, rating))
        .order_by(col(FactCheck.id).desc())
        .limit(limit)
    )
    return [i for i in session.exec(query).all() if i is not None]


def aliases_of(session: Session, fact_check_id: int) -> list[str]:
    query = select(Alias.text).where(Alias.fact_check_id == fact_check_id).order_by(col(Alias.id))
    return list(session.exec(query).all())
