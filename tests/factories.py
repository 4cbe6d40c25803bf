"""Test data built in one place."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.domain import FactCheckCard, SourceLink, Verdict
from store.models import AnswerFeedback, AuditLog, Request, ReviewItem


def fact_check_card(**changes: Any) -> FactCheckCard:
    """A published fact-check card with plausible values; keyword arguments replace any of them."""
    values: dict[str, Any] = {
        "id": 1,
        "url": "https://example.org/report",
        "claim": "A New York City police officer arrested an ICE agent",
        "title": "Did an NYPD officer arrest an ICE agent?",
        "summary": "No record shows it; the viral clip was AI-generated.",
        "verdict": Verdict.FALSE,
        "rating_text": "False",
        "rating_confirmed": True,
        "publisher": "AFP",
        "checked_at": date(2026, 2, 2),
        "sources": (SourceLink("AFP", "https://afp.example/a", 1),),
        "revision": 1,
        "status": "published",
    }
    values.update(changes)
    return FactCheckCard(**values)


# ------------------------------------------------ stored rows at chosen times (tests/test_statistics.py)
# The service stamps rows with the clock; the dashboard's tests need questions on given days.


def add_request(
    session: Session, asked_at: datetime, outcome: str | None = "answer", **changes: Any
) -> Request:
    """A stored question asked at `asked_at` (aware), flushed so it has its id."""
    values: dict[str, Any] = {
        "platform": "telegram",
        "chat_id": "chat-1",
        "asker_hash": "a" * 64,
        "text": "is the claim true",
        "language": "en",
    }
    values.update(changes)
    request = Request(asked_at=asked_at, outcome=outcome, **values)
    session.add(request)
    session.flush()
    return request


def add_review_item(session: Session, first_asked_at: datetime, **changes: Any) -> ReviewItem:
    values: dict[str, Any] = {"text": "the council banned skateboards", "last_asked_at": first_asked_at}
    values.update(changes)
    item = ReviewItem(first_asked_at=first_asked_at, **values)
    session.add(item)
    session.flush()
    return item


def add_audit(session: Session, action: str, target: str, at: datetime, *, allowed: bool = True) -> AuditLog:
    row = AuditLog(actor="cli:mod", action=action, target=target, allowed=allowed, at=at)
    session.add(row)
    return row


def add_vote(session: Session, request: Request, vote: str, created_at: datetime) -> AnswerFeedback:
    assert request.id is not None and request.fact_check_id is not None
    row = AnswerFeedback(
        request_id=request.id,
        fact_check_id=request.fact_check_id,
        platform=request.platform,
        asker_hash=request.asker_hash,
        vote=vote,
        phrasing=request.text,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(row)
    return row
