"""The platform-neutral reply: what every adapter renders, always with the same parts in the same order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot import i18n
from bot.domain import Candidate, FactCheckCard, Outcome, OutcomeKind, SourceLink, Verdict
from bot.i18n import DEFAULT, N_, translator

MAX_SOURCES = 3
MAX_SUMMARY_CHARS = 600


class ActionKind(StrEnum):
    FULL_REPORT = "full_report"
    NOT_WHAT_I_ASKED = "not_what_i_asked"
    NOTIFY = "notify"
    CHOOSE = "choose"
    PIN = "pin"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    label: str
    url: str | None = None
    request_id: int | None = None
    fact_check_id: int | None = None


@dataclass(frozen=True)
class Reply:
    kind: str  # answer, suggest, queued, refused, update
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
    language: str = DEFAULT  # what the frame is written in; adapters label their own parts in it


# What a refusal says; an empty text means no reply at all (blocked askers, redelivered events).
REFUSALS = {
    "empty": N_("Please send the claim you want checked, for example: did a NYC cop arrest an ICE agent?"),
    "too_long": N_("That message is too long to check. Please send just the claim, in a sentence or two."),
    "throttled": N_("You're asking faster than I can check. Please slow down and try again in a minute."),
    "blocked": "",
    "duplicate": "",
}
CANNOT_CHECK = N_("I can't check that.")
# The verdict scale's labels as askers read them (Verdict values stay English: they are stored).
VERDICT_LABELS = {
    Verdict.FALSE: N_("False"),
    Verdict.MOSTLY_FALSE: N_("Mostly false"),
    Verdict.MISLEADING: N_("Misleading"),
    Verdict.MISSING_CONTEXT: N_("Missing context"),
    Verdict.MIXED: N_("Mixed"),
    Verdict.MOSTLY_TRUE: N_("Mostly true"),
    Verdict.TRUE: N_("True"),
    Verdict.UNPROVEN: N_("Unproven"),
    Verdict.SATIRE: N_("Satire"),
    Verdict.OUTDATED: N_("Outdated"),
    Verdict.UNRATED: N_("Unrated"),
}


def refusal(reason: str | None, language: str = DEFAULT) -> str:
    """What a refused question is told, in the asker's language; "" when it gets no reply."""
    text = REFUSALS.get(reason or "", CANNOT_CHECK)
    return translator(language)(text) if text else ""


def verdict_label(verdict: Verdict, language: str = DEFAULT) -> str:
    return translator(language)(VERDICT_LABELS.get(verdict, verdict.value))


def format_date(card: FactCheckCard, language: str = DEFAULT) -> str:
    if card.checked_at is None:
        return ""
    return i18n.format_date(card.checked_at, language)


def checked_line(card: FactCheckCard, language: str = DEFAULT) -> str:
    t = translator(language)
    if card.checked_at and card.publisher:
        return t(
            "Checked on {date} by {publisher}", date=format_date(card, language), publisher=card.publisher
        )
    if card.checked_at:
        return t("Checked on {date}", date=format_date(card, language))
    if card.publisher:
        return t("Checked by {publisher}", publisher=card.publisher)
    return ""


