"""The platform-neutral reply: what every adapter renders, always with the same parts in the same order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.answer_extras import FULL_REPORT_LABEL, HELPFUL_LABEL, NOT_HELPFUL_LABEL
from bot.domain import Candidate, FactCheckCard, LinkNote, Outcome, OutcomeKind, SourceLink, Verdict
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
    SEND_TO_REVIEW = "send_to_review"
    DECLINE = "decline"


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
    also: tuple[Candidate, ...] = ()  # a pasted article's further answers, after the first
    excerpt: str = ""  # "From what you sent: …": the sentence of a pasted article it is about


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


# --- the front door (issue 14): chit-chat, ask before queueing, pasted articles ---
EXAMPLE_QUESTIONS = ("Did a NYC cop arrest an ICE agent?", "Does 5G spread COVID-19?")
CHITCHAT_HEADLINES = {
    "greeting": "Hi! I check claims against published fact-checks.",
    "thanks": "You're welcome! Send me another claim whenever you like.",
    "help": "I check claims against published fact-checks.",
    "command": "I don't know that command, but I can check claims against published fact-checks.",
}
CHITCHAT_DEFAULT = "I check claims against published fact-checks, and I didn't find a claim in that."
CHITCHAT_HELP = "Send me a claim in a sentence or two, or paste an article, for example:"
UNMATCHED_HEADLINE = "I don't have a fact-check for that yet."
UNMATCHED_SUMMARY = (
    "Shall I send it to our fact-checkers? They check claims by hand and I'll tell you their verdict."
)
UNMATCHED_EXCERPT = "I'd send them this sentence from what you sent:"
SEND_TO_REVIEW_LABEL = "Send to our fact-checkers"
DECLINE_LABEL = "No thanks"
DECLINED_TEXT = "All right, I won't send it. Ask me about another claim any time."
ALREADY_SENT_TEXT = "That one is already with our fact-checkers."
ALSO_CHECKED = "Also checked in what you sent:"
FROM_YOUR_TEXT = "From what you sent:"
MEDIA_ONLY = "I can only check text and links for now. Please send the claim as text."
CLI_SENT = "Sent to our fact-checkers as review item {item}."
CLI_HOW_TO_SEND = 'Not sent to the fact-checkers. To send it: claimbot ask --send-to-review "…"'
TERMINAL_PROMPT = "Send it to our fact-checkers? Type y or n."


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


WITHDRAWN_NOTE = "Withdrawn: this fact-check is no longer published. Ask again for the current one."


def compose_update(card: FactCheckCard, disclaimer: str) -> Reply:
    """An answer edited in place after its fact-check was revised (or withdrawn)."""
    note = f"Updated: this fact-check was revised (revision {card.revision})."
    if card.status == "retracted":
        note = WITHDRAWN_NOTE
    return compose_answer(card, disclaimer, note=note)


def compose_notification(card: FactCheckCard, disclaimer: str) -> Reply:
    """An answer sent to someone who asked to be told when a verdict arrives."""
    reply = compose_answer(card, disclaimer, note="A moderator has answered a question you asked.")
    return reply


def compose_chitchat(outcome: Outcome) -> Reply:
    """A short, friendly help reply with two example questions; nothing was queued."""
    examples = "\n".join(f"• {q}" for q in EXAMPLE_QUESTIONS)
    return Reply(
        kind="chitchat",
        headline=CHITCHAT_HEADLINES.get(outcome.reason or "", CHITCHAT_DEFAULT),
        summary=f"{CHITCHAT_HELP}\n{examples}",
        request_id=outcome.request_id,
    )


def compose_unmatched(outcome: Outcome, disclaimer: str) -> Reply:
    """Nothing matched: offer to send it (an article's most check-worthy sentence) to the fact-checkers."""
    request_id = outcome.request_id
    return Reply(
        kind="unmatched",
        headline=UNMATCHED_HEADLINE,
        summary=UNMATCHED_SUMMARY,
        excerpt=outcome.excerpt or "",
        note=UNMATCHED_EXCERPT if outcome.excerpt else "",
        disclaimer=disclaimer,
        actions=(
            Action(ActionKind.SEND_TO_REVIEW, SEND_TO_REVIEW_LABEL, request_id=request_id),
            Action(ActionKind.DECLINE, DECLINE_LABEL, request_id=request_id),
        ),
        request_id=request_id,
    )


def compose(outcome: Outcome, disclaimer: str) -> Reply:
    if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
        reply = compose_answer(
            outcome.fact_check, disclaimer, request_id=outcome.request_id, lead=link_lead(outcome.link)
        )
        if outcome.excerpt or outcome.more_answers:  # a pasted article
            return replace(reply, also=outcome.more_answers, excerpt=outcome.excerpt or "")
        return reply
    if outcome.kind is OutcomeKind.CHITCHAT:
        return compose_chitchat(outcome)
    if outcome.kind is OutcomeKind.UNMATCHED:
        return compose_unmatched(outcome, disclaimer)
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
            else "I don't have a fact-check for that yet, so I've sent it to our reviewers.",
            summary="They check claims by hand; ask to be notified and I'll send you their verdict.",
            disclaimer=disclaimer,
            actions=(Action(ActionKind.NOTIFY, "Notify me", request_id=outcome.request_id),),
            request_id=outcome.request_id,
            review_item_id=outcome.review_item_id,
            excerpt=outcome.excerpt or "",
        )
    if outcome.link is not None:
        return compose_link_refusal(outcome.link)
    return Reply(kind="refused", headline=REFUSALS.get(outcome.reason or "", "I can't check that."))


def choice_label(candidate: Candidate) -> str:
    card = candidate.fact_check
    if card.verdict is Verdict.UNRATED:  # no verdict icon for what has no verdict
        return f"{card.title or card.claim} (related, no verdict)"
    return f"{card.verdict.icon} {card.claim or card.title}"


def claim_label(reply: Reply) -> str:
    """What the line under the headline is: the claim rated, or a related fact-check's title."""
    return "Fact-check" if reply.kind == "related" else "Claim"


def also_line(candidate: Candidate) -> str:
    """One further answer of a pasted article: verdict, claim and where to read it."""
    card = candidate.fact_check
    link = f" {card.report_url}" if card.report_url else ""
    return f"{card.verdict.icon} {card.verdict.value}: {card.claim or card.title}{link}"


def render_text(reply: Reply) -> str:
    """Plain text, for the terminal and the `claimbot ask` command."""
    lines = [reply.lead, reply.headline]
    if reply.excerpt and reply.kind == "answer":
        lines.append(f"{FROM_YOUR_TEXT} “{reply.excerpt}”")
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
    if reply.also:
        lines.append(ALSO_CHECKED)
        lines += [f"  - {also_line(c)}" for c in reply.also]
    if reply.note:
        lines.append(reply.note)
    if reply.excerpt and reply.kind != "answer":
        lines.append(f"  “{reply.excerpt}”")
    for action in reply.actions:
        if action.kind is ActionKind.FULL_REPORT and action.url:
            lines.append(f"{action.label}: {action.url}")
    if reply.disclaimer:
        lines.append(reply.disclaimer)
    return "\n".join(line for line in lines if line)
