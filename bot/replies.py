"""The platform-neutral reply: what every adapter renders, always with the same parts in the same order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot import i18n
from bot.answer_extras import FULL_REPORT_LABEL, HELPFUL_LABEL, NOT_HELPFUL_LABEL
from bot.domain import (
    Candidate,
    FactCheckCard,
    LinkNote,
    Outcome,
    OutcomeKind,
    SourceLink,
    Verdict,
)
from bot.i18n import DEFAULT, N_, translator
from bot.leads import (
    LINK_HINT,
    LINK_NOT_FOUND,
    MEDIA_UNREADABLE,
    link_lead,
    media_lead,
    media_problem,
    media_queued,
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


# --- fact-checks without a verdict (issue 14): offered as related reading, never as an answer ---
RELATED_HEADLINE = N_("A related fact-check (no verdict given here)")
RELATED_NOTE = N_("This fact-check has no rating in our records: read it for the publisher's findings.")
UNRATED_QUEUED = N_(
    "I know this claim but hold no verdict on it yet, so I've asked our moderators to rate it."
)


def compose_link_refusal(link: LinkNote, language: str = DEFAULT) -> Reply:
    """A link that led to no fact-check: said plainly, with what to send instead (never queued)."""
    t = translator(language)
    text = LINK_NOT_FOUND.get(link.via, LINK_NOT_FOUND["unmatched"])
    headline = t(text, error=link.error or t("no answer"))
    return Reply(kind="refused", headline=headline, summary=t(LINK_HINT), language=t.language)


# --- the front door (issue 14): chit-chat, ask before queueing, pasted articles ---
EXAMPLE_QUESTIONS = (N_("Did a NYC cop arrest an ICE agent?"), N_("Does 5G spread COVID-19?"))
CHITCHAT_HEADLINES = {
    "greeting": N_("Hi! I check claims against published fact-checks."),
    "thanks": N_("You're welcome! Send me another claim whenever you like."),
    "help": N_("I check claims against published fact-checks."),
    "command": N_("I don't know that command, but I can check claims against published fact-checks."),
}
CHITCHAT_DEFAULT = N_("I check claims against published fact-checks, and I didn't find a claim in that.")
CHITCHAT_HELP = N_("Send me a claim in a sentence or two, or paste an article, for example:")
UNMATCHED_HEADLINE = N_("I don't have a fact-check for that yet.")
UNMATCHED_SUMMARY = N_(
    "Shall I send it to our fact-checkers? They check claims by hand and I'll tell you their verdict."
)
UNMATCHED_EXCERPT = N_("I'd send them this sentence from what you sent:")
SEND_TO_REVIEW_LABEL = N_("Send to our fact-checkers")
DECLINE_LABEL = N_("No thanks")
DECLINED_TEXT = N_("All right, I won't send it. Ask me about another claim any time.")
ALREADY_SENT_TEXT = N_("That one is already with our fact-checkers.")
ALSO_CHECKED = N_("Also checked in what you sent:")
FROM_YOUR_TEXT = N_("From what you sent:")
CLI_SENT = N_("Sent to our fact-checkers as review item {item}.")
CLI_HOW_TO_SEND = 'Not sent to the fact-checkers. To send it: claimbot ask --send-to-review "…"'
TERMINAL_PROMPT = N_("Send it to our fact-checkers? Type y or n.")


def compose_related(
    card: FactCheckCard,
    disclaimer: str,
    *,
    request_id: int | None = None,
    note: str = "",
    lead: str = "",
    language: str = DEFAULT,
) -> Reply:
    """A fact-check without a rating: its title and link, and its summary only when that is a finding
    rather than the claim said again (a reader would take a restated rumour for the answer)."""
    t = translator(language)
    actions = []
    if card.report_url:
        actions.append(Action(ActionKind.FULL_REPORT, t("Read the fact-check"), url=card.report_url))
    if request_id is not None:
        actions.append(Action(ActionKind.NOT_WHAT_I_ASKED, t("Not what I asked"), request_id=request_id))
        actions.append(Action(ActionKind.NOTIFY, t("Notify me of updates"), request_id=request_id))
    title = card.title or card.claim
    finding = card.summary if card.summary and not restates(card.summary, [card.claim, title]) else ""
    return Reply(
        kind="related",
        headline=t(RELATED_HEADLINE),
        summary=short_summary(finding),
        claim=in_language(title, card, language),
        checked=checked_line(card, language),
        sources=tuple(card.sources)[:MAX_SOURCES],
        disclaimer=disclaimer_in(disclaimer, language),
        note=note or t(RELATED_NOTE),
        actions=tuple(actions),
        fact_check_id=card.id,
        revision=card.revision,
        request_id=request_id,
        lead=lead,
        language=t.language,
    )


def compose_answer(
    card: FactCheckCard,
    disclaimer: str,
    *,
    request_id: int | None = None,
    note: str = "",
    lead: str = "",
    language: str = DEFAULT,
) -> Reply:
    if card.verdict is Verdict.UNRATED:  # issue 14: no verdict, no verdict label
        return compose_related(
            card, disclaimer, request_id=request_id, note=note, lead=lead, language=language
        )
    t = translator(language)
    actions = []
    if card.report_url:
        actions.append(Action(ActionKind.FULL_REPORT, t(FULL_REPORT_LABEL), url=card.report_url))
    elif card.has_report:  # no page to link: the stored report is shown in chat, paged
        actions.append(Action(ActionKind.FULL_REPORT, t(FULL_REPORT_LABEL), fact_check_id=card.id))
    if request_id is not None:
        actions.append(Action(ActionKind.NOT_WHAT_I_ASKED, t("Not what I asked"), request_id=request_id))
        actions.append(Action(ActionKind.NOTIFY, t("Notify me of updates"), request_id=request_id))
        actions.append(Action(ActionKind.HELPFUL, HELPFUL_LABEL, request_id=request_id))
        actions.append(Action(ActionKind.NOT_HELPFUL, NOT_HELPFUL_LABEL, request_id=request_id))
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
        lead=lead,
        language=t.language,
    )


WITHDRAWN_NOTE = N_("Withdrawn: this fact-check is no longer published. Ask again for the current one.")


def compose_update(card: FactCheckCard, disclaimer: str, language: str = DEFAULT) -> Reply:
    """An answer edited in place after its fact-check was revised (or withdrawn)."""
    t = translator(language)
    note = t("Updated: this fact-check was revised (revision {revision}).", revision=card.revision)
    if card.status == "retracted":
        note = t(WITHDRAWN_NOTE)
    return compose_answer(card, disclaimer, note=note, language=language)


def compose_notification(card: FactCheckCard, disclaimer: str, language: str = DEFAULT) -> Reply:
    """An answer sent to someone who asked to be told when a verdict arrives."""
    t = translator(language)
    note = t("A moderator has answered a question you asked.")
    return compose_answer(card, disclaimer, note=note, language=language)


def compose_chitchat(outcome: Outcome, language: str = DEFAULT) -> Reply:
    """A short, friendly help reply with two example questions; nothing was queued."""
    t = translator(language)
    examples = "\n".join(f"• {t(q)}" for q in EXAMPLE_QUESTIONS)
    return Reply(
        kind="chitchat",
        headline=t(CHITCHAT_HEADLINES.get(outcome.reason or "", CHITCHAT_DEFAULT)),
        summary=f"{t(CHITCHAT_HELP)}\n{examples}",
        request_id=outcome.request_id,
        language=t.language,
    )


def compose_unmatched(outcome: Outcome, disclaimer: str, language: str = DEFAULT) -> Reply:
    """Nothing matched: offer to send it (an article's most check-worthy sentence) to the fact-checkers."""
    t = translator(language)
    request_id = outcome.request_id
    return Reply(
        kind="unmatched",
        headline=t(UNMATCHED_HEADLINE),
        summary=t(UNMATCHED_SUMMARY),
        excerpt=outcome.excerpt or "",
        note=t(UNMATCHED_EXCERPT) if outcome.excerpt else "",
        disclaimer=disclaimer_in(disclaimer, language),
        actions=(
            Action(ActionKind.SEND_TO_REVIEW, t(SEND_TO_REVIEW_LABEL), request_id=request_id),
            Action(ActionKind.DECLINE, t(DECLINE_LABEL), request_id=request_id),
        ),
        request_id=request_id,
        language=t.language,
    )


def compose(outcome: Outcome, disclaimer: str, language: str | None = None) -> Reply:
    """The reply to an outcome, in `language` (by default the one the core chose for the question)."""
    language = language or outcome.language
    t = translator(language)
    if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
        reply = compose_answer(
            outcome.fact_check,
            disclaimer,
            request_id=outcome.request_id,
            lead=media_lead(outcome.media, language) or link_lead(outcome.link, language=language),
            language=language,
        )
        if outcome.excerpt or outcome.more_answers:  # a pasted article
            return replace(reply, also=outcome.more_answers, excerpt=outcome.excerpt or "")
        return reply
    if outcome.kind is OutcomeKind.CHITCHAT:
        return compose_chitchat(outcome, language)
    if outcome.kind is OutcomeKind.UNMATCHED:
        return compose_unmatched(outcome, disclaimer, language)
    if outcome.kind is OutcomeKind.SUGGEST:
        return Reply(
            kind="suggest",
            lead=link_lead(outcome.link, suggest=True, language=language),
            headline=t("I'm not sure which claim you mean. Is it one of these?"),
            disclaimer=disclaimer_in(disclaimer, language),
            choices=outcome.candidates[:3],
            actions=(Action(ActionKind.NOT_WHAT_I_ASKED, t("None of these"), request_id=outcome.request_id),),
            request_id=outcome.request_id,
            language=t.language,
        )
    if outcome.kind is OutcomeKind.QUEUED:
        unrated = outcome.fact_check is not None and outcome.fact_check.verdict is Verdict.UNRATED
        return Reply(
            kind="queued",
            headline=t(UNRATED_QUEUED)
            if unrated
            else media_queued(outcome.media, language)
            or t("I don't have a fact-check for that yet, so I've sent it to our reviewers."),
            summary=t("They check claims by hand; ask to be notified and I'll send you their verdict."),
            disclaimer=disclaimer_in(disclaimer, language),
            actions=(Action(ActionKind.NOTIFY, t("Notify me"), request_id=outcome.request_id),),
            request_id=outcome.request_id,
            review_item_id=outcome.review_item_id,
            excerpt=outcome.excerpt or "",
            language=t.language,
        )
    if outcome.link is not None:
        return compose_link_refusal(outcome.link, language)
    if outcome.media is not None:
        headline = (
            media_problem(outcome.media.reason, language) if outcome.media.reason else t(MEDIA_UNREADABLE)
        )
        return Reply(kind="refused", headline=headline, language=t.language)
    return Reply(
        kind="refused", headline=refusal(outcome.reason, language) or t(CANNOT_CHECK), language=t.language
    )


def choice_label(candidate: Candidate, language: str = DEFAULT) -> str:
    card = candidate.fact_check
    if card.verdict is Verdict.UNRATED:  # no verdict icon for what has no verdict
        return translator(language)("{title} (related, no verdict)", title=card.title or card.claim)
    return f"{card.verdict.icon} {card.claim or card.title}"


def claim_line(reply: Reply, claim: str | None = None) -> str:
    """The line under the headline: the claim rated, or a related fact-check's title. A whole line per
    msgid, so a language can order it its own way; `claim` is the claim as the platform escapes it."""
    t = translator(reply.language)
    text = reply.claim if claim is None else claim
    return (
        t("Fact-check: {claim}", claim=text) if reply.kind == "related" else t("Claim: {claim}", claim=text)
    )


def also_line(candidate: Candidate, language: str = DEFAULT) -> str:
    """One further answer of a pasted article: verdict, claim and where to read it."""
    card = candidate.fact_check
    link = f" {card.report_url}" if card.report_url else ""
    return f"{card.verdict.icon} {verdict_label(card.verdict, language)}: {card.claim or card.title}{link}"


def render_text(reply: Reply) -> str:
    """Plain text, for the terminal and the `claimbot ask` command."""
    t = translator(reply.language)
    lines = [reply.lead, reply.headline]
    if reply.excerpt and reply.kind == "answer":
        lines.append(f"{t(FROM_YOUR_TEXT)} “{reply.excerpt}”")
    if reply.claim:
        lines.append(claim_line(reply))
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
        lines.append(f"  {number}. {choice_label(candidate, reply.language)}")
    if reply.also:
        lines.append(t(ALSO_CHECKED))
        lines += [f"  - {also_line(c, reply.language)}" for c in reply.also]
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
