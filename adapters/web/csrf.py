"""CSRF protection of every form: a per-session token (the synchronizer token pattern), checked before
any POST endpoint runs.

The token is 256 random bits kept in the session, which is a cookie signed with itsdangerous
(Starlette's SessionMiddleware): it cannot be read cross-site (HttpOnly), set by another site, or
changed without the console secret. Each form carries it in its `csrftoken` field (console.js's one
fetch sends the same field); a POST whose field does not match is refused with 403 before its
endpoint sees it. Sign-in is covered too: the sign-in page starts a session holding just the token.

Kept libraries were tried first. asgi-csrf 0.11 (signed double-submit cookie) fails every
multipart/form-data POST with python-multipart 0.0.26 and later (`FormParser` lost `FileClass`; its
upstream issue #38 is open, and says the releases before 0.0.26 carry CVE-2026-40347).
starlette-csrf 3.0 reads the token from a request header only, which an HTML form without
JavaScript cannot send. Here the crypto is itsdangerous' and the comparison `hmac.compare_digest`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

FIELD = "csrftoken"
SESSION_KEY = "csrf"
Endpoint = Callable[[Request], Awaitable[Response]]


class CsrfFailed(Exception):
    """A form without the session's token: refused before its endpoint runs."""


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (a page with a form starts a session)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def protected(endpoint: Endpoint, **form_limits: Any) -> Endpoint:
    """`endpoint` behind the token check; the form is parsed once here (within `form_limits`) and the
    endpoint reads it again from the request's cache."""

    async def checked(request: Request) -> Response:
        expected = request.session.get(SESSION_KEY)
        form = await request.form(**form_limits)
        given = form.get(FIELD)
        if not (
            isinstance(expected, str)
            and isinstance(given, str)
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            await form.close()
            raise CsrfFailed
        return await endpoint(request)

    checked.__name__ = getattr(endpoint, "__name__", "endpoint")
    checked.csrf_protected = True  # type: ignore[attr-defined]  (tests/test_web.py checks every POST route)
    return checked
