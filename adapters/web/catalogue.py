"""The catalogue: search and filter, one fact-check, revise it, rate the unrated, import a file.

An upload is bounded twice: the route's body limit (CLAIMBOT_CONSOLE_UPLOAD_BYTES plus a little for
the form), and the file's own size once parsed. It is saved under a temporary directory with a
sanitised name and read by the same importers as `claimbot import`; the report lists each bad record
as `file:line: message` against the name the moderator uploaded.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from adapters.web.render import (
    PAGE_SIZE,
    Pager,
    actor_of,
    back_to,
    call,
    page_number,
    render,
    service_of,
    settings_of,
)
from bot.domain import ServiceError, Verdict
from bot.importers import FORMATS

STATUSES = ("all", "published", "draft", "retracted")
VERDICTS = [v.value for v in Verdict]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK = 64 * 1024


async def factchecks_page(request: Request) -> Response:
    actor = actor_of(request)
    params = request.query_params
    status = params.get("status", "all")
    status = status if status in STATUSES else "all"
    verdict = params.get("verdict", "")
    verdict = verdict if verdict in VERDICTS else ""
    query = params.get("q", "").strip()[:300]
    service = service_of(request)
    number = page_number(request)
    if query:
        hits = await call(
            service.find_factchecks, actor, query, status=status, verdict=verdict or None, limit=50
        )
        cards, pager = [hit.fact_check for hit in hits], None
        scores = {hit.fact_check.id: hit.score for hit in hits}
    else:
        page = await call(
            service.factcheck_page,
            actor,
            status=status,
            verdict=verdict or None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        cards, pager, scores = list(page.items), Pager(number, PAGE_SIZE, page.total), {}
    return render(
        request,
        "factchecks.html",
        cards=cards,
        pager=pager,
        scores=scores,
        query=query,
        status=status,
        verdict=verdict,
        statuses=STATUSES,
        verdicts=VERDICTS,
    )


async def factcheck_page(request: Request) -> Response:
    actor = actor_of(request)
    detail = await call(service_of(request).factcheck_detail, actor, request.path_params["fact_check"])
    return render(request, "factcheck.html", detail=detail, card=detail.card)


async def factcheck_action(request: Request) -> Response:
    actor = actor_of(request)
    fact_check_id = request.path_params["fact_check"]
    action = request.path_params["action"]
    service = service_of(request)
    form = await request.form()
    back = str(form.get("back", ""))
    # Back to the list the moderator rated from, else to the fact-check; only our own pages.
    here = back if back.startswith("/factchecks") and "//" not in back else f"/factchecks/{fact_check_id}"
    try:
        if action == "rate":
            card = await call(service.rate, actor, fact_check_id, str(form.get("rating", "")))
            return back_to(
                here, request, f"Rated #{card.id} {card.verdict.value} (revision {card.revision})."
            )
        if action == "revise":
            current = (await call(service.factcheck_detail, actor, fact_check_id)).card
            changes: dict[str, str] = {}
            rating = str(form.get("rating", "")).strip()
            if rating and rating != current.verdict.value:
                changes["rating"] = rating
            for name in ("claim", "title", "summary"):
                value = str(form.get(name, "")).strip()
                if value and value != getattr(current, name):
                    changes[name] = value
            if not changes:
                return back_to(here, request, "Nothing was changed, so there is no new revision.", "warning")
            card = await call(service.revise, actor, fact_check_id, **changes)
            return back_to(
                here,
                request,
                f"Revised #{card.id} ({', '.join(sorted(changes))}); now revision {card.revision}. "
                "Sent answers are being edited.",
            )
    except ServiceError as exc:
        if type(exc) is not ServiceError:
            raise
        return back_to(here, request, str(exc), "error")
    return render(request, "error.html", status_code=404, message="There is no such action.", status=404)


# ---------------------------------------------------------------------------------------- import


async def import_page(request: Request) -> Response:
    actor_of(request)
    return render(request, "import.html", formats=list(FORMATS), report=None, filename=None)


async def import_file(request: Request) -> Response:
    actor = actor_of(request)
    limit = settings_of(request).console_upload_bytes
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        fmt = str(form.get("format", "")).strip() or None
        if not isinstance(upload, UploadFile) or not upload.filename:
            return back_to("/import", request, "Choose a file to import.", "error")
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
        if upload.size is not None and upload.size > limit:
            return _too_large(request, limit)
        folder = Path(tempfile.mkdtemp(prefix="claimbot-upload-"))
        try:
            # The importers detect the format by the file's extension first: keep it.
            path = folder / (SAFE_NAME.sub("_", name).strip("._") or "upload")
            size = 0
            with path.open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        return _too_large(request, limit)
                    out.write(chunk)
            try:
                report = await call(service_of(request).import_upload, actor, path, name, fmt)
            except ServiceError as exc:
                if type(exc) is not ServiceError:
                    raise
                return back_to("/import", request, str(exc), "error")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return render(request, "import.html", formats=list(FORMATS), report=report, filename=name)


def _too_large(request: Request, limit: int) -> Response:
    return render(
        request,
        "error.html",
        status_code=413,
        message=f"That file is larger than the console takes ({limit // 1024} KiB). Import it with "
        "`claimbot import` on the server instead.",
        status=413,
    )
