"""Delivery, the adapters' side of the outbox: lease due notifications, mark each delivered or failed,
and remember where answers landed (sent replies) so that revisions edit them and moderators pin them.

What goes into the outbox is `bot.usecases.notifications`; the async loop that drives a platform's
deliveries is bot/delivery.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import Actor, Delivery, FactCheckCard, NotFound
from bot.i18n import N_
from bot.usecases.moderation import record_audit
from bot.usecases.review import Review
from store import factchecks, outbox
from store.db import session_scope
from store.models import Request, ReviewItem, SentReply

log = logging.getLogger(__name__)


def _find_sent(session: Session, platform: str, chat_id: str, message_id: str) -> SentReply | None:
    return session.exec(
        select(SentReply).where(
            SentReply.platform == platform,
            SentReply.chat_id == chat_id,
            SentReply.message_id == message_id,
        )
    ).first()


class Outbox:
    def __init__(self, engine: Engine, settings: Settings, review: Review) -> None:
        self.engine = engine
        self.settings = settings
        self.review = review

    def claim_deliveries(self, platform: str, limit: int = 20) -> list[Delivery]:
        """Lease due notifications for an adapter to deliver."""
        with session_scope(self.engine) as session:
            rows = outbox.claim(session, platform, limit, self.lease)
            deliveries = []
            for row in rows:
                assert row.id is not None
                card = factchecks.get_card(session, row.fact_check_id) if row.fact_check_id else None
                review = None
                if row.review_item_id is not None:
                    item = session.get(ReviewItem, row.review_item_id)
                    review = self.review.summary(session, item, with_suggestions=True) if item else None
                deliveries.append(
                    Delivery(row.id, row.kind, row.target, card, review, row.attempts, row.language or "en")
                )
            return deliveries

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.outbox_lease_seconds)

    def renew_lease(self, delivery: Delivery) -> bool:
        """Keep a notification being sent leased; False when another worker has claimed it since."""
        with session_scope(self.engine) as session:
            return outbox.renew(session, delivery.id, delivery.attempts, self.lease)

    def delivered(self, delivery: Delivery) -> bool:
        """Record a delivery; False when this claim no longer held the notification (recorded anyway)."""
        with session_scope(self.engine) as session:
            held = outbox.mark_delivered(session, delivery.id, delivery.attempts)
        if not held:
            log.warning(
                "notification %s was delivered after this worker lost its claim (another worker "
                "re-claimed it when the lease ran out, or it was cancelled); it may arrive twice",
                delivery.id,
            )
        return held

    def delivery_failed(self, delivery: Delivery, error: str, *, permanent: bool = False) -> str:
        with session_scope(self.engine) as session:
            status = outbox.mark_failed(session, delivery.id, delivery.attempts, error, permanent=permanent)
        log.warning("notification %s failed (%s): %s", delivery.id, status, error)
        return status

    def backlog(self) -> int:
        with Session(self.engine) as session:
            return outbox.backlog(session)

    # ---------------------------------------------------------------- sent replies

    def record_sent(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        fact_check: FactCheckCard,
        request_id: int | None = None,
        language: str | None = None,
    ) -> None:
        """Remember where an answer was posted so a revision can edit it in place."""
        with session_scope(self.engine) as session:
            sent = _find_sent(session, platform, chat_id, message_id) or SentReply(
                platform=platform, chat_id=chat_id, message_id=message_id, fact_check_id=0
            )
            sent.fact_check_id = fact_check.id
            sent.revision = fact_check.revision
            if language is not None:
                sent.language = language
            if request_id is not None:
                # Locked so a concurrent /forget waits for us; gone when /forget came first, and then
                # where the reply went is not theirs to keep either.
                if session.get(Request, request_id, with_for_update=True) is None:
                    return
                sent.request_id = request_id
            session.add(sent)

    def sent_reply(self, platform: str, chat_id: str, message_id: str) -> SentReply | None:
        with Session(self.engine) as session:
            return _find_sent(session, platform, chat_id, message_id)

    def mark_pinned(self, actor: Actor, chat_id: str, message_id: str) -> None:
        with session_scope(self.engine) as session:
            sent = _find_sent(session, actor.platform, chat_id, message_id)
            if sent is None:
                raise NotFound(N_("Only ClaimBot's answers can be pinned."))
            sent.pinned = True
            session.add(sent)
            record_audit(session, actor, "pin", f"message:{chat_id}:{message_id}", True)
