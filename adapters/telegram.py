"""Telegram adapter on python-telegram-bot 22: DMs, groups, pinned answers, inline mode, moderators.

It translates Telegram updates into the core's nouns, calls `ClaimService` in a worker thread, and
renders the core's Reply (see `adapters/telegram_render.py`). No matching or workflow logic lives here.

Run with `claimbot serve telegram` (long polling) or `--webhook-url` (webhook served by
adapters/http_server.py with /healthz and /metrics: a wrong X-Telegram-Bot-Api-Secret-Token gets 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from adapters.http_server import serving
from adapters.telegram_render import (
    callback_action,
    parse_callback,
    plain,
    render_draft,
    render_html,
    render_inline_title,
    render_queue,
    render_review,
)
from bot.config import Settings
from bot.delivery import PermanentDeliveryError, SentMessage, run_outbox
from bot.domain import Actor, Asker, ChatRef, Outcome, OutcomeKind, Question
from bot.exporters import export_file
from bot.redact import register_secret
from bot.replies import REFUSALS, Action, ActionKind, Reply, compose, compose_answer
from bot.service import ClaimService, ReviewSummary, ServiceError

log = logging.getLogger(__name__)

PLATFORM = "telegram"
SERVICE, SETTINGS, LAST_ALERT = "service", "settings", "last_error_alert"
ERROR_ALERT_INTERVAL = 60.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)

HELP = (
    "I check claims against published fact-checks: send me a claim, "
    "e.g. <i>did a NYC cop arrest an ICE agent?</i>\n"
    "In groups use /check &lt;claim&gt;, reply /check to a message, or mention me; "
    "@{username} &lt;claim&gt; works in any chat.\n"
    "What I can't answer goes to human reviewers (tap “Notify me”); /forget deletes what I stored about you."
)
NOT_ENOUGH_RIGHTS = (
    "I can't pin here: I need to be an admin of this group with the “Pin messages” right. "
    "Ask a group admin to grant it, then send /pin again."
)
MODERATOR_HELP = (
    "Moderator commands: /queue, "
    "/verdict &lt;item&gt; &lt;rating&gt; | &lt;summary&gt; | &lt;source URL…&gt;, "
    "/approve &lt;item&gt; [&lt;revision&gt;], /reject &lt;item&gt; &lt;reason&gt;, "
    "/link &lt;item&gt; &lt;fact-check id&gt;, "
    "/revise &lt;fact-check id&gt; &lt;rating&gt; | &lt;summary&gt;, "
    "/block &lt;user id&gt; (or reply /block to a question), /export [audit]"
)
COMMANDS = [
    BotCommand("check", "Check a claim (or reply /check to a message)"),
    BotCommand("help", "What this bot does"),
    BotCommand("forget", "Delete what the bot stored about you"),
    BotCommand("pin", "Pin the answer you reply to (group admins)"),
]


# ---------------------------------------------------------------------------------------------- bot


class ClaimBotExtBot(ExtBot[Any]):
    """ExtBot whose getUpdates survives one malformed update instead of re-fetching the batch forever.

    PTB parses a whole getUpdates batch at once; when one update does not parse, its Updater logs and
    polls again with the same offset, so the bot would spin on that batch. Here the batch is re-read
    raw and parsed one by one; an update that does not parse becomes an empty `Update(update_id)`,
    which no handler matches and which still moves the offset on.
    """

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        try:
            return await super().get_updates(offset, limit, timeout, allowed_updates, **kwargs)
        except TelegramError:
            raise
        except Exception:  # noqa: BLE001 - a parse error in one update; handled below
            log.warning("a getUpdates batch did not parse; parsing its updates one by one")
        params: dict[str, Any] = {"offset": offset, "limit": limit, "timeout": 0}
        with warnings.catch_warnings():  # PTB nudges towards get_updates, which is what failed
            warnings.simplefilter("ignore", PTBUserWarning)
            raw = await self.do_api_request(
                "getUpdates", api_kwargs={k: v for k, v in params.items() if v is not None}
            )
        updates = []
        for data in raw or []:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            try:
                updates.append(Update.de_json(data, self))
            except Exception:  # noqa: BLE001 - one malformed update must not stop the bot
                log.error("skipping malformed update %r", update_id, exc_info=True)
                if isinstance(update_id, int):
                    updates.append(Update(update_id))
        return tuple(updates)


def make_bot(settings: Settings, *, rate_limiter: bool = True) -> ClaimBotExtBot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    register_secret(settings.telegram_bot_token.get_secret_value())  # URLs carry it (issue 8)
    base = settings.telegram_api_base_url
    file_base = base.replace("/bot", "/file/bot", 1) if base and base.rstrip("/").endswith("/bot") else None
    return ClaimBotExtBot(
        token=settings.telegram_bot_token.get_secret_value(),
        base_url=base or "https://api.telegram.org/bot",
        base_file_url=file_base or "https://api.telegram.org/file/bot",
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, allow_sending_without_reply=True
        ),
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        # Flood limits: 30 messages/s overall, 20/min per group; a 429 waits retry_after and retries.
        rate_limiter=AIORateLimiter(max_retries=3) if rate_limiter else None,
    )


# ---------------------------------------------------------------------------------------------- messenger


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
        actions = reply.actions + (
            Action(ActionKind.NOT_WHAT_I_ASKED, "Not what I asked", request_id=rid),
            Action(ActionKind.NOTIFY, "Notify me of updates", request_id=rid),
        )
        return replace(reply, actions=actions, request_id=rid)

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        text, markup = render_review(review)
        try:
            await self._send(int(target), text, markup)
        except Forbidden as exc:
            raise PermanentDeliveryError(f"Forbidden: {exc.message}") from exc


# ---------------------------------------------------------------------------------------------- helpers


def _service(context: ContextTypes.DEFAULT_TYPE) -> ClaimService:
    return context.bot_data[SERVICE]


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.bot_data[SETTINGS]


def _asker(user: User) -> Asker:
    return Asker(PLATFORM, str(user.id))


def _question(update: Update, text: str) -> Question:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    return Question(
        text=text,
        asker=_asker(user),
        chat=ChatRef(PLATFORM, str(chat.id), is_private=chat.type == Chat.PRIVATE),
        message_id=str(message.message_id),
        event_key=str(update.update_id),
    )


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Ask the core and reply through the event; the service stores the request before we answer."""
    outcome = await asyncio.to_thread(_service(context).ask, _question(update, text))
    await _reply_outcome(update.effective_message, context, outcome)


