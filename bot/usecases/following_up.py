"""What an asker does after a reply: pick a suggestion, say "not what I asked", ask to be notified.

Each acts on the asker's own question only (bot/usecases/requests.py): request ids are sequential,
so button data naming someone else's question is refused and audited.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from bot.articles import focus
from bot.config import Settings
from bot.domain import Asker, Candidate, NotFound, Outcome, OutcomeKind, ServiceError
from bot.i18n import N_
from bot.usecases.moderation import Moderation
from bot.usecases.notifications import enqueue_answer
from bot.usecases.requests import own_request
from bot.usecases.review import Review
from store import factchecks
from store.db import session_scope
from store.models import FactCheckStatus, Request, ReviewItem, ReviewStatus, Subscription


class FollowingUp:
    def __init__(self, engine: Engine, settings: Settings, moderation: Moderation, review: Review) -> None:
        self.engine = engine
        self.settings = settings
        self.moderation = moderation
        self.review = review

    def choose(self, request_id: int, fact_check_id: int, asker: Asker) -> Outcome:
        """The asker picked one of the suggested fact-checks."""
        with session_scope(self.engine) as session:
            request = own_request(session, self.settings, self.moderation, request_id, asker, "choose")
            card = factchecks.get_card(session, fact_check_id)
            if card is None or card.status != FactCheckStatus.PUBLISHED:
                raise NotFound(N_("That fact-check is no longer available."))
            request.fact_check_id = fact_check_id
            request.outcome = OutcomeKind.ANSWER.value
            session.add(request)
            return Outcome(
                OutcomeKind.ANSWER,
                request_id,
                card,
                (Candidate(card, request.score or 0.0),),
                language=request.language or "en",
            )

    def not_what_i_asked(self, request_id: int, asker: Asker) -> Outcome:
        """The answer or suggestions missed the point: queue the question for people to review."""
        with session_scope(self.engine) as session:
            request = own_request(
                session, self.settings, self.moderation, request_id, asker, "not_what_i_asked"
            )
            language = request.language or "en"
            if request.review_item_id is not None:
                return Outcome(
                    OutcomeKind.QUEUED, request_id, review_item_id=request.review_item_id, language=language
                )
            request.fact_check_id = None
            item = self.review.queue_question(session, request, focus(request.text))
            return Outcome(OutcomeKind.QUEUED, request_id, review_item_id=item.id, language=language)

    def subscribe(self, asker: Asker, reply_to: str, request_id: int) -> bool:
        """Notify the asker when the question's review item gets a verdict or its fact-check is revised.

        Only the person who asked may subscribe to a question: the answer to a private question
        reaches nobody else.
        """
        with session_scope(self.engine) as session:
            if session.get(Request, request_id) is None:
                raise NotFound(N_("That question is no longer stored."))
            request = own_request(session, self.settings, self.moderation, request_id, asker, "subscribe")
            hashed = request.asker_hash
            review_item_id, fact_check_id = request.review_item_id, request.fact_check_id
            item = session.get(ReviewItem, review_item_id) if review_item_id is not None else None
            answered = item is not None and item.status == ReviewStatus.ANSWERED and item.fact_check_id
            if item is not None and not answered:
                fact_check_id = None  # waiting for the verdict; it comes through the review item
            else:
                # Answered already (perhaps moments ago): follow the fact-check itself.
                review_item_id = None
                fact_check_id = item.fact_check_id if item is not None else fact_check_id
            if review_item_id is None and fact_check_id is None:
                raise ServiceError(
                    N_("Pick one of the suggestions first, or send the question to our reviewers.")
                )
            subscription = Subscription(
                platform=asker.platform,
                asker_hash=hashed,
                reply_to=reply_to,
                review_item_id=review_item_id,
                fact_check_id=fact_check_id,
                request_id=request.id,
                language=request.language,
            )
            exists = session.exec(
                select(Subscription.id).where(
                    Subscription.platform == subscription.platform,
                    Subscription.asker_hash == hashed,
                    Subscription.review_item_id == subscription.review_item_id,
                    Subscription.fact_check_id == subscription.fact_check_id,
                )
            ).first()
            if exists is not None:
                return False
            session.add(subscription)
            if item is not None and answered and fact_check_id is not None:
                card = factchecks.get_card(session, fact_check_id)
                if card is not None:
                    enqueue_answer(session, subscription, card)  # the verdict they missed
            return True
