"""Outbox delivery for Telegram (bot.delivery.Messenger): notifications, edits in place, review items.

Telegram's refusals that will never succeed (the user blocked the bot, the chat or message is gone)
become PermanentDeliveryError, so the outbox stops retrying them; anything else is retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden

from adapters.telegram.chat import NO_PREVIEW, PLATFORM
from adapters.telegram.render import render_html, render_review
from bot.delivery import PermanentDeliveryError, SentMessage
from bot.domain.review import ReviewSummary
from bot.i18n import translator
from bot.replies import Action, ActionKind, Reply
from bot.service import ClaimService

log = logging.getLogger(__name__)


class TelegramMessenger:
    """The outbound port (bot.delivery.Messenger) for Telegram: notifications, edits, review items."""

    platform = PLATFORM

    def __init__(self, bot: Any, service: ClaimService) -> None:
        self.bot = bot
        self.service = service

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        text, markup = render_html(reply)
        try:
            message = await self._send(int(target), text, markup)
        except Forbidden as exc:
            raise PermanentDeliveryError(f"Forbidden: {exc.message}") from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise PermanentDeliveryError(exc.message) from exc
            raise
        return SentMessage(str(message.chat_id), str(message.message_id))

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Message:
        try:
            return await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
            )
        except ChatMigrated as exc:
            log.warning("chat %s migrated to supergroup %s; sending there", chat_id, exc.new_chat_id)
            return await self.bot.send_message(
                exc.new_chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        reply = await self._keep_buttons(chat_id, message_id, reply)
        text, markup = render_html(reply)
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=int(chat_id),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                return
            if any(s in reason for s in ("not found", "can't be edited", "message_id_invalid")):
                raise PermanentDeliveryError(exc.message) from exc
            raise
        except (Forbidden, ChatMigrated) as exc:
            raise PermanentDeliveryError(f"{type(exc).__name__}: {exc}") from exc

    async def _keep_buttons(self, chat_id: str, message_id: str, reply: Reply) -> Reply:
        """An edited answer keeps its "Not what I asked" / "Notify me" buttons when it had them."""
        if reply.request_id is not None:
            return reply
        sent = await asyncio.to_thread(self.service.sent_reply, PLATFORM, chat_id, message_id)
        if sent is None or sent.request_id is None:
            return reply
        rid = sent.request_id
        t = translator(reply.language)
        actions = reply.actions + (
            Action(ActionKind.NOT_WHAT_I_ASKED, t("Not what I asked"), request_id=rid),
            Action(ActionKind.NOTIFY, t("Notify me of updates"), request_id=rid),
        )
        return replace(reply, actions=actions, request_id=rid)

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        text, markup = render_review(review)
        try:
            await self._send(int(target), text, markup)
        except Forbidden as exc:
            raise PermanentDeliveryError(f"Forbidden: {exc.message}") from exc
