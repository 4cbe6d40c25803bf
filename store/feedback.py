"""Answer feedback rows: one vote per request, the tallies per fact-check, and the "wrong claim" hold.

The callers hand over phrasings already normalised (the store knows nothing of the matcher).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from bot.domain import FeedbackTally, Reason, Vote
from store.models import AnswerFeedback, FactCheck, utcnow


def for_request(session: Session, request_id: int) -> AnswerFeedback | None:
    return session.exec(select(AnswerFeedback).where(AnswerFeedback.request_id == request_id)).first()


def _holding(phrasings: Iterable[str]):  # noqa: ANN202 - a SQL condition
    return (
        col(AnswerFeedback.phrasing).in_(list(phrasings)),
        AnswerFeedback.reason == Reason.WRONG_CLAIM.value,
        col(AnswerFeedback.cleared_at).is_(None),
    )


def held_back(session: Session, phrasing: str, fact_check_id: int) -> bool:
    """An asker said this fact-check answers another claim than this phrasing, and no moderator
    has linked the phrasing since."""
    query = select(AnswerFeedback.id).where(
        *_holding([phrasing]), AnswerFeedback.fact_check_id == fact_check_id
    )
    return session.exec(query.limit(1)).first() is not None


def clear_holds(session: Session, phrasings: Iterable[str]) -> int:
    """A moderator linked these phrasings to a fact-check: their "wrong claim" holds end."""
    rows = session.exec(select(AnswerFeedback).where(*_holding(phrasings))).all()
    now = utcnow()
    for row in rows:
        row.cleared_at = now
        session.add(row)
    return len(rows)


def tallies(session: Session, limit: int = 20) -> list[FeedbackTally]:
    """Fact-checks with feedback, the most "not helpful" first."""

    def counted(condition: object) -> object:
        return func.sum(case((condition, 1), else_=0))

    down = counted(AnswerFeedback.vote == Vote.DOWN.value)
    query = (
        select(
            AnswerFeedback.fact_check_id,
            FactCheck.claim,
            counted(AnswerFeedback.vote == Vote.UP.value),
            down,
            counted(AnswerFeedback.reason == Reason.WRONG_CLAIM.value),
            counted(AnswerFeedback.reason == Reason.OUTDATED.value),
            counted(AnswerFeedback.reason == Reason.OTHER.value),
        )
        .join(FactCheck, col(FactCheck.id) == col(AnswerFeedback.fact_check_id))
        .group_by(col(AnswerFeedback.fact_check_id), col(FactCheck.claim))
        .order_by(down.desc(), col(AnswerFeedback.fact_check_id))  # type: ignore[attr-defined]
        .limit(limit)
    )
    rows = session.exec(query).all()
    ids = [row[0] for row in rows]
    held: dict[int, list[str]] = {}
    holds = select(AnswerFeedback.fact_check_id, AnswerFeedback.phrasing).where(
        col(AnswerFeedback.fact_check_id).in_(ids),
        AnswerFeedback.reason == Reason.WRONG_CLAIM.value,
        col(AnswerFeedback.cleared_at).is_(None),
    )
    for fact_check_id, phrasing in session.exec(holds.order_by(col(AnswerFeedback.id))):
        if phrasing not in held.setdefault(fact_check_id, []):
            held[fact_check_id].append(phrasing)
    return [
        FeedbackTally(
            fact_check_id=row[0],
            claim=row[1],
            up=int(row[2] or 0),
            down=int(row[3] or 0),
            wrong_claim=int(row[4] or 0),
            outdated=int(row[5] or 0),
            other=int(row[6] or 0),
            held_back=tuple(held.get(row[0], ())),
        )
        for row in rows
    ]
