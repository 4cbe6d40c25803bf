"""What every Telegram handler shares: the service and settings, who asks or acts, asking and replying.

Handlers get the service and settings from PTB's `bot_data` (put there by adapters/telegram/app.py),
call the synchronous core in a worker thread, and answer through the message they were sent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import Chat, ChatMember, LinkPreviewOptions, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.media import MediaRefused
from adapters.telegram.render import render_html
from bot.config import Settings
from bot.domain import Actor, Asker, ChatRef, MediaFile, Outcome, OutcomeKind, Question
from bot.i18n import Translator, translator
from bot.replies import compose, refusal
from bot.service import ClaimService

log = logging.getLogger(__name__)

PLATFORM = "telegram"
SERVICE, SETTINGS = "service", "settings"  # keys in Application.bot_data
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def service_of(context: ContextTypes.DEFAULT_TYPE) -> ClaimService:
    return context.bot_data[SERVICE]


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.bot_data[SETTINGS]


def asker(user_id: int) -> Asker:
    return Asker(PLATFORM, str(user_id))


async def actor(context: ContextTypes.DEFAULT_TYPE, user: User) -> Actor:
    """A moderator is listed in TELEGRAM_MODERATORS or is an admin of the moderators' chat."""
    settings = settings_of(context)
    admin = user.id in settings.telegram_moderators
    if not admin and settings.telegram_moderator_chat is not None:
        admin = await is_chat_admin(context, settings.telegram_moderator_chat, user.id)
    return Actor(PLATFORM, str(user.id), community=settings.community, platform_admin=admin)


async def is_chat_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("getChatMember(%s, %s) failed: %s", chat_id, user_id, exc)
        return False
    return member.status in ADMIN_STATUSES


def tr(update: Update | None) -> Translator:
    """Strings not tied to a question are in the person's Telegram app language (English without one)."""
    user = update.effective_user if update is not None else None
    return translator(user.language_code if user is not None else None)


def question(update: Update, text: str, media: MediaFile | None = None) -> Question:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    return Question(
        text=text,
        asker=asker(user.id),
        chat=ChatRef(PLATFORM, str(chat.id), is_private=chat.type == Chat.PRIVATE),
        message_id=str(message.message_id),
        event_key=str(update.update_id),
        language_hint=user.language_code,
        media=media,
    )


async def ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, problem: MediaRefused | None = None
) -> None:
    """Ask the core and reply through the event; the service stores the request before we answer.

    `problem`: the photo or video sent with the text was refused, and the reply says so first.
    """
    outcome = await asyncio.to_thread(service_of(context).ask, question(update, text))
    await reply_outcome(update.effective_message, context, outcome, problem=problem)


async def reply_outcome(
    message: Message | None,
    context: ContextTypes.DEFAULT_TYPE,
    outcome: Outcome,
    *,
    problem: MediaRefused | None = None,
) -> None:
    if message is None:
        return
    if outcome.duplicate:
        log.info("update for request %s was already handled; staying silent", outcome.request_id)
        return
    if outcome.kind is OutcomeKind.REFUSED and not refusal(outcome.reason or "?"):
        return  # blocked askers and duplicates get no answer at all
    reply = compose(outcome, settings_of(context).disclaimer)
    if problem is not None:
        reply = replace(reply, lead=" ".join(filter(None, (problem.lead(outcome.language), reply.lead))))
    text, markup = render_html(reply)
    sent = await message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
    await record(context, sent, outcome)


async def record(context: ContextTypes.DEFAULT_TYPE, sent: Message | bool, outcome: Outcome) -> None:
    """Tell the core the reply went out (and where, so a revised answer can be edited in place)."""
    if isinstance(sent, Message):
        await asyncio.to_thread(
            service_of(context).replied, outcome, PLATFORM, str(sent.chat_id), str(sent.message_id)
        )


def command_text(message: Message) -> str:
    """The text after the command (`/check@bot did X` -> `did X`)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def say(update: Update, text: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_html(text, link_preview_options=NO_PREVIEW)