def short_summary(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def verdict_headline(card: FactCheckCard, language: str = DEFAULT) -> str:
    return f"{card.verdict.icon} {verdict_label(card.verdict, language)}"


def in_language(text: str, card: FactCheckCard, language: str) -> str:
    """The fact-check's own words stay in its language, marked when that is not the reply's."""
    shown = translator(language).language
    if not text or _primary(card.language) == shown:
        return text
    name = i18n.language_name(_primary(card.language), shown)
    t = translator(shown)
    return t("{text} (in {language})", text=text, language=name)


def _primary(code: str | None) -> str:
    return (code or DEFAULT).replace("_", "-").split("-", 1)[0].lower()


def disclaimer_in(disclaimer: str, language: str) -> str:
    """The default disclaimer is in the catalogs; a deployment's own (CLAIMBOT_DISCLAIMER) is shown as set."""
    return translator(language)(disclaimer)


def compose_answer(
    card: FactCheckCard,
    disclaimer: str,
    *,
    request_id: int | None = None,
    note: str = "",
    language: str = DEFAULT,
) -> Reply:
    t = translator(language)
    actions = []
    if card.report_url:
        actions.append(Action(ActionKind.FULL_REPORT, t("Full report"), url=card.report_url))
    if request_id is not None:
        actions.append(Action(ActionKind.NOT_WHAT_I_ASKED, t("Not what I asked"), request_id=request_id))
        actions.append(Action(ActionKind.NOTIFY, t("Notify me of updates"), request_id=request_id))
    if not card.rating_confirmed and not note:
        note = t("This verdict was derived automatically and awaits a moderator's confirmation.")
    rating_text = card.rating_text if card.rating_text.lower() != card.verdict.value.lower() else ""
    summary = short_summary(card.summary or card.title or card.claim)
    return Reply(
        kind="answer",
        headline=verdict_headline(card, language),
        # Marked once: on the claim line, or on the summary when there is no claim to show.
        summary=summary if card.claim else in_language(summary, card, language),
        claim=in_language(card.claim, card, language),
        verdict=card.verdict,
        rating_text=rating_text,
        checked=checked_line(card, language),
        sources=tuple(s for s in card.sources)[:MAX_SOURCES],
        disclaimer=disclaimer_in(disclaimer, language),
        note=note,
        actions=tuple(actions),
        fact_check_id=card.id,
        revision=card.revision,
        request_id=request_id,
        language=t.language,
    )


def compose_update(card: FactCheckCard, disclaimer: str, language: str = DEFAULT) -> Reply:
    """An answer edited in place after its fact-check was revised."""
    t = translator(language)
    note = t("Updated: this fact-check was revised (revision {revision}).", revision=card.revision)
    return compose_answer(card, disclaimer, note=note, language=language)


def compose_notification(card: FactCheckCard, disclaimer: str, language: str = DEFAULT) -> Reply:
    """An answer sent to someone who asked to be told when a verdict arrives."""
    t = translator(language)
    note = t("A moderator has answered a question you asked.")
    return compose_answer(card, disclaimer, note=note, language=language)


def compose(outcome: Outcome, disclaimer: str, language: str | None = None) -> Reply:
    """The reply to an outcome, in `language` (by default the one the core chose for the question)."""
    language = language or outcome.language
    t = translator(language)
    if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
        return compose_answer(
            outcome.fact_check, disclaimer, request_id=outcome.request_id, language=language
        )
    if outcome.kind is OutcomeKind.SUGGEST:
        return Reply(
            kind="suggest",
            headline=t("I'm not sure which claim you mean. Is it one of these?"),
            disclaimer=disclaimer_in(disclaimer, language),
            choices=outcome.candidates[:3],
            actions=(Action(ActionKind.NOT_WHAT_I_ASKED, t("None of these"), request_id=outcome.request_id),),
            request_id=outcome.request_id,
            language=t.language,
        )
    if outcome.kind is OutcomeKind.QUEUED:
        return Reply(
            kind="queued",
            headline=t("I don't have a fact-check for that yet, so I've sent it to our reviewers."),
            summary=t("They check claims by hand; ask to be notified and I'll send you their verdict."),
            disclaimer=disclaimer_in(disclaimer, language),
            actions=(Action(ActionKind.NOTIFY, t("Notify me"), request_id=outcome.request_id),),
            request_id=outcome.request_id,
            review_item_id=outcome.review_item_id,
            language=t.language,
        )
    return Reply(
        kind="refused", headline=refusal(outcome.reason, language) or t(CANNOT_CHECK), language=t.language
    )


def choice_label(candidate: Candidate) -> str:
    card = candidate.fact_check
    return f"{card.verdict.icon} {card.claim or card.title}"


def render_text(reply: Reply) -> str:
    """Plain text, for the terminal and the `claimbot ask` command."""
    t = translator(reply.language)
    lines = [reply.headline]
    if reply.claim:
        lines.append(t("Claim: {claim}", claim=reply.claim))
    if reply.rating_text:
        lines.append(t("Rated by the publisher: {rating}", rating=reply.rating_text))
    if reply.summary:
        lines.append(reply.summary)
    if reply.checked:
        lines.append(reply.checked)
    if reply.sources:
        lines.append(t("Sources:"))
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
