"""The outbox: notifications adapters deliver, claimed so that each is delivered once.

A claim leases a row: `next_attempt_at` moves to the end of the lease, so no other worker claims it
meanwhile, and `attempts` goes up by one. That number is the claim's fencing token: a worker renews the
lease and records a failure only while the row still carries its claim number, so a worker whose lease
ran out (it stalled, or lost the database for a while) cannot undo the lease of the worker that
re-claimed the row. Every statement that depends on holding a lease is one conditional UPDATE, since
SQLite has no row locks to hold between a read and a write.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, update
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


def _held(notification_id: int, claim_number: int) -> tuple[ColumnElement[bool], ...]:
    """The row is still pending under this claim: nobody has re-claimed it since."""
    return (
        col(Notification.id) == notification_id,
        Notification.status == OutboxStatus.PENDING,
        col(Notification.attempts) == claim_number,
    )


def _update(session: Session, *where: ColumnElement[bool], **values: object) -> bool:
    statement = update(Notification).where(*where).values(**values)
    return bool(session.execute(statement.execution_options(synchronize_session=False)).rowcount)


def renew(session: Session, notification_id: int, claim_number: int, lease: timedelta = LEASE) -> bool:
    """Extend the lease of a claim that still holds the row; False when it was re-claimed or settled.

    A lease that ran out but was not re-claimed is renewed too: no other worker can be sending it.
    """
    return _update(session, *_held(notification_id, claim_number), next_attempt_at=utcnow() + lease)


def mark_delivered(session: Session, notification_id: int, claim_number: int) -> bool:
    """Record that the notification reached the platform; False when this claim no longer held it.

    A stale holder's delivery is recorded all the same (the message did go out, so whoever claimed the
    row since must find it delivered and not send it), unless a delivery was recorded first: the row
    ends delivered once, with the first delivery's time.
    """
    values: dict[str, object] = {
        "status": OutboxStatus.DELIVERED,
        "delivered_at": utcnow(),
        "last_error": None,
    }
    if _update(session, *_held(notification_id, claim_number), **values):
        return True
    _update(
        session,
        col(Notification.id) == notification_id,
        Notification.status != OutboxStatus.DELIVERED,
        **values,
    )
    return False


def mark_failed(
    session: Session, notification_id: int, claim_number: int, error: str, *, permanent: bool = False
) -> str:
    """Back off exponentially; after MAX_ATTEMPTS (or a permanent error) the row is dead-lettered.

    Only for the claim that failed: a row re-claimed since is the new holder's to settle, and this
    returns "reclaimed" without touching it; a row already settled keeps its status.
    """
    values: dict[str, object] = {"last_error": error[:1000]}
    outcome = OutboxStatus.DEAD if permanent or claim_number >= MAX_ATTEMPTS else OutboxStatus.PENDING
    if outcome == OutboxStatus.DEAD:
        values["status"] = outcome
    else:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=min(3600, 5 * 2 ** (claim_number - 1)))
    if _update(session, *_held(notification_id, claim_number), **values):
        return outcome
    status = session.exec(select(Notification.status).where(col(Notification.id) == notification_id)).first()
    if status is None:
        return "missing"
    return "reclaimed" if status == OutboxStatus.PENDING else status


def backlog(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Notification).where(Notification.status == OutboxStatus.PENDING)
    ).one()
