"""The audit log: every moderator action and every refused attempt, newest first, a page at a time."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from adapters.web.render import Pager, actor_of, call, page_number, render, service_of

AUDIT_PAGE = 50
ACTION = re.compile(r"^[a-z_]{1,40}$")


async def audit_page(request: Request) -> Response:
    actor = actor_of(request)
    action = request.query_params.get("action", "").strip()
    action = action if ACTION.match(action) else ""
    number = page_number(request)
    page = await call(
        service_of(request).audit_page,
        actor,
        limit=AUDIT_PAGE,
        offset=(number - 1) * AUDIT_PAGE,
        action=action or None,
    )
    return render(
        request, "audit.html", page=page, pager=Pager(number, AUDIT_PAGE, page.total), action=action
    )