async def _reply_outcome(
    message: Message | None, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome
) -> None:
    if message is None:
        return
    if outcome.duplicate:
        log.info("update for request %s was already handled; staying silent", outcome.request_id)
        return
    if outcome.kind is OutcomeKind.REFUSED and not REFUSALS.get(outcome.reason or "", "?"):
        return  # blocked askers and duplicates get no answer at all
    text, markup = render_html(compose(outcome, _settings(context).disclaimer))
    sent = await message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
    await _record(context, sent, outcome)


async def _record(context: ContextTypes.DEFAULT_TYPE, sent: Message | bool, outcome: Outcome) -> None:
    """Tell the core the reply went out (and where, so a revised answer can be edited in place)."""
    if isinstance(sent, Message):
        await asyncio.to_thread(
            _service(context).replied, outcome, PLATFORM, str(sent.chat_id), str(sent.message_id)
        )


async def _is_chat_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("getChatMember(%s, %s) failed: %s", chat_id, user_id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def _actor(context: ContextTypes.DEFAULT_TYPE, user: User) -> Actor:
    """A moderator is listed in TELEGRAM_MODERATORS or is an admin of the moderators' chat."""
    settings = _settings(context)
    admin = user.id in settings.telegram_moderators
    if not admin and settings.telegram_moderator_chat is not None:
        admin = await _is_chat_admin(context, settings.telegram_moderator_chat, user.id)
    return Actor(PLATFORM, str(user.id), community=settings.community, platform_admin=admin)


def _command_text(message: Message) -> str:
    """The text after the command (`/check@bot did X` -> `did X`)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


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


async def _say(update: Update, text: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_html(text, link_preview_options=NO_PREVIEW)


def _int(value: str) -> int | None:
    value = value.strip().lstrip("#")
    return int(value) if value.isdigit() and len(value) <= 18 else None


# ---------------------------------------------------------------------------------------------- handlers


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the bot in three lines."""
    text = HELP.format(username=plain(context.bot.username or ""))
    settings, chat, user = _settings(context), update.effective_chat, update.effective_user
    if (chat and chat.id == settings.telegram_moderator_chat) or (
        user and user.id in settings.telegram_moderators
    ):
        text += "\n\n" + MODERATOR_HELP
    await _say(update, text)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete everything stored about the asker."""
    assert update.effective_user is not None
    removed = await asyncio.to_thread(_service(context).forget, _asker(update.effective_user))
    await _say(update, f"Done: I deleted {removed} stored record{'s' if removed != 1 else ''} about you.")


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    assert update.effective_message is not None
    await _ask(update, context, update.effective_message.text or "")


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check <claim>, or /check in reply to a message to check that message."""
    message = update.effective_message
    assert message is not None
    text = _command_text(message)
    if not text and message.reply_to_message is not None:
        text = message.reply_to_message.text or message.reply_to_message.caption or ""
    if not text:
        await _say(update, "Send /check followed by a claim, or reply /check to the message to check.")
        return
    await _ask(update, context, text)


async def group_mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot is a question; other chatter is ignored."""
    message = update.effective_message
    assert message is not None
    text = _mention_stripped(message, context.bot.username or "")
    if text is None:
        return
    if not text and message.reply_to_message is not None:
        text = message.reply_to_message.text or message.reply_to_message.caption or ""
    await _ask(update, context, text)


async def pin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pin in reply to one of the bot's answers: group admins and moderators pin it."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and user is not None and chat is not None
    target = message.reply_to_message
    if chat.type == Chat.PRIVATE or target is None:
        await _say(update, "In a group, reply /pin to one of my answers to pin it.")
        return
    service = _service(context)
    actor = await _actor(context, user)
    if not (
        await _is_chat_admin(context, chat.id, user.id)
        or await asyncio.to_thread(service.is_moderator, actor)
    ):
        target = f"message:{chat.id}:{target.message_id}"
        await asyncio.to_thread(service.audit_refusal, actor, "pin", target, "not a group admin or moderator")
        await _say(update, "Sorry, only this group's admins and ClaimBot moderators can pin answers.")
        return
    sent = await asyncio.to_thread(service.sent_reply, PLATFORM, str(chat.id), str(target.message_id))
    if sent is None:
        await _say(update, "I can only pin my own answers: reply /pin to one of them.")
        return
    try:
        await context.bot.pin_chat_message(chat.id, target.message_id, disable_notification=True)
    except BadRequest as exc:
        if "rights" in exc.message.lower() or "not enough" in exc.message.lower():
            await _say(update, NOT_ENOUGH_RIGHTS)
            return
        raise
    except Forbidden:
        await _say(update, NOT_ENOUGH_RIGHTS)
        return
    pinner = replace(actor, platform_admin=True)
    await asyncio.to_thread(service.mark_pinned, pinner, str(chat.id), str(target.message_id))


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: choose a suggestion, not what I asked, notify me, moderator link/reject."""
    query = update.callback_query
    assert query is not None
    parsed = parse_callback(query.data)
    if parsed is None:
        log.warning("ignoring garbled callback data from %s", query.from_user.id)
        # Forged or garbled data is refused politely and audited, as a refused moderator action would be.
        actor = Actor(PLATFORM, str(query.from_user.id), community=_settings(context).community)
        detail = f"malformed callback data {(query.data or '')[:80]!r}"
        await asyncio.to_thread(
            _service(context).audit_refusal, actor, callback_action(query.data), "callback", detail
        )
        await query.answer("Sorry, that button no longer works.")
        return
    kind, ids = parsed
    service, asker = _service(context), _asker(query.from_user)
    try:
        if kind == "c":
            outcome = await asyncio.to_thread(service.choose, ids[0], ids[1], asker)
            await query.answer()
            text, markup = render_html(compose(outcome, _settings(context).disclaimer))
            edited = await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
            )
            await _record(context, edited, outcome)
        elif kind == "n":
            outcome = await asyncio.to_thread(service.not_what_i_asked, ids[0], asker)
            await query.answer("Sent to our reviewers.")
            if isinstance(query.message, Message):
                await _reply_outcome(query.message, context, outcome)
        elif kind == "s":
            await _subscribe(update, context, ids[0])
        else:
            await _moderator_button(update, context, kind, ids)
    except ServiceError as exc:
        await query.answer(str(exc)[:200], show_alert=True)


