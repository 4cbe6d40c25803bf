"""The outbox: notifications adapters deliver, claimed so that each is delivered once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from store.models import Notification, OutboxStatus, utcnow

# A claimed notification is leased for this long; a worker that dies mid-delivery frees it afterwards.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6


def enqueue(session: Session, notification: Notification) -> bool:
    """Add a notification unless one with the same dedupe key exists; False when it was a duplicate."""
    exists = session.exec(
        select(Notification.id).where(Notification.dedupe_key == notification.dedupe_key)
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return False  # another worker enqueued the same one first
    return True


def claim(session: Session, platform: str, limit: int = 20, lease: timedelta = LEASE) -> list[Notification]:
    """Lease due notifications for one platform. PostgreSQL skips rows other workers hold."""
    now = utcnow()
    rows = session.exec(
        select(Notification)
        .where(
            Notification.platform == platform,
            Notification.status == OutboxStatus.PENDING,
            col(Notification.next_attempt_at) <= now,
        )
        .order_by(col(Notification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        # Compare-and-set, so a row another worker leased meanwhile is left alone: PostgreSQL holds the
        # row lock already, but SQLite has no row locks and runs the SELECT before taking the write lock.
        taken = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == row.id,
                Notification.status == OutboxStatus.PENDING,
                col(Notification.next_attempt_at) <= now,
            )
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            set_committed_value(row, "attempts", row.attempts + 1)
            set_committed_value(row, "next_attempt_at", now + lease)
            claimed.append(row)
    return claimed


def mark_delivered(session: Session, notification_id: int) -> None:
    row = session.get(Notification, notification_id)
    if row is not None:
        row.status = OutboxStatus.DELIVERED
        row.delivered_at = utcnow()
        row.last_error = None
        session.add(row)


def mark_failed(session: Session, notification_id: int, error: str, *, permanent: bool = False) -> str:
    """Back off exponentially; after MAX_ATTEMPTS (or a permanent error) the row is dead-lettered."""
    row = session.get(Notification, notification_id)
    if row is None:
        return "missing"
    row.last_error = error[:1000]
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.DEAD
    else:
        row.next_attempt_at = utcnow() + timedelta(seconds=min(3600, 5 * 2 ** (row.attempts - 1)))
    session.add(row)
    return row.status


def backlog(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Notification).where(Notification.status == OutboxStatus.PENDING)
    ).one()
