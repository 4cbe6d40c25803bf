"""Browsing the catalogue: a page of fact-checks, a search by words, one fact-check in full.

For moderators, so that linking a review item to a fact-check needs no id from memory. Search asks the
match index first (published fact-checks, ranked with real scores), then the stored text (any status,
every word in the claim, title, URL or an alias), so a draft or a fact-check the index scores low is
still found.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import (
    Actor,
    CataloguePage,
    FactCheckDetail,
    NotFound,
    SearchHit,
    ServiceError,
    Verdict,
)
from bot.matching import Matcher
from bot.text import clean_text
from bot.usecases.catalogue import candidates
from bot.usecases.moderation import Moderation
from store import catalogue, factchecks
from store.models import FactCheck, FactCheckStatus

MAX_PAGE = 200
# Calibrated scores this low mean the index shares a word or two with the search and nothing more
# (a 5G search scores bleach at 0.00); such hits only pad the list, and the text search still finds
# any fact-check that holds every searched word.
SEARCH_FLOOR = 0.05
STATUSES = tuple(s.value for s in FactCheckStatus)


def parse_status(status: str | None) -> str | None:
    """A fact-check status by name (None or "all": any); anything else is the person's mistake."""
    if status is None or status.strip().lower() in ("", "all", "any"):
        return None
    wanted = status.strip().lower()
    if wanted not in STATUSES:
        raise ServiceError(f"No status {status!r}: use one of {', '.join(STATUSES)} or all.")
    return wanted


def parse_verdict_label(verdict: str | None) -> str | None:
    """A verdict label of the scale, in any case ("false", "Mostly true"); None means any verdict."""
    if verdict is None or not verdict.strip():
        return None
    wanted = " ".join(verdict.replace("_", " ").replace("-", " ").lower().split())
    for label in Verdict:
        if label.value.lower() == wanted:
            return label.value
    raise ServiceError(f"No verdict {verdict!r}: use one of {', '.join(v.value for v in Verdict)}.")


def _bounded(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ServiceError(f"The limit must be between 1 and {MAX_PAGE}.")
    return limit


class Browsing:
    def __init__(self, engine: Engine, matcher: Matcher, moderation: Moderation) -> None:
        self.engine = engine
        self.matcher = matcher
        self.moderation = moderation

    def page(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        verdict: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> CataloguePage:
        """One page of stored fact-checks, newest first, filtered by status and verdict."""
        self.moderation.authorize(actor, "factchecks", "list")
        if offset < 0:
            raise ServiceError("The offset cannot be negative.")
        limit = _bounded(limit)
        with Session(self.engine) as session:
            ids, total = catalogue.page_ids(
                session,
                status=parse_status(status),
                rating=parse_verdict_label(verdict),
                limit=limit,
                offset=offset,
            )
            cards = factchecks.get_cards(session, ids)
        return CataloguePage(tuple(cards[i] for i in ids if i in cards), total, offset, limit)

    def search(
        self,
        actor: Actor,
        text: str,
        *,
        status: str | None = None,
        verdict: str | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Fact-checks for a moderator's words: the matcher's ranking, then hits on the stored text."""
        self.moderation.authorize(actor, "factchecks", "search")
        text = clean_text(text)
        if not text:
            raise ServiceError("Say what to search for, for example: 5G covid.")
        limit, wanted_status, rating = _bounded(limit), parse_status(status), parse_verdict_label(verdict)
        hits: list[SearchHit] = []
        with Session(self.engine) as session:
            if wanted_status in (None, FactCheckStatus.PUBLISHED):
                matches = [m for m in self.matcher.match(text, top_k=limit) if m.score >= SEARCH_FLOOR]
                for found in candidates(session, matches):
                    if rating is None or found.fact_check.verdict.value == rating:
                        hits.append(SearchHit(found.fact_check, found.score, "matcher"))
            seen = {hit.fact_check.id for hit in hits}
            ids = catalogue.text_search_ids(session, text, status=wanted_status, rating=rating, limit=limit)
            cards = factchecks.get_cards(session, [i for i in ids if i not in seen])
            hits += [SearchHit(cards[i], None, "text") for i in ids if i in cards]
        return hits[:limit]

    def show(self, actor: Actor, fact_check_id: int) -> FactCheckDetail:
        """One fact-check with its aliases and stored text, whatever its status."""
        self.moderation.authorize(actor, "factchecks", f"show:{fact_check_id}")
        with Session(self.engine) as session:
            card = factchecks.get_card(session, fact_check_id)
            row = session.get(FactCheck, fact_check_id)
            if card is None or row is None:
                raise NotFound(f"There is no fact-check {fact_check_id}.")
            return FactCheckDetail(
                card,
                tuple(catalogue.aliases_of(session, fact_check_id)),
                row.body,
                f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{row.updated_at:%Y-%m-%d %H:%M}",
            )
