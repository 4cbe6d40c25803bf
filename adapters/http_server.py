"""The worker's HTTP server (aiohttp): Telegram webhook updates, GET /healthz and GET /metrics.

python-telegram-bot's own webhook server (tornado) takes no extra routes, so in webhook mode the
Telegram adapter serves the webhook here instead, the way PTB's `customwebhookbot` example does:

* ``POST /<url_path>``: an update from Telegram. A missing or wrong ``X-Telegram-Bot-Api-Secret-Token``
  gets 403; otherwise the update is put on ``application.update_queue`` and answered 200 at once (the
  handlers run on PTB's side). An update that does not parse is logged and acknowledged with 200, so
  Telegram does not redeliver it forever (the same choice as `ClaimBotExtBot.get_updates`).
* ``GET /healthz``: 200 ``ok`` when the database answers (`ClaimService.healthy`), 503 otherwise.
* ``GET /metrics``: `ClaimService.metrics_text`, the Prometheus text format 0.0.4.

Any worker (Telegram polling, Discord) can serve just /healthz and /metrics on CLAIMBOT_METRICS_PORT
with `serving(service, listen, port)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.service import ClaimService

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


def build_app(
    service: ClaimService,
    *,
    application: Any = None,
    url_path: str | None = None,
    secret_token: str | None = None,
) -> web.Application:
    """The aiohttp application; with a PTB `application` and `url_path` it also takes webhook updates."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            ok = await asyncio.to_thread(service.healthy)
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            log.warning("health check failed", exc_info=True)
            ok = False
        return web.Response(text="ok\n" if ok else "unavailable\n", status=200 if ok else 503)

    async def metrics(_request: web.Request) -> web.Response:
        try:
            body = await asyncio.to_thread(service.metrics_text)
        except Exception:  # noqa: BLE001 - the gauges read the database; say so instead of a 500 page
            log.warning("metrics scrape failed", exc_info=True)
            return web.Response(text="metrics unavailable\n", status=503)
        response = web.Response(text=body)
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if application is not None and url_path is not None:
        app.router.add_post(
            "/" + url_path.strip("/"), _webhook_handler(application, secret_token), name="telegram-webhook"
        )
    return app


def _webhook_handler(application: Any, secret_token: str | None) -> Any:
    from telegram import Update
    from telegram.ext import ExtBot

    async def webhook(request: web.Request) -> web.Response:
        if secret_token:
            given = request.headers.get(SECRET_HEADER, "")
            if not secrets.compare_digest(given.encode(), secret_token.encode()):
                return web.Response(status=403, text="wrong or missing secret token\n")
        try:
            data = await request.json(loads=json.loads)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid JSON\n")
        bot = application.bot
        try:
            update = Update.de_json(data, bot)
        except Exception:  # noqa: BLE001 - one malformed update must not be redelivered forever
            update_id = data.get("update_id") if isinstance(data, dict) else None
            log.error("skipping malformed webhook update %r", update_id, exc_info=True)
            return web.Response(text="ok\n")
        if update is not None:
            if isinstance(bot, ExtBot):
                bot.insert_callback_data(update)
            await application.update_queue.put(update)
        return web.Response(text="ok\n")

    return webhook


@contextlib.asynccontextmanager
async def serving(
    service: ClaimService,
    listen: str,
    port: int,
    *,
    application: Any = None,
    url_path: str | None = None,
    secret_token: str | None = None,
) -> AsyncIterator[web.AppRunner]:
    """Run the server on listen:port for the duration of the block."""
    runner = web.AppRunner(
        build_app(service, application=application, url_path=url_path, secret_token=secret_token),
        access_log=None,  # webhook paths may carry a secret; request logs are not needed
        handle_signals=False,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, listen, port)
        await site.start()
        log.info("HTTP server on %s:%s (/healthz, /metrics%s)", listen, port, ", webhook" if url_path else "")
        yield runner
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def metrics_server(service: ClaimService) -> AsyncIterator[None]:
    """/healthz and /metrics on CLAIMBOT_METRICS_PORT when it is set; nothing otherwise."""
    port = service.settings.metrics_port
    if port is None:
        yield
        return
    async with serving(service, service.settings.metrics_listen, port):
        yield
