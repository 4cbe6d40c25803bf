"""The platform-neutral reply: what every adapter renders, always with the same parts in the same order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.answer_extras import FULL_REPORT_LABEL, HELPFUL_LABEL, NOT_HELPFUL_LABEL
from bot.domain import (
    Authenticity,
    Candidate,
    FactCheckCard,
    LinkNote,
    MediaNote,
    Outcome,
    OutcomeKind,
    SourceLink,
    Verdict,
)
from bot.matching import restates

MAX_SOURCES = 3
MAX_SUMMARY_CHARS = 600


class ActionKind(StrEnum):
    FULL_REPORT = "full_report"
    NOT_WHAT_I_ASKED = "not_what_i_asked"
    NOTIFY = "notify"
    CHOOSE = "choose"
    PIN = "pin"
    HELPFUL = "helpful"  # 👍 / 👎 under an answer (bot/answer_extras.py)
    NOT_HELPFUL = "not_helpful"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    label: str
    url: str | None = None
    request_id: int | None = None
    fact_check_id: int | None = None


@dataclass(frozen=True)
class Reply:
    kind: str  # answer, related, suggest, queued, refused, update
    headline: str  # "❌ False" for an answer; a sentence otherwise
    summary: str = ""
    claim: str = ""
    verdict: Verdict | None = None
    rating_text: str = ""  # the publisher's own words when they differ from the label
    checked: str = ""  # "Checked on February 2, 2026 by AFP"
    sources: tuple[SourceLink, ...] = ()
    disclaimer: str = ""
    note: str = ""  # e.g. "Updated: …" or "Verdict not yet confirmed by a moderator"
    actions: tuple[Action, ...] = ()
    choices: tuple[Candidate, ...] = ()
    fact_check_id: int | None = None
    revision: int | None = None
    request_id: int | None = None
    review_item_id: int | None = None
    lead: str = ""  # said before the headline: what a link in the question led to


REFUSALS = {
    "empty": "Please send the claim you want checked, for example: did a NYC cop arrest an ICE agent?",
    "too_long": "That message is too long to check. Please send just the claim, in a sentence or two.",
    "throttled": "You're asking faster than I can check. Please slow down and try again in a minute.",
    "blocked": "",
    "duplicate": "",
}


# --- links in questions (issue 14): what the link led to, said before the answer ---
LINK_LEADS = {
    "review": "You linked this fact-check:",
    "sameAs": "You linked this fact-check:",
    "appearance": "The page you linked is one where this claim appeared. It has been fact-checked:",
    "firstAppearance": "The page you linked is where this claim first appeared. It has been fact-checked:",
    "page": "The page you linked says “{text}”. A fact-check about that:",
}
LINK_SUGGEST_LEAD = "The page you linked says “{text}”."
LINK_NOT_FOUND = {
    "unmatched": "I read the page you linked, but I have no fact-check about what it says.",
    "unreadable": "I couldn't read the page you linked ({error}), and I have no fact-check for that address.",
    "not_web": "I can only open web links (http:// or https://).",
}
LINK_HINT = "Send me the claim itself in a sentence, for example: did a NYC cop arrest an ICE agent?"
# --- fact-checks without a verdict (issue 14): offered as related reading, never as an answer ---
RELATED_HEADLINE = "A related fact-check (no verdict given here)"
RELATED_NOTE = "This fact-check has no rating in our records: read it for the publisher's findings."
UNRATED_QUEUED = "I know this claim but hold no verdict on it yet, so I've asked our moderators to rate it."


# --- photos and videos (issue 16): what the media is, said before the claim's verdict ---
MEDIA_WORD = {"image": "photo", "video": "video"}
MEDIA_LEADS = {
    Authenticity.TRANSFORMED: "This {kind} has been manipulated or generated (for example by AI)",
    Authenticity.EDITED_OR_CROPPED: "This {kind} has been edited or cropped to mislead",
    Authenticity.DECONTEXTUALIZED: "This {kind} is real but shared out of context",
    Authenticity.STAGED: "This {kind} was staged",
    Authenticity.SATIRE_OR_PARODY: "This {kind} is satire or parody",
    Authenticity.ORIGINAL: "This {kind} is authentic and unaltered",
}
MEDIA_KNOWN = "I know this {kind}: it has been fact-checked"
MEDIA_TEXT_LEAD = "I don't know this {kind}, but its words match a fact-check:"
MEDIA_QUEUED = "I don't know this {kind} yet, so I've sent it to our reviewers."
MEDIA_UNREADABLE = "I couldn't check that file."


def media_lead(media: MediaNote | None) -> str:
    """ "This video is AI-generated: it does not show a real arrest." before the verdict."""
    if media is None or media.kind not in MEDIA_WORD:
        return ""
    kind = MEDIA_WORD[media.kind]
    if media.via != "fingerprint":
        return MEDIA_TEXT_LEAD.format(kind=kind)
    lead = MEDIA_LEADS.get(media.authenticity, MEDIA_KNOWN) if media.authenticity else MEDIA_KNOWN
    lead = lead.format(kind=kind)
    return f"{lead}: {media.description.rstrip('.')}." if media.description else f"{lead}."


def media_queued(media: MediaNote | None) -> str:
    return MEDIA_QUEUED.format(kind=MEDIA_WORD[media.kind]) if media and media.kind in MEDIA_WORD else ""


def link_lead(link: LinkNote | None, *, suggest: bool = False) -> str:
    if link is None:
        return ""
    if suggest:
        return LINK_SUGGEST_LEAD.format(text=link.page_text) if link.page_text else ""
    return LINK_LEADS.get(link.via, "").format(text=link.page_text)


def compose_link_refusal(link: LinkNote) -> Reply:
    """A link that led to no fact-check: said plainly, with what to send instead (never queued)."""
    text = LINK_NOT_FOUND.get(link.via, LINK_NOT_FOUND["unmatched"])
    return Reply(kind="refused", headline=text.format(error=link.error or "no answer"), summary=LINK_HINT)


def format_date(card: FactCheckCard) -> str:
    if card.checked_at is None:
        return ""
    return f"{card.checked_at:%B} {card.checked_at.day}, {card.checked_at.year}"


def checked_line(card: FactCheckCard) -> str:
    parts = []
    if card.checked_at:
        parts.append(f"Checked on {format_date(card)}")
    if card.publisher:
        parts.append(f"by {card.publisher}" if parts else f"Checked by {card.publisher}")
    return " ".join(parts)


def short_summary(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def verdict_headline(card: FactCheckCard) -> str:
    return f"{card.verdict.icon} {card.verdict.value}"


def compose_related(
    card: FactCheckCard, disclaimer: str, *, request_id: int | None = None, note: str = "", lead: str = ""
) -> Reply:
    """A fact-check without a rating: its title and link, and its summary only when that is a finding
    rather than the claim said again (a reader would take a restated rumour for the answer)."""
    actions = []
    if card.report_url:
        actions.append(Action(ActionKind.FULL_REPORT, "Read the fact-check", url=card.report_url))
    if request_id is not None:
        actions.append(Action(ActionKind.NOT_WHAT_I_ASKED, "Not what I asked", request_id=request_id))
        actions.append(Action(ActionKind.NOTIFY, "Notify me of updates", request_id=request_id))
    title = card.title or card.claim
    finding = card.summary if card.summary and not restates(card.summary, [card.claim, title]) else ""
    return Reply(
        kind="related",
        headline=RELATED_HEADLINE,
        summary=short_summary(finding),
        claim=title,
        checked=checked_line(card),
        sources=tuple(card.sources)[:MAX_SOURCES],
        disclaimer=disclaimer,
        note=note or RELATED_NOTE,
        actions=tuple(actions),
        fact_check_id=card.id,
        revision=card.revision,
        request_id=request_id,
        lead=lead,
    )


def compose_answer(
    card: FactCheckCard, disclaimer: str, *, request_id: int | None = None, note: str = "", lead: str = ""
) -> Reply:
    if card.verdict is Verdict.UNRATED:  # issue 14: no verdict, no verdict label
        return compose_related(card, disclaimer, request_id=request_id, note=note, lead=lead)
    actions = []
    if card.report_url:
        actions.append(Action(ActionKind.FULL_REPORT, FULL_REPORT_LABEL, url=card.report_url))
    elif card.has_report:  # no page to link: the stored report is shown in chat, paged
        actions.append(Action(ActionKind.FULL_REPORT, FULL_REPORT_LABEL, fact_check_id=card.id))
    if request_id is not None:
        actions.append(Action(ActionKind.NOT_WHAT_I_ASKED, "Not what I asked", request_id=request_id))
        actions.append(Action(ActionKind.NOTIFY, "Notify me of updates", request_id=request_id))
        actions.append(Action(ActionKind.HELPFUL, HELPFUL_LABEL, request_id=request_id))
        actions.append(Action(ActionKind.NOT_HELPFUL, NOT_HELPFUL_LABEL, request_id=request_id))
    if not card.rating_confirmed and not note:
        note = "This verdict was derived automatically and awaits a moderator's confirmation."
    rating_text = card.rating_text if card.rating_text.lower() != card.verdict.value.lower() else ""
    return Reply(
        kind="answer",
        headline=verdict_headline(card),
        summary=short_summary(card.summary or card.title or card.claim),
        claim=card.claim,
        verdict=card.verdict,
        rating_text=rating_text,
        checked=checked_line(card),
        sources=tuple(s for s in card.sources)[:MAX_SOURCES],
        disclaimer=disclaimer,
        note=note,
        actions=tuple(actions),
        fact_check_id=card.id,
        revision=card.revision,
        request_id=request_id,
        lead=lead,
    )


def compose_update(card: FactCheckCard, disclaimer: str) -> Reply:
    """An answer edited in place after its fact-check was revised."""
    note = f"Updated: this fact-check was revised (revision {card.revision})."
    return compose_answer(card, disclaimer, note=note)


def compose_notification(card: FactCheckCard, disclaimer: str) -> Reply:
    """An answer sent to someone who asked to be told when a verdict arrives."""
    reply = compose_answer(card, disclaimer, note="A moderator has answered a question you asked.")
    return reply


def compose(outcome: Outcome, disclaimer: str) -> Reply:
    if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
        lead = media_lead(outcome.media) or link_lead(outcome.link)
        return compose_answer(outcome.fact_check, disclaimer, request_id=outcome.request_id, lead=lead)
    if outcome.kind is OutcomeKind.SUGGEST:
        return Reply(
            kind="suggest",
            lead=link_lead(outcome.link, suggest=True),
            headline="I'm not sure which claim you mean. Is it one of these?",
            disclaimer=disclaimer,
            choices=outcome.candidates[:3],
            actions=(Action(ActionKind.NOT_WHAT_I_ASKED, "None of these", request_id=outcome.request_id),),
            request_id=outcome.request_id,
        )
    if outcome.kind is OutcomeKind.QUEUED:
        unrated = outcome.fact_check is not None and outcome.fact_check.verdict is Verdict.UNRATED
        return Reply(
            kind="queued",
            headline=UNRATED_QUEUED
            if unrated
            else media_queued(outcome.media)
            or "I don't have a fact-check for that yet, so I've sent it to our reviewers.",
            summary="They check claims by hand; ask to be notified and I'll send you their verdict.",
            disclaimer=disclaimer,
            actions=(Action(ActionKind.NOTIFY, "Notify me", request_id=outcome.request_id),),
            request_id=outcome.request_id,
            review_item_id=outcome.review_item_id,
        )
    if outcome.link is not None:
        return compose_link_refusal(outcome.link)
    if outcome.media is not None:
        return Reply(kind="refused", headline=outcome.media.error or MEDIA_UNREADABLE)
    return Reply(kind="refused", headline=REFUSALS.get(outcome.reason or "", "I can't check that."))


def choice_label(candidate: Candidate) -> str:
    card = candidate.fact_check
    if card.verdict is Verdict.UNRATED:  # no verdict icon for what has no verdict
        return f"{card.title or card.claim} (related, no verdict)"
    return f"{card.verdict.icon} {card.claim or card.title}"


def claim_label(reply: Reply) -> str:
    """What the line under the headline is: the claim rated, or a related fact-check's title."""
    return "Fact-check" if reply.kind == "related" else "Claim"


def render_text(reply: Reply) -> str:
    """Plain text, for the terminal and the `claimbot ask` command."""
    lines = [reply.lead, reply.headline]
    if reply.claim:
        lines.append(f"{claim_label(reply)}: {reply.claim}")
    if reply.rating_text:
        lines.append(f"Rated by the publisher: {reply.rating_text}")
    if reply.summary:
        lines.append(reply.summary)
    if reply.checked:
        lines.append(reply.checked)
    if reply.sources:
        lines.append("Sources:")
        for source in reply.sources:
            lines.append(f"  - {source.outlet}" + (f" {source.url}" if source.url else ""))
    for number, candidate in enumerate(reply.choices, 1):
        lines.append(f"  {number}. {choice_label(candidate)}")
    if reply.note:
        lines.append(reply.note)
    for action in reply.actions:
        if action.kind is ActionKind.FULL_REPORT and action.url:
            lines.append(f"{action.label}: {action.url}")
    if reply.disclaimer:
        lines.append(reply.disclaimer)
    return "\n".join(line for line in lines if line)
