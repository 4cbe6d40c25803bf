"""Outbox delivery for Telegram (bot.delivery.Messenger): notifications, edits in place, review items.

Telegram's refusals that will never succeed (the user blocked the bot, the chat or message is gone)
become PermanentDeliveryError, so the outbox stops retrying them; anything else is retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden

from adapters.telegram.chat import NO_PREVIEW, PLATFORM
from adapters.telegram.render import render_html, render_review
from bot.delivery import PermanentDeliveryError, SentMessage
from bot.domain.review import ReviewMedia, ReviewSummary
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

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, reply_to: int | None = None
    ) -> Message:
        extra = {"reply_parameters": ReplyParameters(reply_to)} if reply_to is not None else {}
        try:
            return await self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                **extra,
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
        """The item in the moderators' chat; its photo or video first, the item's text replying to it."""
        try:
            shown, above = await self._show_media(int(target), review.media) if review.media else ("", None)
            text, markup = render_review(review, media_shown=shown)
            await self._send(int(target), text, markup, reply_to=above)
        except Forbidden as exc:
            raise PermanentDeliveryError(f"Forbidden: {exc.message}") from exc

    async def _show_media(self, chat_id: int, media: ReviewMedia) -> tuple[str, int | None]:
        """Put a review item's media in the moderators' chat without having kept it: the asker's message
        copied (Telegram), or the attachment sent by its URL, which Telegram fetches (Discord).

        Returns ("above", the message's id) when it is shown, ("gone", None) when the asker's message can
        no longer be copied (deleted, protected), ("", None) when there is nothing to show it from.
        """
        try:
            if media.platform == PLATFORM:
                from_chat, _, message_id = media.ref.partition(":")
                copied = await self.bot.copy_message(chat_id, int(from_chat), int(message_id))
                return "above", copied.message_id
            if media.platform == "discord" and media.ref.startswith(("https://", "http://")):
                send = self.bot.send_video if media.kind == "video" else self.bot.send_photo
                sent = await send(chat_id, media.ref)
                return "above", sent.message_id
        # Forbidden here is about the asker's chat (they blocked the bot); the moderators' chat is _send's.
        except (BadRequest, Forbidden, ValueError) as exc:  # ValueError: a reference not written here
            log.info("the media of a review item cannot be shown: %s", exc)
            return ("gone" if media.platform == PLATFORM else ""), None
        except ChatMigrated:
            return "", None  # _send finds the new chat; the item goes there without its media
        return "", None