async def _subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE, request_id: int) -> None:
    query = update.callback_query
    assert query is not None
    user = query.from_user
    # Notifications are personal: they go to the asker's private chat with the bot.
    added = await asyncio.to_thread(_service(context).subscribe, _asker(user), str(user.id), request_id)
    private = isinstance(query.message, Message) and query.message.chat.type == Chat.PRIVATE
    text = "I'll notify you here when reviewers publish a verdict or this fact-check changes."
    if not private:
        text = "I'll notify you in a private chat; please start a chat with me so I can write to you."
    await query.answer(text if added else "You're already subscribed.", show_alert=not private)


async def _moderator_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, ids: tuple[int, ...]
) -> None:
    query = update.callback_query
    assert query is not None
    actor, service = await _actor(context, query.from_user), _service(context)
    if kind == "ml":
        card = await asyncio.to_thread(service.link, actor, ids[0], ids[1])
        note = f"Linked #{ids[0]} to fact-check #{card.id} by {query.from_user.full_name}."
    elif kind == "ma":
        revision = ids[1] if len(ids) > 1 else None  # buttons posted before approvals named a revision
        result = await asyncio.to_thread(service.approve, actor, ids[0], revision)
        if not result.published:
            await query.answer(f"Not published yet: {result.waiting_for}."[:200], show_alert=True)
            if result.review_again and isinstance(query.message, Message):
                # The draft changed since this button was posted: show what there is to approve now.
                text, markup = render_draft(ids[0], result.fact_check, "Look at the draft again.")
                await query.message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
            return
        note = f"Published #{ids[0]} as fact-check #{result.fact_check.id} by {query.from_user.full_name}."
    else:
        await asyncio.to_thread(service.reject, actor, ids[0], "rejected from the moderators' chat")
        note = f"Rejected #{ids[0]} by {query.from_user.full_name}."
    await query.answer("Done.")
    if isinstance(query.message, Message):
        await query.message.reply_html(plain(note))
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)


