"""Signing in with a link from the bot, signing out, and the health check.

The link's GET only shows a button: link previews, mail scanners and prefetching browsers fetch a
URL without a person, and a GET that spent the single-use token would sign them in, or spend the
moderator's link. The button POSTs the token (CSRF-checked like every form), and the core spends it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.web.render import SignedOut, actor_of, back_to, call, render, service_of, sign_in_session
from bot.domain import NotAllowed

MAX_TOKEN = 200


async def sign_in_page(request: Request) -> Response:
    token = request.query_params.get("token", "").strip()[:MAX_TOKEN] or None
    return render(request, "signin.html", token=token, error=None, signed_out=None)


async def sign_in(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", "")).strip()[:MAX_TOKEN]
    if not token:
        return render(
            request,
            "signin.html",
            status_code=400,
            token=None,
            error="That link has no token.",
            signed_out=None,
        )
    try:
        actor = await call(service_of(request).console_sign_in, token)
    except NotAllowed as refused:
        request.session.pop("actor", None)
        return render(
            request, "signin.html", status_code=403, token=None, error=str(refused), signed_out=None
        )
    sign_in_session(request, actor)
    return back_to("/", request, f"Signed in as {actor.label}.")


async def sign_out(request: Request) -> Response:
    try:
        label: str | None = actor_of(request).label
    except SignedOut:
        label = None
    request.session.clear()
    return render(request, "signin.html", token=None, error=None, signed_out=label)


async def healthz(request: Request) -> Response:
    try:
        ok = await call(service_of(request).healthy)
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        ok = False
    return PlainTextResponse("ok\n" if ok else "unavailable\n", status_code=200 if ok else 503)
