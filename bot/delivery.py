"""The outbound port adapters implement, and the outbox loop that drives it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Delivery, ReviewSummary
from bot.replies import Reply, compose_notification, compose_update
from bot.service import ClaimService
from bot.usecases.catalogue import FACT_CHECKS_CHANNEL

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


async def deliver_once(
    service: ClaimService, messenger: Messenger, limit: int = 20, stop: asyncio.Event | None = None
) -> int:
    """Deliver up to `limit` due notifications for this platform; returns how many were delivered.

    Each is claimed just before it is sent and its lease renewed while the send lasts: a batch claimed
    at once would sit leased behind slow sends (Telegram allows 20 messages a minute to a group) until
    the lease ran out and another worker sent the same notifications again. Stops early when `stop`
    is set, so a shutting-down worker starts no new sends.
    """
    delivered = 0
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = await asyncio.to_thread(service.claim_deliveries, messenger.platform, 1)
        if not claimed:
            break
        (delivery,) = claimed
        keeper = asyncio.create_task(_keep_leased(service, delivery), name=f"claimbot-lease-{delivery.id}")
        failure: str | None = None
        permanent = False
        try:
            await _deliver(service, messenger, delivery)
        except PermanentDeliveryError as exc:
            failure, permanent = str(exc), True
        except Exception as exc:  # noqa: BLE001 - any platform failure is retried with backoff
            failure = f"{type(exc).__name__}: {exc}"
        finally:
            await _stop(keeper)  # also when this task is cancelled mid-send
        if failure is None:
            await asyncio.to_thread(service.delivered, delivery)
            delivered += 1
        else:
            await asyncio.to_thread(service.delivery_failed, delivery, failure, permanent=permanent)
    return delivered


async def _keep_leased(service: ClaimService, delivery: Delivery) -> None:
    """Renew the lease three times per lease period until cancelled, or until the claim is lost."""
    every = service.settings.outbox_lease_seconds / 3
    while True:
        await asyncio.sleep(every)
        try:
            held = await asyncio.to_thread(service.renew_lease, delivery)
        except Exception:  # noqa: BLE001 - a database hiccup: the next renewal may still be in time
            log.warning("could not renew the lease on notification %s", delivery.id, exc_info=True)
            continue
        if not held:
            # Re-claimed by another worker after the lease ran out (this one stalled), or cancelled.
            log.warning("notification %s stopped being this worker's while it was sent", delivery.id)
            return


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait([task])  # unlike awaiting the task, a cancellation of the caller still propagates


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
        reply = compose_update(delivery.fact_check, disclaimer, delivery.language)
        await messenger.edit(chat_id, message_id, reply)
        await asyncio.to_thread(
            service.record_sent, messenger.platform, chat_id, message_id, delivery.fact_check
        )
        return
    reply = compose_notification(delivery.fact_check, disclaimer, delivery.language)
    sent = await messenger.send(delivery.target, reply)
    if sent is not None:
        try:
            await asyncio.to_thread(
                service.record_sent,
                messenger.platform,
                sent.chat_id,
                sent.message_id,
                delivery.fact_check,
                language=delivery.language,
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
    # Fact-checks this worker indexed without a vector get one in the background (a thread: encoding
    # is CPU work that would hold the event loop).
    encoder = service.background_encoder()
    if encoder is not None:
        encoder.start()
    if service.engine.dialect.name == "postgresql":
        companions.append(asyncio.create_task(follow_fact_checks(service, stop), name="claimbot-listen"))
    try:
        while not stop.is_set():
            try:
                await deliver_once(service, messenger, stop=stop)
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
        if encoder is not None:
            await asyncio.to_thread(encoder.stop)


async def follow_fact_checks(service: ClaimService, stop: asyncio.Event, retry: float = 5.0) -> None:
    """PostgreSQL: refresh the match index as soon as any process commits a fact-check change.

    `Catalogue.reindex` sends `NOTIFY claimbot_factchecks` in the changing transaction; this
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
