"""What every console page shares: the Jinja2 templates (autoescaped), the signed-in moderator, flash
messages, pages of long lists, dates in the moderator's time zone, and calling the core off the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from adapters.web.csrf import csrf_token
from bot.config import Settings
from bot.domain import Actor, Verdict
from bot.service import ClaimService

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 25
DEFAULT_ZONE = "UTC"
T = TypeVar("T")


class SignedOut(Exception):
    """No (valid) session: the page sends the browser to the sign-in page instead."""


def service_of(request: Request) -> ClaimService:
    return request.app.state.service


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def actor_of(request: Request) -> Actor:
    """The signed-in moderator, or SignedOut. A session ends CLAIMBOT_CONSOLE_SESSION_HOURS after its
    sign-in however active it is (the cookie's own age is renewed on every response)."""
    who = request.session.get("actor")
    since = request.session.get("since")
    if not isinstance(who, dict) or not isinstance(since, int | float):
        raise SignedOut
    if time.time() - since > settings_of(request).console_session_hours * 3600:
        request.session.clear()
        raise SignedOut
    try:
        return Actor(str(who["platform"]), str(who["user_id"]), str(who["community"]), bool(who["admin"]))
    except KeyError:
        request.session.clear()
        raise SignedOut from None


def sign_in_session(request: Request, actor: Actor) -> None:
    """A fresh session for `actor` (whatever the browser held before is dropped: no session fixation)."""
    zone = request.session.get("tz")
    request.session.clear()  # the CSRF token too: the signed-in session gets its own
    request.session.update(
        actor={
            "platform": actor.platform,
            "user_id": actor.user_id,
            "community": actor.community,
            "admin": actor.platform_admin,
        },
        since=int(time.time()),
    )
    if zone:
        request.session["tz"] = zone


async def call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A core call in a worker thread: matching and database work never block the event loop."""
    return await run_in_threadpool(func, *args, **kwargs)


# ---------------------------------------------------------------------------------------- flash


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A message shown once, on the next page (the redirect after a form)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, text[:1000]])
    request.session["flash"] = messages[-5:]


def take_flashes(request: Request) -> list[tuple[str, str]]:
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    return [(str(kind), str(text)) for kind, text in messages]


def back_to(path: str, request: Request, text: str | None = None, kind: str = "ok") -> RedirectResponse:
    """After a form: say what happened on the next page, and go there (303, so a reload resubmits nothing)."""
    if text:
        flash(request, text, kind)
    return RedirectResponse(path, status_code=303)


# ---------------------------------------------------------------------------------------- time zones


def zone_of(request: Request) -> ZoneInfo:
    name = request.session.get("tz") or DEFAULT_ZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def valid_zone(name: str) -> str | None:
    name = name.strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Pager:
    """Where a page of a long list is: its number, how many there are, and the links to the others."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def int_param(value: object) -> int | None:
    text = str(value or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 18 else None


RATINGS = [v.value for v in Verdict if v is not Verdict.UNRATED]


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        # Every stored string (claims, phrasings, moderators' words) is escaped unless a template says not.
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


TEMPLATES = _templates()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    zone = zone_of(request)
    try:
        actor: Actor | None = actor_of(request)
    except SignedOut:
        actor = None
    base = {
        "actor": actor,
        "csrf_token": csrf_token(request),
        "flashes": take_flashes(request),
        "zone": zone.key,
        "zone_chosen": bool(request.session.get("tz")),
        "when": lambda moment: local_time(moment, zone),
        "iso": lambda moment: moment.replace(tzinfo=moment.tzinfo or UTC).isoformat() if moment else "",
        "ratings": RATINGS,
        # Only http(s) links become hrefs: an imported source cannot smuggle a javascript: URL.
        "http_url": lambda url: isinstance(url, str) and url.startswith(("http://", "https://")),
        "path": request.url.path,
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
