"""The links that find a fact-check: its own URL and where its claim appeared, keyed by `link_key`."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlmodel import Session, col, delete, select

from bot.domain import ClaimAppearance, FactCheckRecord
from bot.domain.links import link_key
from store.db import bulk_insert
from store.models import ClaimLink, FactCheck, FactCheckStatus

REVIEW_KIND = "review"  # the fact-check's own URL
# An exact hit on the review itself beats one on a page where the claim was seen.
_KIND_ORDER = {REVIEW_KIND: 0, "sameAs": 1, "appearance": 2, "firstAppearance": 3}


def wanted_links(record: FactCheckRecord) -> set[tuple[str, str, str]]:
    """(key, url, kind) of every link that should find this record's fact-check."""
    wanted = {(key, record.url, REVIEW_KIND)} if (key := link_key(record.url)) else set()
    for appearance in record.appearances:
        key = link_key(appearance.url)
        if key is not None:
            wanted.add((key, appearance.url, appearance.kind))
    return wanted


def sync_links(
    session: Session, records: Iterable[tuple[int, FactCheckRecord]], *, new: Collection[int] = ()
) -> None:
    """Make each fact-check's link rows those its record names (an import is the source of truth).

    `new`: fact-checks inserted in this transaction, which hold no links yet (not looked up)."""
    wanted = {fact_check_id: wanted_links(record) for fact_check_id, record in records}
    if not wanted:
        return
    held: dict[int, set[tuple[str, str, str]]] = {}
    looked_up = [i for i in wanted if i not in new]
    if looked_up:
        columns = (ClaimLink.fact_check_id, ClaimLink.key, ClaimLink.url, ClaimLink.kind)
        query = select(*columns).where(col(ClaimLink.fact_check_id).in_(looked_up))
        for fact_check_id, key, url, kind in session.exec(query):
            held.setdefault(fact_check_id, set()).add((key, url, kind))
    stale = [i for i, links in wanted.items() if held.get(i, set()) != links]
    if not stale:
        return
    replaced = [i for i in stale if i in held]
    if replaced:
        session.exec(delete(ClaimLink).where(col(ClaimLink.fact_check_id).in_(replaced)))  # type: ignore[call-overload]
    rows = [
        {"fact_check_id": fact_check_id, "key": key, "url": url, "kind": kind}
        for fact_check_id in stale
        for key, url, kind in sorted(wanted[fact_check_id])
    ]
    bulk_insert(session, ClaimLink.__table__, rows)  # type: ignore[attr-defined]


def fact_checks_for_link(session: Session, url: str) -> list[tuple[int, str]]:
    """(fact-check id, kind) of published fact-checks a link finds: their own URL first."""
    key = link_key(url)
    if key is None:
        return []
    query = (
        select(ClaimLink.fact_check_id, ClaimLink.kind)
        .join(FactCheck, col(FactCheck.id) == col(ClaimLink.fact_check_id))
        .where(ClaimLink.key == key, FactCheck.status == FactCheckStatus.PUBLISHED)
    )
    found = sorted(set(session.exec(query).all()), key=lambda row: (_KIND_ORDER.get(row[1], 9), row[0]))
    best: dict[int, str] = {}
    for fact_check_id, kind in found:
        best.setdefault(fact_check_id, kind)
    return list(best.items())


def appearances_of(session: Session, ids: Iterable[int]) -> dict[int, list[ClaimAppearance]]:
    """Where each fact-check's claim appeared (for the ClaimReview export)."""
    wanted = list(ids)
    out: dict[int, list[ClaimAppearance]] = {}
    if not wanted:
        return out
    query = (
        select(ClaimLink)
        .where(col(ClaimLink.fact_check_id).in_(wanted), ClaimLink.kind != REVIEW_KIND)
        .order_by(col(ClaimLink.id))
    )
    for row in session.exec(query):
        out.setdefault(row.fact_check_id, []).append(ClaimAppearance(row.url, row.kind))
    return out
