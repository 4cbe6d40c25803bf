"""Was this helpful? The asker's 👍 / 👎 on an answer, why a 👎, and the tallies moderators read.

One vote per answered request, changeable, and only by the person who asked (the ownership rule
of bot/usecases/requests.py, as for "notify me"). "Wrong claim" says the fact-check answers another
claim than the one asked: for that phrasing (the normalised question) it stops being the automatic
answer and is offered as a suggestion instead, and the question goes to the reviewers. A
moderator's link of that phrasing to a fact-check (bot/usecases/review.py) ends the hold: linking
it to the same fact-check confirms the answer, to another one replaces it.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.domain import (
    REASON_CODES,
    VOTE_CODES,
    Actor,
    Asker,
    FeedbackTally,
    NotFound,
    Reason,
    ServiceError,
    Vote,
)
from bot.usecases.moderation import Moderation
from bot.usecases.requests import own_request, phrasing_key
from bot.usecases.review import Review
from store import feedback
from store.db import session_scope
from store.models import AnswerFeedback, Request, utcnow

NOTHING_TO_RATE = "There is no answer to rate here: pick one of the suggestions first."
BAD_BUTTON = "That button is not valid any more."


class Feedback:
    def __init__(self, engine: Engine, settings: Settings, moderation: Moderation, review: Review) -> None:
        self.engine = engine
        self.settings = settings
        self.moderation = moderation
        self.review = review

    def vote(self, request_id: int, asker: Asker, vote_code: int) -> Vote:
        """Record (or change) the asker's vote on the answer to their question."""
        vote = VOTE_CODES.get(vote_code)
        if vote is None:
            raise ServiceError(BAD_BUTTON)
        with session_scope(self.engine) as session:
            request = self._answered(session, request_id, asker, "feedback")
            row = self._row(session, request)
            if row.vote != vote.value:
                row.reason = None  # a reason belongs to a 👎; a changed vote starts over
            row.vote = vote.value
            row.updated_at = utcnow()
            session.add(row)
        return vote

    def reason(self, request_id: int, asker: Asker, reason_code: int) -> Reason:
        """Why the answer was not helpful; "wrong claim" also sends the question to the reviewers."""
        reason = REASON_CODES.get(reason_code)
        if reason is None:
            raise ServiceError(BAD_BUTTON)
        with session_scope(self.engine) as session:
            request = self._answered(session, request_id, asker, "feedback")
            row = self._row(session, request)
            row.vote, row.reason, row.updated_at, row.cleared_at = (
                Vote.DOWN.value,
                reason.value,
                utcnow(),
                None,
            )
            session.add(row)
            if reason is Reason.WRONG_CLAIM and request.review_item_id is None:
                # Moderators settle it: their link of this phrasing ends the hold.
                self.review.queue_question(session, request, request.text)
        return reason

    def tallies(self, actor: Actor, limit: int = 20) -> list[FeedbackTally]:
        """Votes counted per fact-check, the most "not helpful" first: for moderators only."""
        self.moderation.authorize(actor, "feedback", "feedback")
        with Session(self.engine) as session:
            return feedback.tallies(session, limit)

    def _answered(self, session: Session, request_id: int, asker: Asker, action: str) -> Request:
        if session.get(Request, request_id) is None:
            raise NotFound("That question is no longer stored.")
        request = own_request(session, self.settings, self.moderation, request_id, asker, action)
        if request.fact_check_id is None:
            raise ServiceError(NOTHING_TO_RATE)
        return request

    def _row(self, session: Session, request: Request) -> AnswerFeedback:
        """The request's feedback row, following the answer it now has (a suggestion picked later)."""
        assert request.id is not None and request.fact_check_id is not None
        row = feedback.for_request(session, request.id)
        if row is None:
            row = AnswerFeedback(
                request_id=request.id,
                fact_check_id=request.fact_check_id,
                platform=request.platform,
                asker_hash=request.asker_hash,
                vote=Vote.UP.value,
                phrasing=phrasing_key(request.text),
            )
        row.fact_check_id = request.fact_check_id
        return row
