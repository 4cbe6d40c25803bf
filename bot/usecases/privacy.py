"""What is stored about a person, and how it goes: the salted asker hash, /forget, the retention purge."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, delete, func, or_, select

from bot.config import Settings
from bot.domain import Asker
from bot.usecases.catalogue import Catalogue
from bot.usecases.notifications import enqueue_revision
from store import factchecks
from store.db import session_scope
from store.models import (
    Alias,
    FactCheck,
    FactCheckStatus,
    Notification,
    Request,
    ReviewItem,
    ReviewStatus,
    SentReply,
    Subscription,
    utcnow,
)

# What replaces a forgotten person's question where it was copied and nobody else's phrasing can.
WITHDRAWN = "(withdrawn: the person who asked this asked to be forgotten)"


def asker_hash(settings: Settings, asker: Asker) -> str:
    """How a person is stored: a salted hash of their platform id, never the id itself."""
    salt = settings.asker_salt.get_secret_value()
    return hashlib.sha256(f"{salt}\x00{asker.platform}\x00{asker.user_id}".encode()).hexdigest()


class Privacy:
    def __init__(self, engine: Engine, settings: Settings, catalogue: Catalogue) -> None:
        self.engine = engine
        self.settings = settings
        self.catalogue = catalogue

    def forget(self, asker: Asker) -> int:
        """Delete everything stored about a person as an asker; returns how many questions and subscriptions.

        Their questions and subscriptions go, and so does every copy of their words: a review item's
        text becomes another asker's phrasing (or a neutral placeholder, and an open item nobody else
        asked is closed), aliases made from their questions are deleted, and a fact-check whose claim
        or title was their question is revised to the same replacement. The outbox forgets their
        chats (answers, edits, delivered or not) and the sent replies in their private chats go. Kept:
        a block (forgetting must not lift it), the audit log, and a group's pinned answer to their
        question, which belongs to the group and no longer points to them.
        """
        hashed = asker_hash(self.settings, asker)
        platform = asker.platform
        with session_scope(self.engine) as session:
            # Locked, so a reply being recorded for one of these questions waits for us, then finds it gone.
            requests = session.exec(
                select(Request)
                .where(Request.platform == platform, Request.asker_hash == hashed)
                .with_for_update()
            ).all()
            # Their review items next, before any subscription: approving and linking lock an item, then
            # its subscriptions, and taking them in the same order keeps the two from deadlocking.
            item_ids = sorted({r.review_item_id for r in requests if r.review_item_id is not None})
            session.exec(
                select(ReviewItem.id)
                .where(col(ReviewItem.id).in_(item_ids))
                .order_by(col(ReviewItem.id))
                .with_for_update()
            ).all()
            subscriptions = session.exec(
                select(Subscription).where(
                    Subscription.platform == platform, Subscription.asker_hash == hashed
                )
            ).all()
            request_ids = [r.id for r in requests if r.id is not None]
            # Their chats: where their notifications go, and their private chat with the bot, whose id is
            # their own on Telegram (no Discord channel has a user's id, so looking for it there is harmless).
            chats = {asker.user_id, *(s.reply_to for s in subscriptions)}
            messages = self._forget_sent_replies(session, platform, request_ids, chats)
            self._forget_notifications(session, platform, chats, messages)
            for subscription in subscriptions:
                session.delete(subscription)
            session.flush()
            revised, aliased = self._forget_words(session, requests, request_ids)
            for row in session.exec(
                select(Subscription).where(col(Subscription.request_id).in_(request_ids))
            ):  # someone else's subscription made on their question
                row.request_id = None
                session.add(row)
            session.flush()
            # SQLite takes no row locks: an answer recorded by the adapter after we read their sent
            # replies and before our first write is still here. It goes the way of the others.
            late = col(SentReply.request_id).in_(request_ids)
            session.exec(delete(SentReply).where(late, col(SentReply.pinned).is_(False)))
            session.exec(update(SentReply).where(late).values(request_id=None))
            session.exec(delete(Request).where(col(Request.id).in_(request_ids)))
            session.flush()
            for fact_check_id in sorted(revised):
                card = factchecks.get_card(session, fact_check_id)
                if card is not None and card.status == FactCheckStatus.PUBLISHED:
                    enqueue_revision(session, card)  # sent copies elsewhere lose their words too
            self.catalogue.reindex(session, revised | aliased)
            return len(subscriptions) + len(request_ids)

    def _forget_sent_replies(
        self, session: Session, platform: str, request_ids: list[int], chats: set[str]
    ) -> set[str]:
        """Drop where answers went in their chats and to their questions; returns each "chat:message"."""
        rows = session.exec(
            select(SentReply).where(
                SentReply.platform == platform,
                or_(col(SentReply.request_id).in_(request_ids), col(SentReply.chat_id).in_(chats)),
            )
        ).all()
        dropped = set()
        for row in rows:
            if row.pinned and row.chat_id not in chats:
                # Pinned in a group: the group's answer, still edited on revision, no longer tied to them.
                row.request_id = None
                session.add(row)
            else:
                dropped.add(f"{row.chat_id}:{row.message_id}")
                session.delete(row)
        return dropped

    def _forget_notifications(
        self, session: Session, platform: str, chats: set[str], messages: set[str]
    ) -> None:
        """Delete answers to their chats and edits of messages there, sent or not (targets and dedupe keys
        name their chat): nothing pending reaches them after they asked to be forgotten."""
        session.exec(
            delete(Notification).where(
                col(Notification.platform) == platform,
                col(Notification.kind).in_(("answer", "edit")),
                or_(
                    col(Notification.target).in_(chats | messages),
                    *(col(Notification.target).startswith(f"{chat}:", autoescape=True) for chat in chats),
                ),
            )
        )

    def _forget_words(
        self, session: Session, requests: Sequence[Request], request_ids: list[int]
    ) -> tuple[set[int], set[int]]:
        """Replace their words where questions were copied; returns (fact-checks revised, aliases removed)."""
        words = {r.text for r in requests}
        revised: set[int] = set()
        for item_id in sorted({r.review_item_id for r in requests if r.review_item_id is not None}):
            item = session.get(ReviewItem, item_id)  # locked by forget()
            if item is None:
                continue
            other_phrasing = session.exec(
                select(Request.text)
                .where(Request.review_item_id == item_id, col(Request.id).not_in(request_ids))
                .order_by(col(Request.id))
            ).first()
            replacement = other_phrasing or WITHDRAWN
            if item.text in words:
                item.text = replacement
            first = session.exec(select(func.min(Request.id)).where(Request.review_item_id == item_id)).one()
            if item.media_ref is not None and first in request_ids:
                # Their message carried the item's photo (issue 16): where it is, its caption and the
                # text read in it go; the fingerprint stays, so later forwards still fold onto the item.
                item.media_ref = item.media_caption = item.media_text = None
            if other_phrasing is None and item.status == ReviewStatus.OPEN:
                item.status = ReviewStatus.REJECTED  # nobody else asked: nothing is left to review
                item.reject_reason = WITHDRAWN
            session.add(item)
            for fact_check_id in {item.draft_fact_check_id, item.fact_check_id} - {None}:
                fact_check = session.get(FactCheck, fact_check_id)
                if fact_check is None or not {fact_check.claim, fact_check.title} & words:
                    continue
                # A verdict's claim and title default to the question; an approver must look again.
                fact_check.claim = replacement if fact_check.claim in words else fact_check.claim
                fact_check.title = replacement if fact_check.title in words else fact_check.title
                fact_check.revision += 1
                fact_check.updated_at = utcnow()
                session.add(fact_check)
                revised.add(fact_check_id)
        # Words someone else asked too are theirs as well, and stay.
        shared = set(
            session.exec(
                select(Request.text).where(col(Request.text).in_(words), col(Request.id).not_in(request_ids))
            ).all()
        )
        aliased: set[int] = set()
        for alias in session.exec(
            select(Alias).where(col(Alias.text).in_({w[:1000] for w in words - shared}))
        ):
            aliased.add(alias.fact_check_id)
            session.delete(alias)
        for fact_check_id in aliased - revised:
            fact_check = session.get(FactCheck, fact_check_id)
            if fact_check is not None:
                fact_check.updated_at = utcnow()  # other workers' indexes drop the alias too
                session.add(fact_check)
        return revised, aliased

    def purge_requests(self, older_than: timedelta) -> int:
        """Delete questions older than the retention period (review items keep their counts)."""
        cutoff = utcnow() - older_than
        with session_scope(self.engine) as session:
            old = select(Request.id).where(col(Request.asked_at) < cutoff)
            for model in (SentReply, Subscription):
                for row in session.exec(select(model).where(col(model.request_id).in_(old))):
                    row.request_id = None
                    session.add(row)
            session.flush()
            return session.exec(delete(Request).where(col(Request.asked_at) < cutoff)).rowcount
