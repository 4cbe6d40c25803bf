"""The outbound port adapters implement, and the outbox loop that drives it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply, compose_notification, compose_update
from bot.service import ClaimService, Delivery, ReviewSummary

log = logging.getLogger(__name__)


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
        await asyncio.to_thread(
            service.record_sent, messenger.platform, sent.chat_id, sent.message_id, delivery.fact_check
        )


async def run_outbox(
    service: ClaimService, messenger: Messenger, stop: asyncio.Event, interval: float = 1.0
) -> None:
    """Deliver notifications until `stop` is set; also follows fact-checks changed by other processes."""
    while not stop.is_set():
        try:
            await deliver_once(service, messenger)
            await asyncio.to_thread(service.refresh_index)
        except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
            log.exception("outbox delivery round failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
