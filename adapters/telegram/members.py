"""Telegram handlers for members: questions in DMs and groups, /help, /forget, /pin and answer buttons.

Each handler reads the update, asks the core (adapters/telegram/chat.py) and replies; what to answer
is the core's business, how it looks is adapters/telegram/render.py's.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from adapters.buttons import ButtonKind
from adapters.telegram.chat import (
    NO_PREVIEW,
    PLATFORM,
    actor,
    ask,
    asker,
    command_text,
    is_chat_admin,
    record,
    reply_outcome,
    say,
    service_of,
    settings_of,
)
from adapters.telegram.moderators import MODERATOR_HELP
from adapters.telegram.render import plain, render_html
from bot.replies import compose

HELP = (
    "I check claims against published fact-checks: send me a claim, "
    "e.g. <i>did a NYC cop arrest an ICE agent?</i>\n"
    "In groups use /check &lt;claim&gt;, reply /check to a message, or mention me; "
    "@{username} &lt;claim&gt; works in any chat.\n"
    "What I can't answer goes to human reviewers (tap “Notify me”); rate my answers with 👍 / 👎; "
    "/forget deletes what I stored about you."
)
NOT_ENOUGH_RIGHTS = (
    "I can't pin here: I need to be an admin of this group with the “Pin messages” right. "
    "Ask a group admin to grant it, then send /pin again."
)


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot in three lines."""
    text = HELP.format(username=plain(context.bot.username or ""))
    settings, chat, user = settings_of(context), update.effective_chat, update.effective_user
    if (chat and chat.id == settings.telegram_moderator_chat) or (
        user and user.id in settings.telegram_moderators
    ):
        text += "\n\n" + MODERATOR_HELP
    await say(update, text)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete everything stored about the asker."""
    assert update.effective_user is not None
    removed = await asyncio.to_thread(service_of(context).forget, asker(update.effective_user.id))
    await say(update, f"Done: I deleted {removed} stored record{'s' if removed != 1 else ''} about you.")


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    assert update.effective_message is not None
    await ask(update, context, update.effective_message.text or "")


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check <claim>, or /check in reply to a message to check that message."""
    message = update.effective_message
    assert message is not None
    text = command_text(message)
    if not text and message.reply_to_message is not None:
        text = message.reply_to_message.text or message.reply_to_message.caption or ""
    if not text:
        await say(update, "Send /check followed by a claim, or reply /check to the message to check.")
        return
    await ask(update, context, text)


async def group_mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot is a question; other chatter is ignored."""
    message = update.effective_message
    assert message is not None
    text = _mention_stripped(message, context.bot.username or "")
    if text is None:
        return
    if not text and message.reply_to_message is not None:
        text = message.reply_to_message.text or message.reply_to_message.caption or ""
    await ask(update, context, text)


def _mention_stripped(message: Message, username: str) -> str | None:
    """The text without our @mention, or None when the message does not mention this bot."""
    text = message.text or ""
    mentioned = False
    for _entity, value in sorted(
        message.parse_entities([MessageEntity.MENTION]).items(), key=lambda item: -item[0].offset
    ):
        if value.lstrip("@").lower() == username.lower():
            mentioned = True
            text = text.replace(value, " ")
    return " ".join(text.split()) if mentioned else None


async def pin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pin in reply to one of the bot's answers: group admins and moderators pin it."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and user is not None and chat is not None
    target = message.reply_to_message
    if chat.type == Chat.PRIVATE or target is None:
        await say(update, "In a group, reply /pin to one of my answers to pin it.")
        return
    service = service_of(context)
    pinner = await actor(context, user)
    if not (
        await is_chat_admin(context, chat.id, user.id)
        or await asyncio.to_thread(service.is_moderator, pinner)
    ):
        where = f"message:{chat.id}:{target.message_id}"
        await asyncio.to_thread(service.audit_refusal, pinner, "pin", where, "not a group admin or moderator")
        await say(update, "Sorry, only this group's admins and ClaimBot moderators can pin answers.")
        return
    sent = await asyncio.to_thread(service.sent_reply, PLATFORM, str(chat.id), str(target.message_id))
    if sent is None:
        await say(update, "I can only pin my own answers: reply /pin to one of them.")
        return
    try:
        await context.bot.pin_chat_message(chat.id, target.message_id, disable_notification=True)
    except BadRequest as exc:
        if "rights" in exc.message.lower() or "not enough" in exc.message.lower():
            await say(update, NOT_ENOUGH_RIGHTS)
            return
        raise
    except Forbidden:
        await say(update, NOT_ENOUGH_RIGHTS)
        return
    pinner = replace(pinner, platform_admin=True)
    await asyncio.to_thread(service.mark_pinned, pinner, str(chat.id), str(target.message_id))


# ---------------------------------------------------------------------------------- answer buttons


async def choose_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """The asker picked a suggestion: the suggestions message becomes the answer."""
    query = update.callback_query
    assert query is not None
    request_id, fact_check_id = ids
    outcome = await asyncio.to_thread(
        service_of(context).choose, request_id, fact_check_id, asker(query.from_user.id)
    )
    await query.answer()
    text, markup = render_html(compose(outcome, settings_of(context).disclaimer))
    edited = await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
    )
    await record(context, edited, outcome)


async def not_what_i_asked_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]
) -> None:
    """The answer missed: the question goes to reviewers and the asker is told so."""
    query = update.callback_query
    assert query is not None
    outcome = await asyncio.to_thread(service_of(context).not_what_i_asked, ids[0], asker(query.from_user.id))
    await query.answer("Sent to our reviewers.")
    if isinstance(query.message, Message):
        await reply_outcome(query.message, context, outcome)


async def subscribe_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """Notify me: notifications are personal, so they go to the asker's private chat with the bot."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    added = await asyncio.to_thread(service_of(context).subscribe, asker(user.id), str(user.id), ids[0])
    private = isinstance(query.message, Message) and query.message.chat.type == Chat.PRIVATE
    text = "I'll notify you here when reviewers publish a verdict or this fact-check changes."
    if not private:
        text = "I'll notify you in a private chat; please start a chat with me so I can write to you."
    await query.answer(text if added else "You're already subscribed.", show_alert=not private)


BUTTONS = {
    ButtonKind.CHOOSE: choose_pressed,
    ButtonKind.NOT_WHAT_I_ASKED: not_what_i_asked_pressed,
    ButtonKind.SUBSCRIBE: subscribe_pressed,
}
