"""The outbound port adapters implement, and the outbox loop that drives it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply, compose_notification, compose_update
from bot.service import FACT_CHECKS_CHANNEL, ClaimService, Delivery, ReviewSummary

log = logging.getLogger(__name__)
LISTEN_WAIT = 1.0  # seconds a listener waits for a notification before it looks at `stop` again


@dataclass(frozen=True)
class SentMessage:
    """Where a platform put a message: the chat may differ from the target (a DM, a migrated group)."""

    chat_id: str
    message_id: str


class PermanentDeliveryError(Exception):
    """Delivery can never succeed (the user blocked the bot, the message is gone): dead-letter it."""


class Messenger(Protocol):
    """What the core needs from a platform to deliver notifications."""

    platform: str

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        """Send a reply to a chat or user; return where it landed when the platform says."""

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace a message the bot sent earlier."""

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        """Show a new review item to the moderators."""


async def deliver_once(service: ClaimService, messenger: Messenger, limit: int = 20) -> int:
    """Claim due notifications for this platform and deliver them; returns how many were delivered."""
    deliveries = await asyncio.to_thread(service.claim_deliveries, messenger.platform, limit)
    delivered = 0
    for delivery in deliveries:
        try:
            await _deliver(service, messenger, delivery)
        except PermanentDeliveryError as exc:
            await asyncio.to_thread(service.delivery_failed, delivery.id, str(exc), permanent=True)
        except Exception as exc:  # noqa: BLE001 - any platform failure is retried with backoff
            await asyncio.to_thread(service.delivery_failed, delivery.id, f"{type(exc).__name__}: {exc}")
        else:
            await asyncio.to_thread(service.delivered, delivery.id)
            delivered += 1
    return delivered


async def _deliver(service: ClaimService, messenger: Messenger, delivery: Delivery) -> None:
    disclaimer = service.settings.disclaimer
    if delivery.kind == "review":
        if delivery.review is None:
            raise PermanentDeliveryError("review item no longer exists")
        await messenger.send_review(delivery.target, delivery.review)
        return
    if delivery.fact_check is None:
        raise PermanentDeliveryError("fact-check no longer exists")
    if delivery.kind == "edit":
        chat_id, _, message_id = delivery.target.rpartition(":")
        await messenger.edit(chat_id, message_id, compose_update(delivery.fact_check, disclaimer))
        await asyncio.to_thread(
            service.record_sent, messenger.platform, chat_id, message_id, delivery.fact_check
        )
        return
    reply = compose_notification(delivery.fact_check, disclaimer)
    sent = await messenger.send(delivery.target, reply)
    if sent is not None:
        try:
            await asyncio.to_thread(
                service.record_sent, messenger.platform, sent.chat_id, sent.message_id, delivery.fact_check
            )
        except Exception:  # noqa: BLE001 - it was delivered: a retry would send it twice
            log.exception("notification %s was sent but where it landed was not recorded", delivery.id)


async def run_outbox(
    service: ClaimService, messenger: Messenger, stop: asyncio.Event, interval: float = 1.0
) -> None:
    """Deliver notifications until `stop` is set; also follows fact-checks changed by other processes
    and syncs the saved outside sources every CLAIMBOT_SOURCES_SYNC_MINUTES.

    Changes are polled every `interval` (any store); on PostgreSQL a listener picks them up at once.
    """
    from bot.sources import run_source_sync

    companions = [asyncio.create_task(run_source_sync(service, stop), name="claimbot-sources")]
    if service.engine.dialect.name == "postgresql":
        companions.append(asyncio.create_task(follow_fact_checks(service, stop), name="claimbot-listen"))
    try:
        while not stop.is_set():
            try:
                await deliver_once(service, messenger)
                await asyncio.to_thread(service.refresh_index)
            except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.exception("outbox delivery round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        for task in companions:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def follow_fact_checks(service: ClaimService, stop: asyncio.Event, retry: float = 5.0) -> None:
    """PostgreSQL: refresh the match index as soon as any process commits a fact-check change.

    `ClaimService._reindex` sends `NOTIFY claimbot_factchecks` in the changing transaction; this
    LISTENs on a connection of its own (psycopg's async notifies, no thread held) and reconnects after
    a failure. The polling in `run_outbox` stays as the safety net for missed notifications.
    """
    import psycopg

    conninfo = service.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
                await connection.execute(f"LISTEN {FACT_CHECKS_CHANNEL}")
                await asyncio.to_thread(service.refresh_index)  # whatever changed while not listening
                while not stop.is_set():
                    async for _ in connection.notifies(timeout=LISTEN_WAIT, stop_after=1):
                        await asyncio.to_thread(service.refresh_index)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - polling covers the gap; try to listen again later
            log.warning("LISTEN %s failed; retrying in %ss", FACT_CHECKS_CHANNEL, retry, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry)
