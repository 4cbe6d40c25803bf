"""The moderator's settings for this session: the time zone dates are shown in (default UTC).

console.js offers the browser's own zone (Intl) once per session; without JavaScript the form does.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import Response

from adapters.web.render import actor_of, back_to, render, valid_zone


@cache
def zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


async def settings_page(request: Request) -> Response:
    actor_of(request)
    return render(request, "settings.html", zones=zones())


async def save_settings(request: Request) -> Response:
    actor_of(request)
    form = await request.form()
    zone = valid_zone(str(form.get("tz", "")))
    if zone is None:
        return back_to("/settings", request, "That is not a time zone this server knows.", "error")
    request.session["tz"] = zone
    if form.get("auto"):  # console.js: the browser's zone, set without a page of its own
        return Response(status_code=204)
    return back_to("/settings", request, f"Dates are shown in {zone} now.")
