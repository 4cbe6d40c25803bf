"""The moderators' web console on Starlette: the app, its middleware, and `claimbot serve web`.

From the outside in, every request passes:

1. `SecurityHeaders`: CSP without inline scripts, nosniff, no referrer (sign-in links carry a token),
   no framing, and no caching of pages (they show people's questions).
2. Starlette's `RequestBodyLimitMiddleware` at the largest upload: nothing reads a bigger body, the
   CSRF check included (it reads a form to find its token).
3. Starlette's `SessionMiddleware`: the signed (itsdangerous), HttpOnly, SameSite=Lax session cookie
   (over https `__Host-` and Secure, so a sibling host cannot plant one).
4. Every POST route is `csrf.protected`: its form's `csrftoken` must be the session's (403 otherwise).

Pages are in dashboard.py (the front page), auth.py (sign-in), queue.py (the queue and one item),
catalogue.py (fact-checks and imports), audit.py, preferences.py; render.py holds what they share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.web import audit, auth, catalogue, dashboard, preferences, queue
from adapters.web.csrf import CsrfFailed, protected
from adapters.web.render import HERE, SignedOut, render
from bot.config import Settings
from bot.domain import NotAllowed, NotFound, ServiceError
from bot.redact import register_secret
from bot.service import ClaimService

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
SESSION_COOKIE = "claimbot_console"
# Room for a multipart upload's boundaries and its other fields beside the file itself.
FORM_OVERHEAD = 64 * 1024
SMALL_FORM = 256 * 1024  # any form but the import: verdicts, reasons, searches


class SecurityHeaders:
    """The security headers on every response, CSRF refusals and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def console_secret(settings: Settings) -> str:
    if settings.console_secret is not None:
        secret = settings.console_secret.get_secret_value()
    else:
        log.warning(
            "CLAIMBOT_CONSOLE_SECRET is not set: sessions are signed with a random key for this process "
            "only (they end when it restarts); set your own long random value"
        )
        secret = secrets.token_urlsafe(48)
    register_secret(secret)  # never in a log record
    return secret


# ---------------------------------------------------------------------------------------- errors


async def csrf_failed(request: Request, _exc: Exception) -> Response:
    log.info("CSRF check failed on %s %s", request.method, request.url.path)
    message = (
        "This form has expired or did not come from the console (CSRF check failed). "
        "Go back, reload the page and try again."
    )
    return render(request, "error.html", status_code=403, message=message, status=403)


async def signed_out(request: Request, _exc: Exception) -> Response:
    if request.method == "GET":
        return RedirectResponse("/signin", status_code=303)
    return render(
        request, "signin.html", status_code=401, token=None, error="Your session has ended.", signed_out=None
    )


async def service_error(request: Request, exc: Exception) -> Response:
    status = 403 if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 400
    return render(request, "error.html", status_code=status, message=str(exc), status=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "There is no such page.", 405: "That is not how this page is used."}.get(
        exc.status_code, str(exc.detail)
    )
    return render(request, "error.html", status_code=exc.status_code, message=message, status=exc.status_code)


# ---------------------------------------------------------------------------------------- the app


def form(path: str, endpoint: Any, limit: int = SMALL_FORM, **form_limits: Any) -> Route:
    """A POST route: its body bounded, its form CSRF-checked before `endpoint` runs."""
    return Route(path, protected(endpoint, **form_limits), methods=["POST"], max_body_size=limit)


def routes(settings: Settings) -> list[BaseRoute]:
    upload_limit = settings.console_upload_bytes + FORM_OVERHEAD
    return [
        Route("/", dashboard.dashboard_page),
        Route("/healthz", auth.healthz),
        Route("/signin", auth.sign_in_page, methods=["GET"]),
        form("/signin", auth.sign_in),
        form("/signout", auth.sign_out),
        Route("/queue", queue.queue_page),
        Route("/review/{item:int}", queue.review_page),
        form("/review/{item:int}/{action}", queue.review_action),
        Route("/factchecks", catalogue.factchecks_page),
        Route("/factchecks/{fact_check:int}", catalogue.factcheck_page),
        form("/factchecks/{fact_check:int}/{action}", catalogue.factcheck_action),
        Route("/import", catalogue.import_page, methods=["GET"]),
        form("/import", catalogue.import_file, upload_limit, max_files=1, max_fields=10),
        Route("/audit", audit.audit_page),
        Route("/settings", preferences.settings_page, methods=["GET"]),
        form("/settings", preferences.save_settings),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def build_app(service: ClaimService, settings: Settings, *, follow_index: bool = True) -> ASGIApp:
    """The console as one ASGI app (middleware included), on `service`'s database."""
    secret = console_secret(settings)
    https = settings.console_url.startswith("https://")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Fact-checks change in other processes (imports, chat moderators): search and suggestions
        # here follow them as the chat workers' indexes do.
        stop = asyncio.Event()
        task = asyncio.create_task(follow(service, stop), name="console-index") if follow_index else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    app = Starlette(
        routes=routes(settings),
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie=("__Host-" if https else "") + SESSION_COOKIE,
                max_age=int(settings.console_session_hours * 3600),
                same_site="lax",
                https_only=https,
            )
        ],
        exception_handlers={
            SignedOut: signed_out,
            CsrfFailed: csrf_failed,
            ServiceError: service_error,
            HTTPException: http_error,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    limited = RequestBodyLimitMiddleware(app, max_body_size=settings.console_upload_bytes + FORM_OVERHEAD)
    return SecurityHeaders(limited)


async def follow(service: ClaimService, stop: asyncio.Event) -> None:
    """Refresh the match index from other processes' changes (LISTEN on PostgreSQL, else polling)."""
    from bot.delivery import follow_fact_checks

    listener = None
    if service.engine.dialect.name == "postgresql":
        listener = asyncio.create_task(follow_fact_checks(service, stop), name="console-listen")
    try:
        while not stop.is_set():
            try:
                await asyncio.to_thread(service.refresh_index)
            except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.exception("refreshing the match index failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=service.settings.outbox_interval_seconds)
    finally:
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener


def run(service: ClaimService, settings: Settings, *, listen: str = "0.0.0.0", port: int = 8080) -> None:
    """`claimbot serve web`: the console on uvicorn until interrupted."""
    import uvicorn

    # No access log: a sign-in request's query string holds its single-use token.
    uvicorn.run(
        build_app(service, settings),
        host=listen,
        port=port,
        access_log=False,
        log_level="warning",
        proxy_headers=True,
        server_header=False,
    )
