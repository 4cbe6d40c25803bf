"""Telegram on python-telegram-bot 22: the Application's wiring, start-up and shutdown.

`build_application` makes the bot and registers every handler (members, inline mode, moderators);
`running` starts it with long polling or a webhook (adapters/http_server.py, with /healthz and
/metrics: a wrong X-Telegram-Bot-Api-Secret-Token gets 403) plus the outbox, and stops both on exit.
Run with `claimbot serve telegram` (long polling) or `--webhook-url`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

from telegram import BotCommand, MessageEntity, Update
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

from adapters.buttons import ButtonKind
from adapters.http_server import serving
from adapters.telegram import answers, catalogue, members, moderators
from adapters.telegram.chat import NO_PREVIEW, PLATFORM, SERVICE, SETTINGS, say, service_of, settings_of, tr
from adapters.telegram.inline import inline_query
from adapters.telegram.messenger import TelegramMessenger
from adapters.telegram.render import BUTTON_DATA, parse_callback, plain
from bot.config import Settings
from bot.delivery import run_outbox
from bot.domain import Actor
from bot.domain.errors import ServiceError
from bot.redact import register_secret
from bot.service import ClaimService

log = logging.getLogger(__name__)

LAST_ALERT = "last_error_alert"  # key in Application.bot_data
ERROR_ALERT_INTERVAL = 60.0
COMMANDS = [
    BotCommand("check", "Check a claim (or reply /check to a message)"),
    BotCommand("help", "What this bot does"),
    BotCommand("forget", "Delete what the bot stored about you"),
    BotCommand("pin", "Pin the answer you reply to (group admins)"),
]
ButtonHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, tuple[int, ...]], Awaitable[None]]
BUTTONS: dict[ButtonKind, ButtonHandler] = {**members.BUTTONS, **moderators.BUTTONS, **answers.BUTTONS}


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


# ---------------------------------------------------------------------------------------------- handlers


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: each valid press goes to its handler; garbled data is refused and audited."""
    t = tr(update)
    query = update.callback_query
    assert query is not None
    press = parse_callback(query.data)
    if press is None:
        log.warning("ignoring garbled callback data from %s", query.from_user.id)
        # Forged or garbled data is refused politely and audited, as a refused moderator action would be.
        actor = Actor(PLATFORM, str(query.from_user.id), community=settings_of(context).community)
        detail = f"malformed callback data {(query.data or '')[:80]!r}"
        action = BUTTON_DATA.claimed_action(query.data)
        await asyncio.to_thread(service_of(context).audit_refusal, actor, action, "callback", detail)
        await query.answer(t("Sorry, that button no longer works."))
        return
    try:
        await BUTTONS[press.kind](update, context, press.ids)
    except ServiceError as exc:
        # The core's refusals to askers are marked for the catalogs; moderators' ones stay as written.
        await query.answer(tr(update)(str(exc))[:200], show_alert=True)


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
            await say(update, plain(tr(update)(str(error))[:1000]))
        return
    log.error("update %s failed", update_id, exc_info=error)
    await _tell_moderators(context, f"ClaimBot failed on update {update_id}: {type(error).__name__}: {error}")


async def _tell_moderators(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """One short note per minute at most to the moderators' chat, so an error storm cannot flood it."""
    chat = settings_of(context).telegram_moderator_chat
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
    new = filters.UpdateType.MESSAGE  # not edits: an edited message is not asked again
    # Members: commands, any text in a DM, a mention in a group, and the answers' buttons.
    application.add_handler(CommandHandler(["start", "help"], members.start_command, filters=new))
    application.add_handler(CommandHandler("forget", members.forget_command, filters=new))
    application.add_handler(CommandHandler("check", members.check_command, filters=new))
    application.add_handler(CommandHandler("pin", members.pin_command, filters=new))
    # Moderators (the service authorizes each call).
    application.add_handler(CommandHandler("console", moderators.console_command, filters=new))
    application.add_handler(CommandHandler("queue", moderators.queue_command, filters=new))
    application.add_handler(CommandHandler("verdict", moderators.verdict_command, filters=new))
    application.add_handler(CommandHandler("approve", moderators.approve_command, filters=new))
    application.add_handler(CommandHandler("reject", moderators.reject_command, filters=new))
    application.add_handler(CommandHandler("link", moderators.link_command, filters=new))
    application.add_handler(CommandHandler("revise", moderators.revise_command, filters=new))
    application.add_handler(CommandHandler("rate", moderators.rate_command, filters=new))
    application.add_handler(CommandHandler("block", moderators.block_command, filters=new))
    application.add_handler(CommandHandler("export", moderators.export_command, filters=new))
    application.add_handler(CommandHandler("feedback", answers.feedback_command, filters=new))
    application.add_handler(CommandHandler("factchecks", catalogue.factchecks_command, filters=new))
    private_text = new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(private_text, members.private_text))
    # Issue 16: photos, videos, animations, video notes and image or video documents are checked (a
    # file of any other kind gets a reply saying what can be); in groups when the caption asks.
    files = filters.PHOTO | filters.VIDEO | filters.ANIMATION | filters.VIDEO_NOTE | filters.Document.ALL
    files = files | filters.AUDIO | filters.VOICE | filters.Sticker.ALL
    application.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & files, members.private_media))
    asked = filters.CaptionRegex(r"^/check(@\w+)?(\s|$)") | filters.CaptionEntity(MessageEntity.MENTION)
    application.add_handler(
        MessageHandler(new & filters.ChatType.GROUPS & files & asked, members.group_media)
    )
    mention = new & filters.ChatType.GROUPS & filters.Entity(MessageEntity.MENTION) & ~filters.COMMAND
    application.add_handler(MessageHandler(mention, members.group_mention))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    application.add_handler(CallbackQueryHandler(button_pressed))  # members' and moderators' buttons
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


class ServeOptions(TypedDict, total=False):
    """What `serve` passes on to `running`: where updates come from, and how often the outbox is drained."""

    webhook_url: str | None
    listen: str
    port: int
    outbox_interval: float | None


async def serve(
    service: ClaimService,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    **options: Unpack[ServeOptions],
) -> None:
    """Serve Telegram until `stop` is set, the task is cancelled, or SIGTERM arrives."""
    stop = stop or asyncio.Event()
    application = build_application(service, settings)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with running(application, service, settings, **options):
        log.warning(
            "ClaimBot is serving Telegram as @%s (%s)",
            application.bot.username,
            "webhook" if options.get("webhook_url") else "long polling",
        )
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)


def run(service: ClaimService, settings: Settings, **options: Unpack[ServeOptions]) -> None:
    """Blocking entry point for `claimbot serve telegram`."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(service, settings, **options))
