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
    tr,
)
from adapters.telegram.media import ask_media, has_file
from adapters.telegram.moderators import MODERATOR_HELP
from adapters.telegram.render import plain, render_html
from bot.i18n import N_
from bot.replies import ALREADY_SENT_TEXT, DECLINED_TEXT, compose

# Telegram HTML: translations keep the tags and the &lt;…&gt; entities.
HELP = N_(
    "I check claims against published fact-checks: send me a claim, "
    "e.g. <i>did a NYC cop arrest an ICE agent?</i>\n"
    "In groups use /check &lt;claim&gt;, reply /check to a message, or mention me; "
    "@{username} &lt;claim&gt; works in any chat.\n"
    "What I can't answer I offer to send to human reviewers; rate my answers with 👍 / 👎; "
    "/forget deletes what I stored about you."
)
NOT_ENOUGH_RIGHTS = N_(
    "I can't pin here: I need to be an admin of this group with the “Pin messages” right. "
    "Ask a group admin to grant it, then send /pin again."
)


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot in three lines."""
    t = tr(update)
    text = t(HELP, username=plain(context.bot.username or ""))
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
    tn = tr(update).n
    await say(
        update,
        tn(
            "Done: I deleted {count} stored record about you.",
            "Done: I deleted {count} stored records about you.",
            removed,
        ),
    )


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question; a forward is asked about what it says."""
    assert update.effective_message is not None
    await ask(update, context, update.effective_message.text or "")


async def private_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, video or file in a private chat (a forward, often): checked with its caption."""
    message = update.effective_message
    assert message is not None
    await ask_media(update, context, message, message.caption or "")


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check <claim>, or /check in reply to a message (its text, or its photo or video) to check it."""
    t = tr(update)
    message = update.effective_message
    assert message is not None
    text = command_text(message)
    target = message.reply_to_message
    if target is not None and has_file(target):  # the words after /check, else its caption, go with it
        await ask_media(update, context, target, text or target.caption or "")
        return
    if not text and target is not None:
        text = target.text or target.caption or ""
    if not text:
        await say(update, t("Send /check followed by a claim, or reply /check to the message to check."))
        return
    await ask(update, context, text)


async def group_mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot is a question; other chatter is ignored."""
    message = update.effective_message
    assert message is not None
    text = _mention_stripped(message, context.bot.username or "")
    if text is None:
        return
    target = message.reply_to_message
    if target is not None and has_file(target):
        await ask_media(update, context, target, text or target.caption or "")
        return
    if not text and target is not None:
        text = target.text or target.caption or ""
    await ask(update, context, text)


async def group_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or video posted in a group with /check or our @mention as its caption: checked with the
    rest of the caption. Media with any other caption is chatter, as text is."""
    message = update.effective_message
    assert message is not None
    caption = message.caption or ""
    command = caption.split(maxsplit=1)
    username = (context.bot.username or "").lower()
    if command and command[0].lower() in ("/check", f"/check@{username}"):
        await ask_media(update, context, message, command[1] if len(command) > 1 else "")
        return
    text = _mention_stripped(message, context.bot.username or "", caption=True)
    if text is not None:
        await ask_media(update, context, message, text)


def _mention_stripped(message: Message, username: str, *, caption: bool = False) -> str | None:
    """The text (or caption) without our @mention, or None when it does not mention this bot."""
    text = (message.caption if caption else message.text) or ""
    mentioned = False
    entities = (
        message.parse_caption_entities([MessageEntity.MENTION])
        if caption
        else message.parse_entities([MessageEntity.MENTION])
    )
    for _entity, value in sorted(entities.items(), key=lambda item: -item[0].offset):
        if value.lstrip("@").lower() == username.lower():
            mentioned = True
            text = text.replace(value, " ")
    return " ".join(text.split()) if mentioned else None


async def pin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pin in reply to one of the bot's answers: group admins and moderators pin it."""
    t = tr(update)
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and user is not None and chat is not None
    target = message.reply_to_message
    if chat.type == Chat.PRIVATE or target is None:
        await say(update, t("In a group, reply /pin to one of my answers to pin it."))
        return
    service = service_of(context)
    pinner = await actor(context, user)
    if not (
        await is_chat_admin(context, chat.id, user.id)
        or await asyncio.to_thread(service.is_moderator, pinner)
    ):
        where = f"message:{chat.id}:{target.message_id}"
        await asyncio.to_thread(service.audit_refusal, pinner, "pin", where, "not a group admin or moderator")
        await say(update, t("Sorry, only this group's admins and ClaimBot moderators can pin answers."))
        return
    sent = await asyncio.to_thread(service.sent_reply, PLATFORM, str(chat.id), str(target.message_id))
    if sent is None:
        await say(update, t("I can only pin my own answers: reply /pin to one of them."))
        return
    try:
        await context.bot.pin_chat_message(chat.id, target.message_id, disable_notification=True)
    except BadRequest as exc:
        if "rights" in exc.message.lower() or "not enough" in exc.message.lower():
            await say(update, t(NOT_ENOUGH_RIGHTS))
            return
        raise
    except Forbidden:
        await say(update, t(NOT_ENOUGH_RIGHTS))
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
    t = tr(update)
    query = update.callback_query
    assert query is not None
    outcome = await asyncio.to_thread(service_of(context).not_what_i_asked, ids[0], asker(query.from_user.id))
    await query.answer(t("Sent to our reviewers."))
    if isinstance(query.message, Message):
        await reply_outcome(query.message, context, outcome)


async def subscribe_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """Notify me: notifications are personal, so they go to the asker's private chat with the bot."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    added = await asyncio.to_thread(service_of(context).subscribe, asker(user.id), str(user.id), ids[0])
    private = isinstance(query.message, Message) and query.message.chat.type == Chat.PRIVATE
    t = tr(update)
    text = t("I'll notify you here when reviewers publish a verdict or this fact-check changes.")
    if not private:
        text = t("I'll notify you in a private chat; please start a chat with me so I can write to you.")
    await query.answer(text if added else t("You're already subscribed."), show_alert=not private)


async def send_to_review_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]
) -> None:
    """The asker confirmed: the claim goes to the fact-checkers, and the offer becomes the receipt."""
    query = update.callback_query
    assert query is not None
    outcome = await asyncio.to_thread(service_of(context).send_to_review, ids[0], asker(query.from_user.id))
    await query.answer()
    text, markup = render_html(compose(outcome, settings_of(context).disclaimer))
    await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
    )


async def decline_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """ "No thanks": nothing is sent; the offer's buttons go away."""
    query = update.callback_query
    assert query is not None
    declined = await asyncio.to_thread(service_of(context).decline, ids[0], asker(query.from_user.id))
    await query.answer()
    await query.edit_message_text(plain(tr(update)(DECLINED_TEXT if declined else ALREADY_SENT_TEXT)))


BUTTONS = {
    ButtonKind.SEND_TO_REVIEW: send_to_review_pressed,
    ButtonKind.DECLINE: decline_pressed,
    ButtonKind.CHOOSE: choose_pressed,
    ButtonKind.NOT_WHAT_I_ASKED: not_what_i_asked_pressed,
    ButtonKind.SUBSCRIBE: subscribe_pressed,
}