async def queue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue: open review items, most asked first."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    reviews = await asyncio.to_thread(_service(context).queue, actor, 20)
    await _say(update, render_queue(reviews))


async def verdict_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/verdict <item> <rating> | <summary> | <source URL…>: draft a fact-check for a review item."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    parts = [p.strip() for p in _command_text(update.effective_message).split("|")]  # type: ignore[arg-type]
    head = parts[0].split(maxsplit=1)
    item = _int(head[0]) if head else None
    if item is None or len(head) < 2 or len(parts) < 3:
        await _say(
            update, "Usage: /verdict &lt;item&gt; &lt;rating&gt; | &lt;summary&gt; | &lt;source URL…&gt;"
        )
        return
    card = await asyncio.to_thread(
        _service(context).write_verdict, actor, item, head[1], parts[1], " ".join(parts[2:]).split()
    )
    assert update.effective_message is not None
    # Shown in full: whoever approves approves what this message shows (its button names the revision).
    text, markup = render_draft(item, card, f"Drafted {card.verdict.icon} {card.verdict.value} for #{item}.")
    await update.effective_message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)


async def approve_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/approve <item> <revision>: publish that revision of the draft; /approve <item> shows the draft."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    args = [_int(a) for a in _command_text(update.effective_message).split()]  # type: ignore[arg-type]
    if not 1 <= len(args) <= 2 or None in args:
        await _say(
            update, "Usage: /approve &lt;item&gt; &lt;revision&gt; (/approve &lt;item&gt; shows the draft)"
        )
        return
    item, revision = args[0], args[1] if len(args) > 1 else None
    assert item is not None
    result = await asyncio.to_thread(_service(context).approve, actor, item, revision)
    if result.review_again:
        headline = f"Not published yet: {result.waiting_for}."
        text, markup = render_draft(item, result.fact_check, headline)
        assert update.effective_message is not None
        await update.effective_message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
    elif result.published:
        await _say(
            update,
            f"Published fact-check #{result.fact_check.id}; notifying {result.notified} "
            f"subscriber{'s' if result.notified != 1 else ''}.",
        )
    else:
        await _say(update, f"Not published yet: {plain(result.waiting_for or 'waiting')}.")


