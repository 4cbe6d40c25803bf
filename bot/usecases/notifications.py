"""What goes into the outbox: new review items for moderators, verdicts and revisions for the askers
waiting on them, and edits of every message that carried a revised fact-check.

Each function writes in the caller's unit of work, so a notification is queued exactly when the change
it announces commits. Taking notifications out again is `bot.usecases.delivery`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain import FactCheckCard
from store import outbox
from store.models import Notification, ReviewItem, SentReply, Subscription


def notify_moderators(session: Session, settings: Settings, item: ReviewItem) -> None:
    """Show a new review item in each platform's moderator chat that is configured."""
    for platform, configured in (
        ("telegram", settings.telegram_moderator_chat),
        ("discord", settings.discord_review_channel),
    ):
        if configured is not None:
            outbox.enqueue(
                session,
                Notification(
                    platform=platform,
                    kind="review",
                    target=str(configured),
                    review_item_id=item.id,
                    dedupe_key=f"review:{platform}:{item.id}",
                ),
            )


def enqueue_answer(session: Session, subscription: Subscription, card: FactCheckCard) -> bool:
    """Send a subscriber this revision of a fact-check; False when it was queued for them already."""
    return outbox.enqueue(
        session,
        Notification(
            platform=subscription.platform,
            kind="answer",
            target=subscription.reply_to,
            fact_check_id=card.id,
            revision=card.revision,
            language=subscription.language,
            dedupe_key=f"answer:{subscription.platform}:{subscription.reply_to}:{card.id}:{card.revision}",
        ),
    )


def answer_subscribers(session: Session, item: ReviewItem, card: FactCheckCard) -> int:
    """Tell everyone waiting on a review item its verdict; returns how many were queued."""
    count = 0
    for subscription in session.exec(select(Subscription).where(Subscription.review_item_id == item.id)):
        count += enqueue_answer(session, subscription, card)
        # Keep them subscribed to later revisions of the verdict they waited for.
        subscription.fact_check_id = card.id
        session.add(subscription)
    return count


def enqueue_revision(session: Session, card: FactCheckCard, *, subscribers: bool = True) -> int:
    """Put an edit in the outbox for every message that carried this fact-check, and tell subscribers."""
    return enqueue_revisions(session, [card], subscribers=subscribers)


def enqueue_revisions(session: Session, cards: Sequence[FactCheckCard], *, subscribers: bool = True) -> int:
    """`enqueue_revision` for many fact-checks (an import's batch), with one look-up of what was sent
    and who subscribed for all of them; queued in the same order, card by card."""
    ids = [card.id for card in cards]
    if not ids:
        return 0
    sent_by: dict[int, list[SentReply]] = {}
    for sent in session.exec(
        select(SentReply).where(col(SentReply.fact_check_id).in_(ids)).order_by(col(SentReply.id))
    ):
        sent_by.setdefault(sent.fact_check_id, []).append(sent)
    subscribed_by: dict[int, list[Subscription]] = {}
    if subscribers:
        query = (
            select(Subscription)
            .where(col(Subscription.fact_check_id).in_(ids))
            .order_by(col(Subscription.id))
        )
        for subscription in session.exec(query):
            assert subscription.fact_check_id is not None
            subscribed_by.setdefault(subscription.fact_check_id, []).append(subscription)
    count = 0
    for card in cards:
        for sent in sent_by.get(card.id, ()):
            count += outbox.enqueue(
                session,
                Notification(
                    platform=sent.platform,
                    kind="edit",
                    target=f"{sent.chat_id}:{sent.message_id}",
                    fact_check_id=card.id,
                    revision=card.revision,
                    language=sent.language,
                    dedupe_key=f"edit:{sent.platform}:{sent.chat_id}:{sent.message_id}:{card.id}:{card.revision}",
                ),
            )
        for subscription in subscribed_by.get(card.id, ()):
            count += enqueue_answer(session, subscription, card)
    return count
