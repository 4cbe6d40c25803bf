"""The bundled starter set, kept out of a newsroom's way: removed on request, superseded by imports.

The starter cards (keys `claimbot:starter/…`) let a new install answer at once. A newsroom that imports
its own fact-checks should not see its answer to the README's example turned into a "which one?"
prompt between its card and ours, so an imported fact-check whose claim the matcher would answer
with a starter card withdraws that card. Withdrawn cards are retracted, not deleted: answers already
sent are edited to say so, and a database that held the set is never refilled at start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain import STARTER_KEY_PREFIX, Actor, FactCheckRecord
from bot.matching import MatchDocument, Matcher, Thresholds
from bot.matching.normalise import tokens
from bot.usecases.notifications import enqueue_revision
from store import factchecks
from store.db import session_scope
from store.models import AuditLog, FactCheck, FactCheckStatus, utcnow

IMPORT_ACTOR = Actor("system", "import")  # who the audit log names for a card an import superseded
# Words an imported claim must share with a starter claim before the matcher is asked: a bulk import
# of 300,000 fact-checks must not pay a full match for each against the starter set.
MIN_SHARED_TERMS = 2


def published_starter(session: Session) -> list[FactCheck]:
    query = select(FactCheck).where(
        col(FactCheck.url).startswith(STARTER_KEY_PREFIX),
        FactCheck.status == FactCheckStatus.PUBLISHED,
    )
    return list(session.exec(query).all())


def withdraw(session: Session, fact_check: FactCheck, actor: Actor, action: str, detail: str) -> int:
    """Retract one starter card in the caller's unit of work; every sent copy is edited to say so."""
    assert fact_check.id is not None
    fact_check.status = FactCheckStatus.RETRACTED
    fact_check.revision += 1
    fact_check.updated_at = utcnow()
    session.add(fact_check)
    session.flush()
    card = factchecks.get_card(session, fact_check.id)
    assert card is not None
    # Edits only: someone waiting for updates is not sent a card that no longer stands.
    edits = enqueue_revision(session, card, subscribers=False)
    # Written here rather than through bot.usecases.moderation, which the catalogue (our caller on
    # imports) must not import: moderation → privacy → catalogue would be a cycle.
    target, detail = f"fact_check:{fact_check.id}", f"{detail} edits:{edits}"
    session.add(AuditLog(actor=actor.label, action=action, target=target, allowed=True, detail=detail))
    return fact_check.id


@dataclass
class StarterGuard:
    """The published starter cards of one import, and which imported claims would answer as them."""

    cards: list[FactCheck]
    matcher: Matcher
    terms: dict[int, frozenset[str]]
    _vocabulary: frozenset[str] | None = field(default=None, init=False, repr=False)

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every term of the cards still published."""
        if self._vocabulary is None:
            self._vocabulary = frozenset().union(*self.terms.values())
        return self._vocabulary

    @classmethod
    def load(cls, session: Session, thresholds: Thresholds) -> StarterGuard | None:
        """None when no starter card is published (removed, superseded, or never loaded): nothing to do."""
        cards = published_starter(session)
        if not cards:
            return None
        matcher = Matcher(thresholds)  # lexical: 17 claims, built in a moment
        matcher.upsert_many([MatchDocument(c.id or 0, c.claim, c.title, "", ()) for c in cards])
        terms = {c.id or 0: frozenset(tokens(f"{c.claim} {c.title}")) for c in cards}
        return cls(cards, matcher, terms)

    def superseded_by(self, record: FactCheckRecord) -> int | None:
        """The starter card an imported claim would be answered with, if any."""
        if record.url.startswith(STARTER_KEY_PREFIX):
            return None
        words = frozenset(tokens(record.claim))
        # Most claims share fewer terms than that with all the cards together: one intersection says so.
        if len(words & self.vocabulary) < MIN_SHARED_TERMS:
            return None
        if not any(len(words & card_terms) >= MIN_SHARED_TERMS for card_terms in self.terms.values()):
            return None
        matches = self.matcher.match(record.claim, top_k=3)
        if self.matcher.decide(matches) != "answer":
            return None
        return matches[0].fact_check_id

    def supersede(
        self, session: Session, records: Iterable[tuple[FactCheckRecord, int]]
    ) -> list[tuple[FactCheckRecord, int]]:
        """Withdraw the starter cards these imported (record, fact-check id) pairs answer.

        Returns each superseding record with the id of the starter card it withdrew.
        """
        withdrawn: list[tuple[FactCheckRecord, int]] = []
        by_id = {card.id: card for card in self.cards}
        for record, fact_check_id in records:
            if not by_id:
                break
            starter_id = self.superseded_by(record)
            card = by_id.pop(starter_id, None) if starter_id is not None else None
            if card is None:
                continue
            detail = f"superseded by fact_check:{fact_check_id} ({record.url[:120]})"
            withdrawn.append((record, withdraw(session, card, IMPORT_ACTOR, "starter_superseded", detail)))
            self.matcher.remove(starter_id)  # type: ignore[arg-type]
            self.terms.pop(starter_id, None)  # type: ignore[arg-type]
            self._vocabulary = None
        self.cards = list(by_id.values())
        return withdrawn


class Authorizer(Protocol):
    """Who may change the catalogue (bot.usecases.moderation.Moderation)."""

    def authorize(self, actor: Actor, action: str, target: str = "") -> None: ...


class Reindexer(Protocol):
    """This worker's match index (bot.usecases.catalogue.Catalogue)."""

    def reindex(self, session: Session, fact_check_ids: Iterable[int]) -> None: ...


class Starter:
    def __init__(self, engine: Engine, moderation: Authorizer, index: Reindexer) -> None:
        self.engine = engine
        self.moderation = moderation
        self.index = index

    def remove(self, actor: Actor) -> list[int]:
        """Withdraw every published starter card (`claimbot starter remove`); the ids withdrawn."""
        self.moderation.authorize(actor, "starter_remove", "starter")
        with session_scope(self.engine) as session:
            withdrawn = [
                withdraw(session, card, actor, "starter_remove", "removed by a moderator")
                for card in published_starter(session)
            ]
            self.index.reindex(session, withdrawn)
            return withdrawn