async def reject_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reject <item> <reason>: close a review item without a verdict."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    head = _command_text(update.effective_message).split(maxsplit=1)  # type: ignore[arg-type]
    item = _int(head[0]) if head else None
    if item is None:
        await _say(update, "Usage: /reject &lt;item&gt; &lt;reason&gt;")
        return
    await asyncio.to_thread(_service(context).reject, actor, item, head[1] if len(head) > 1 else "")
    await _say(update, f"Rejected #{item}.")


async def link_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link <item> <fact-check id>: answer a review item with an existing fact-check."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    args = [_int(a) for a in _command_text(update.effective_message).split()]  # type: ignore[arg-type]
    if len(args) != 2 or None in args:
        await _say(update, "Usage: /link &lt;item&gt; &lt;fact-check id&gt;")
        return
    card = await asyncio.to_thread(_service(context).link, actor, args[0], args[1])
    await _say(update, f"Linked #{args[0]} to fact-check #{card.id}; subscribers will be notified.")


async def revise_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revise <fact-check id> <rating> | <summary>: revise a fact-check; every sent copy is edited."""
    actor = await _actor(context, update.effective_user)  # type: ignore[arg-type]
    parts = [p.strip() for p in _command_text(update.effective_message).split("|", 1)]  # type: ignore[arg-type]
    head = parts[0].split(maxsplit=1)
    fact_check_id = _int(head[0]) if head else None
    if fact_check_id is None:
        await _say(update, "Usage: /revise &lt;fact-check id&gt; &lt;rating&gt; | &lt;summary&gt;")
        return
    changes = {}
    if len(head) > 1:
        changes["rating"] = head[1]
    if len(parts) > 1 and parts[1]:
        changes["summary"] = parts[1]
    card = await asyncio.to_thread(_service(context).revise, actor, fact_check_id, **changes)
    await _say(
        update, f"Fact-check #{card.id} is now at revision {card.revision}; sent answers are being updated."
    )


async def block_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/block <user id>, or /block in reply to someone's question: drop their questions silently."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    actor = await _actor(context, update.effective_user)
    target = _int(_command_text(message))
    replied = message.reply_to_message
    if target is None and replied is not None and replied.from_user and not replied.from_user.is_bot:
        target = replied.from_user.id
    if target is None:
        await _say(update, "Usage: /block &lt;user id&gt;, or reply /block to the person's question.")
        return
    await asyncio.to_thread(_service(context).block, actor, _asker_id(target))
    await _say(update, "Blocked: their questions are dropped from now on and never reach reviewers.")


def _asker_id(user_id: int) -> Asker:
    return Asker(PLATFORM, str(user_id))


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [audit]: ClaimReview JSON-LD of published fact-checks, or the audit log, as a file."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None and update.effective_user is not None
    actor = await _actor(context, update.effective_user)
    kind = "audit" if _command_text(message).lower().startswith("audit") else "claimreview"
    name, content = await asyncio.to_thread(export_file, _service(context), actor, kind)
    if chat.type != Chat.PRIVATE and chat.id != _settings(context).telegram_moderator_chat:
        await _say(update, "Exports are sent in a private chat with me or in the moderators' chat only.")
        return
    await message.reply_document(document=content, filename=name, caption=plain(name))


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot <claim> in any chat: the top matches as articles to send."""
    query = update.inline_query
    assert query is not None
    candidates = (
        await asyncio.to_thread(_service(context).search, query.query, 5) if query.query.strip() else []
    )
    disclaimer = _settings(context).disclaimer
    results = []
    for candidate in candidates:
        card = candidate.fact_check
        text, _ = render_html(compose_answer(card, disclaimer))
        title, description = render_inline_title(candidate)
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton("Full report", url=card.report_url)]])
            if card.report_url
            else None
        )
        results.append(
            InlineQueryResultArticle(
                id=f"fc{card.id}r{card.revision}",
                title=title,
                description=description,
                input_message_content=InputTextMessageContent(
                    text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
                reply_markup=markup,
            )
        )
    await query.answer(results, cache_time=30, is_personal=False)


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: log it; answers in the old chat can no longer be edited."""
    message = update.effective_message
    assert message is not None
    log.warning("chat %s migrated to %s", message.chat_id, message.migrate_to_chat_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every failure and keep running; tell the user when a question could not be answered."""
    error = context.error
    update_id = getattr(update, "update_id", None)
    if isinstance(error, Forbidden):
        log.info("update %s: the user blocked the bot or it left the chat (%s)", update_id, error)
        return
    if isinstance(error, ChatMigrated):
        log.warning("update %s: chat migrated to supergroup %s; skipped", update_id, error.new_chat_id)
        return
    if isinstance(error, BadRequest) and "not found" in error.message.lower():
        log.info("update %s: message or chat is gone (%s); skipped", update_id, error)
        return
    if isinstance(error, ServiceError) and isinstance(update, Update):
        # The service's refusals (not a moderator, unknown item...) are fit to show.
        with contextlib.suppress(TelegramError):
            await _say(update, plain(str(error)[:1000]))
        return
    log.error("update %s failed", update_id, exc_info=error)
    await _tell_moderators(context, f"ClaimBot failed on update {update_id}: {type(error).__name__}: {error}")


async def _tell_moderators(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """One short note per minute at most to the moderators' chat, so an error storm cannot flood it."""
    chat = _settings(context).telegram_moderator_chat
    now = time.monotonic()
    if chat is None or now - context.bot_data.get(LAST_ALERT, -ERROR_ALERT_INTERVAL) < ERROR_ALERT_INTERVAL:
        return
    context.bot_data[LAST_ALERT] = now
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat, plain(text[:500]), parse_mode=ParseMode.HTML)


# ---------------------------------------------------------------------------------------------- wiring


def build_application(
    service: ClaimService, settings: Settings, *, rate_limiter: bool = True, concurrent_updates: int = 8
) -> Application:
    """The PTB application with every handler registered and the service in bot_data."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)  # request URLs hold the bot token
    # The bot is built here (not by the builder's .base_url()) to use the tolerant getUpdates above.
    application = (
        Application.builder()
        .bot(make_bot(settings, rate_limiter=rate_limiter))
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.bot_data[SERVICE] = service
    application.bot_data[SETTINGS] = settings
    new = filters.UpdateType.MESSAGE
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler(["start", "help"], start_command, filters=new))
    application.add_handler(CommandHandler("forget", forget_command, filters=new))
    application.add_handler(CommandHandler("check", check_command, filters=new))
    application.add_handler(CommandHandler("pin", pin_command, filters=new))
    application.add_handler(CommandHandler("queue", queue_command, filters=new))
    application.add_handler(CommandHandler("verdict", verdict_command, filters=new))
    application.add_handler(CommandHandler("approve", approve_command, filters=new))
    application.add_handler(CommandHandler("reject", reject_command, filters=new))
    application.add_handler(CommandHandler("link", link_command, filters=new))
    application.add_handler(CommandHandler("revise", revise_command, filters=new))
    application.add_handler(CommandHandler("block", block_command, filters=new))
    application.add_handler(CommandHandler("export", export_command, filters=new))
    application.add_handler(
        MessageHandler(new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text)
    )
    application.add_handler(
        MessageHandler(new & groups & filters.Entity(MessageEntity.MENTION) & ~filters.COMMAND, group_mention)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    application.add_handler(CallbackQueryHandler(button_pressed))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_error_handler(on_error)
    return application


@contextlib.asynccontextmanager
async def running(
    application: Application,
    service: ClaimService,
    settings: Settings,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    outbox_interval: float | None = None,
    poll_timeout: int = 10,
) -> AsyncIterator[Application]:
    """Start the application (polling or webhook) and the outbox; stop both on exit.

    Uses PTB's manual lifecycle so another platform can share the event loop.
    """
    stop = asyncio.Event()
    # --- issue 8: PTB's InvalidToken message quotes the token; raise one that names the setting ---
    rejected = False
    try:
        await application.initialize()
    except InvalidToken:
        rejected = True
    if rejected:  # raised outside the except block, so the original is not chained onto it
        raise InvalidToken("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token")
    # --- end issue 8 ---
    outbox_task: asyncio.Task[None] | None = None
    http = contextlib.AsyncExitStack()  # adapters/http_server.py: webhook, /healthz, /metrics
    try:
        await application.start()
        with contextlib.suppress(TelegramError):
            await application.bot.set_my_commands(COMMANDS)
        if webhook_url:
            secret = (
                settings.telegram_webhook_secret.get_secret_value()
                if settings.telegram_webhook_secret
                else None
            )
            if not secret:
                secret = secrets.token_urlsafe(32)
                log.warning("TELEGRAM_WEBHOOK_SECRET is not set; using a random secret for this run")
            # Our aiohttp server instead of PTB's tornado one: same secret check, plus /healthz, /metrics.
            url_path = urlsplit(webhook_url).path.lstrip("/")
            webhook = serving(
                service, listen, port, application=application, url_path=url_path, secret_token=secret
            )
            await http.enter_async_context(webhook)
            await application.bot.set_webhook(webhook_url, secret_token=secret)
        else:
            await application.updater.start_polling(timeout=poll_timeout)  # type: ignore[union-attr]
        if settings.metrics_port is not None and not (webhook_url and settings.metrics_port == port):
            await http.enter_async_context(serving(service, settings.metrics_listen, settings.metrics_port))
        messenger = TelegramMessenger(application.bot, service)
        interval = settings.outbox_interval_seconds if outbox_interval is None else outbox_interval
        outbox_task = asyncio.create_task(run_outbox(service, messenger, stop, interval=interval))
        yield application
    finally:
        stop.set()
        await http.aclose()  # take no more updates before the application stops
        if outbox_task is not None:
            with contextlib.suppress(Exception):
                await outbox_task
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


async def serve(
    service: ClaimService,
    settings: Settings,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    outbox_interval: float | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve Telegram until `stop` is set, the task is cancelled, or SIGTERM arrives."""
    stop = stop or asyncio.Event()
    application = build_application(service, settings)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with running(
        application,
        service,
        settings,
        webhook_url=webhook_url,
        listen=listen,
        port=port,
        outbox_interval=outbox_interval,
    ):
        log.warning(
            "ClaimBot is serving Telegram as @%s (%s)",
            application.bot.username,
            "webhook" if webhook_url else "long polling",
        )
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)


def run(service: ClaimService, settings: Settings, **kw: Any) -> None:
    """Blocking entry point for `claimbot serve telegram`."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(service, settings, **kw))
