"""The review queue and one review item: read it, search the catalogue, link, write a verdict, approve
the revision shown, reject with a reason.

Every action is a ClaimService call with the signed-in moderator as the Actor, so it is authorized
and audited exactly as the same action in chat; a refusal comes back as the core's message.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from adapters.attach import ATTACH_KINDS, attached_note, attachment_of
from adapters.media import PLATFORM_NAMES
from adapters.web.render import (
    PAGE_SIZE,
    Pager,
    actor_of,
    back_to,
    call,
    int_param,
    page_number,
    render,
    service_of,
    settings_of,
)
from bot.domain import MediaAttachment, ServiceError
from bot.i18n import translator

QUEUES = ("open", "drafted", "answered", "rejected", "all")
ACTIONS = ("link", "verdict", "approve", "reject")


async def queue_page(request: Request) -> Response:
    actor = actor_of(request)
    status = request.query_params.get("status", "open")
    if status not in QUEUES:
        status = "open"
    number = page_number(request)
    page = await call(
        service_of(request).queue_page, actor, status=status, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    ids = [entry.review.id for entry in page.entries]
    trends = await call(service_of(request).review_trends, actor, ids)
    return render(
        request,
        "queue.html",
        page=page,
        trends=trends,
        pager=Pager(number, PAGE_SIZE, page.total),
        status=status,
        queues=QUEUES,
    )


async def review_page(request: Request) -> Response:
    actor = actor_of(request)
    item_id = request.path_params["item"]
    service = service_of(request)
    review = await call(service.review_item, actor, item_id)
    phrasings = await call(service.review_phrasings, actor, item_id)
    query = request.query_params.get("q", "").strip()[:300]
    hits = await call(service.find_factchecks, actor, query, status="published") if query else []
    settings = settings_of(request)
    own_draft = review.drafted_by == actor.label
    return render(
        request,
        "review.html",
        review=review,
        phrasings=phrasings,
        query=query,
        hits=hits,
        second_approval=settings.require_second_approval,
        own_draft=own_draft,
        open=review.status in ("open", "drafted"),
        media_from=PLATFORM_NAMES.get(review.media.platform, review.media.platform) if review.media else "",
        # The console is English, like every moderators' screen: the kinds' labels as the CLI words them.
        attach_kinds=[(kind.word, translator(None)(kind.label)) for kind in ATTACH_KINDS],
    )


def attach_choice(form: FormData) -> MediaAttachment | None:
    """The Link and Approve forms' "attach the forwarded photo/video" box: unticked, nothing is attached
    (the kind select always sends a value, so only the box says yes)."""
    if form.get("attach_media") != "1":
        return None
    return attachment_of(str(form.get("authenticity") or "checked"), str(form.get("media_description", "")))


async def review_action(request: Request) -> Response:
    actor = actor_of(request)
    item_id = request.path_params["item"]
    action = request.path_params["action"]
    if action not in ACTIONS:
        return render(request, "error.html", status_code=404, message="There is no such action.", status=404)
    form = await request.form()
    service = service_of(request)
    here = f"/review/{item_id}"
    try:
        if action == "link":
            fact_check_id = int_param(form.get("fact_check"))
            if fact_check_id is None:
                return back_to(here, request, "Say which fact-check to link (its number).", "error")
            attach = attach_choice(form)
            card = await call(service.link, actor, item_id, fact_check_id, attach_media=attach)
            note = f"Linked #{item_id} to fact-check #{card.id}; subscribers will be notified."
            return back_to(here, request, f"{note} {attached_note(attach, card.id)}" if attach else note)
        if action == "verdict":
            sources = str(form.get("sources", "")).replace(",", " ").split()
            claim = str(form.get("claim", "")).strip() or None
            card = await call(
                service.write_verdict,
                actor,
                item_id,
                str(form.get("rating", "")),
                str(form.get("summary", "")),
                sources,
                claim,
            )
            return back_to(
                here,
                request,
                f"Drafted {card.verdict.value} as revision {card.revision}; approve it to publish.",
            )
        if action == "approve":
            revision = int_param(form.get("revision"))
            attach = attach_choice(form)
            result = await call(service.approve, actor, item_id, revision, attach_media=attach)
            if result.published:
                note = (
                    f"Published fact-check #{result.fact_check.id}; notifying {result.notified} "
                    f"subscriber{'s' if result.notified != 1 else ''}."
                )
                if attach:
                    note += " " + attached_note(attach, result.fact_check.id)
                return back_to(here, request, note)
            return back_to(here, request, f"Not published yet: {result.waiting_for}.", "warning")
        reason = str(form.get("reason", ""))
        await call(service.reject, actor, item_id, reason)
        return back_to(here, request, f"Rejected #{item_id}.")
    except ServiceError as exc:
        if type(exc) is not ServiceError:
            raise  # NotAllowed and NotFound: their own pages
        return back_to(here, request, str(exc), "error")
