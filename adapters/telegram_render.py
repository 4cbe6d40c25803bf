"""Pure rendering for Telegram: the core's Reply and ReviewSummary to HTML and inline keyboards.

No network, no service: everything here is a function of its arguments, so it is tested directly.
Telegram's limits are enforced here: 4096 characters of text after entity parsing (counted in UTF-16
code units, as Telegram counts entity offsets) and 64 bytes of callback data per button.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import Candidate, FactCheckCard
from bot.replies import ActionKind, Reply, choice_label
from bot.service import ReviewSummary

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_BUTTON_LABEL = 60
ELLIPSIS = "…"

# Callback data: short prefixes and decimal ids, validated on the way back in.
CALLBACK_PATTERNS = {
    "n": re.compile(r"n:(\d{1,19})"),  # not what I asked: request id
    "s": re.compile(r"s:(\d{1,19})"),  # subscribe (notify me): request id
    "c": re.compile(r"c:(\d{1,19}):(\d{1,19})"),  # choose: request id, fact-check id
    "ml": re.compile(r"ml:(\d{1,19}):(\d{1,19})"),  # moderator link: review item, fact-check id
    "mr": re.compile(r"mr:(\d{1,19})"),  # moderator reject: review item
    # Moderator approve: review item and the draft revision the button showed (buttons posted before
    # approvals named a revision carry none: pressing one shows the draft again).
    "ma": re.compile(r"ma:(\d{1,19})(?::(\d{1,19}))?"),
}
# The moderator action a callback prefix stands for, to audit forged or garbled presses by name.
CALLBACK_ACTIONS = {"ml": "link", "mr": "reject", "ma": "approve"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def trim_utf16(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-16 units, cut at a word and marked with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    budget = limit - 1
    cut = text.encode("utf-16-le")[: budget * 2].decode("utf-16-le", errors="ignore")
    if " " in cut[len(cut) // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + ELLIPSIS


@dataclass
class Segment:
    """A run of plain text with its markup; `priority` > 0 means it may be shortened (highest first)."""

    text: str
    tag: str = ""  # b, i, a, blockquote...
    href: str = ""
    priority: int = 0
    separator: str = "\n"  # plain text put before the segment

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        if self.tag == "a":
            return f'<a href="{html.escape(self.href, quote=True)}">{body}</a>'
        return f"<{self.tag}>{body}</{self.tag}>" if self.tag else body


def _join(segments: list[Segment]) -> tuple[str, int]:
    parts_html, length = [], 0
    for index, segment in enumerate(s for s in segments if s.text):
        sep = segment.separator if index else ""
        parts_html.append(html.escape(sep, quote=False) + segment.html())
        length += utf16_len(sep) + utf16_len(segment.text)
    return "".join(parts_html), length


def fit(segments: list[Segment], limit: int = MAX_TEXT) -> str:
    """Join segments to HTML whose parsed text stays within `limit`; shortens the trimmable ones first.

    Each segment is escaped and wrapped on its own, so trimming never leaves a tag open.
    """
    text, length = _join(segments)
    if length <= limit:
        return text
    # Shorten the trimmable segments, highest priority first, then anything from the end.
    order = sorted((s for s in segments if s.priority > 0), key=lambda s: -s.priority)
    order += [s for s in reversed(segments) if s.priority <= 0]
    for segment in order:
        excess = length - limit
        if excess <= 0:
            break
        current = utf16_len(segment.text)
        keep = max(0, current - excess)
        segment.text = trim_utf16(segment.text, keep) if keep >= 20 else ""
        text, length = _join(segments)
    return text


def _label(text: str, limit: int = MAX_BUTTON_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def callback_data(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, tuple[int, ...]] | None:
    """`("c", (request_id, fact_check_id))` for valid data; None for anything forged or garbled."""
    if not data or len(data.encode()) > MAX_CALLBACK_DATA:
        return None
    kind = data.split(":", 1)[0]
    pattern = CALLBACK_PATTERNS.get(kind)
    match = pattern.fullmatch(data) if pattern else None
    if match is None:
        return None
    return kind, tuple(int(g) for g in match.groups() if g is not None)


def _sources(reply: Reply) -> list[Segment]:
    if not reply.sources:
        return []
    out = [Segment("Sources:", "b")]
    for number, source in enumerate(reply.sources, 1):
        label = source.title or source.outlet or source.url or f"Source {number}"
        out.append(Segment(f"{number}. ", separator="\n"))
        if source.url and source.url.startswith(("http://", "https://")):
            out.append(Segment(_label(label, 120), "a", href=source.url, separator=""))
        else:
            out.append(Segment(_label(label, 120), separator=""))
    return out


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    for candidate in reply.choices:
        if reply.request_id is not None:
            data = callback_data("c", reply.request_id, candidate.fact_check.id)
            rows.append([InlineKeyboardButton(_label(choice_label(candidate)), callback_data=data)])
    buttons: list[InlineKeyboardButton] = []
    for action in reply.actions:
        if action.kind is ActionKind.FULL_REPORT and action.url:
            rows.insert(0, [InlineKeyboardButton(_label(action.label), url=action.url)])
        elif action.kind is ActionKind.NOT_WHAT_I_ASKED and action.request_id is not None:
            buttons.append(
                InlineKeyboardButton(
                    _label(action.label), callback_data=callback_data("n", action.request_id)
                )
            )
        elif action.kind is ActionKind.NOTIFY and action.request_id is not None:
            buttons.append(
                InlineKeyboardButton(
                    _label(action.label), callback_data=callback_data("s", action.request_id)
                )
            )
    if buttons:
        rows.append(buttons)
    return InlineKeyboardMarkup(rows) if rows else None


def render_html(reply: Reply) -> tuple[str, InlineKeyboardMarkup | None]:
    """Telegram HTML for a Reply, within 4096 characters after parsing, and its inline keyboard."""
    segments: list[Segment] = [Segment(reply.headline, "b" if reply.kind in ("answer", "update") else "")]
    if reply.claim:
        segments.append(Segment(f"Claim: {reply.claim}", "i", priority=2))
    if reply.rating_text:
        segments.append(Segment(f"Rated by the publisher: {reply.rating_text}", priority=1))
    if reply.summary:
        segments.append(
            Segment(reply.summary, priority=3, separator="\n\n" if reply.kind == "answer" else "\n")
        )
    if reply.checked:
        segments.append(Segment(reply.checked, "i"))
    segments.extend(_sources(reply))
    for number, candidate in enumerate(reply.choices, 1):
        segments.append(Segment(f"{number}. {choice_label(candidate)}", priority=1))
    if reply.note:
        segments.append(Segment(reply.note, "b", separator="\n\n"))
    if reply.disclaimer:
        segments.append(Segment(reply.disclaimer, "i", separator="\n\n"))
    return fit(segments), _keyboard(reply)


def render_card_title(card: FactCheckCard) -> str:
    return _label(f"{card.verdict.icon} {card.verdict.value}: {card.claim or card.title}", 120)


def render_review(review: ReviewSummary) -> tuple[str, InlineKeyboardMarkup]:
    """A new review item as shown in the moderators' chat, with link and reject buttons."""
    item = review.id
    segments = [
        Segment(f"New question for review #{item}", "b"),
        Segment(review.text, "blockquote", priority=3),
        Segment(
            f"Asked {review.ask_count} time{'s' if review.ask_count != 1 else ''}, "
            f"{review.subscribers} waiting for the verdict."
        ),
    ]
    if review.suggestions:
        segments.append(Segment("Possible matches:", "b"))
        for candidate in review.suggestions[:3]:
            card = candidate.fact_check
            segments.append(
                Segment(f"#{card.id} {render_card_title(card)} (score {candidate.score:.2f})", priority=1)
            )
    segments.append(
        Segment(
            f"/verdict {item} <rating> | <summary> | <source URL>\n/link {item} <fact-check id>\n"
            f"/reject {item} <reason>",
            "code",
            separator="\n\n",
        )
    )
    rows = [
        [
            InlineKeyboardButton(
                _label(f"🔗 Link #{c.fact_check.id}: {c.fact_check.claim}"),
                callback_data=callback_data("ml", item, c.fact_check.id),
            )
        ]
        for c in review.suggestions[:3]
    ]
    rows.append([InlineKeyboardButton("✖ Reject", callback_data=callback_data("mr", item))])
    return fit(segments), InlineKeyboardMarkup(rows)


def approve_keyboard(item: int, revision: int) -> InlineKeyboardMarkup:
    """The button under a drafted verdict: it approves the revision shown above it, and no later one."""
    button = InlineKeyboardButton(
        f"✔ Approve revision {revision}", callback_data=callback_data("ma", item, revision)
    )
    return InlineKeyboardMarkup([[button]])


def render_draft(item: int, draft: FactCheckCard, headline: str) -> tuple[str, InlineKeyboardMarkup]:
    """A drafted verdict as the approver must see it, with the button that approves this revision."""
    segments = [
        Segment(headline, "b"),
        Segment(f"Draft for #{item}, revision {draft.revision}:", separator="\n\n"),
        Segment(draft.claim, "blockquote", priority=3),
        Segment(f"{draft.verdict.icon} {draft.verdict.value}", "b"),
        Segment(draft.summary, priority=2),
    ]
    if draft.sources:
        segments.append(Segment("Sources:", "b"))
        segments += [Segment(f"{n}. {s.url or s.outlet}", priority=1) for n, s in enumerate(draft.sources, 1)]
    segments.append(
        Segment(
            f"Approve this revision with the button or /approve {item} {draft.revision}",
            "i",
            separator="\n\n",
        )
    )
    return fit(segments), approve_keyboard(item, draft.revision)


def callback_action(data: str | None) -> str:
    """The moderator action garbled callback data pretends to be (for the audit log), else "button"."""
    prefix = (data or "").split(":", 1)[0][:4]
    return CALLBACK_ACTIONS.get(prefix, "button")


def render_queue(reviews: list[ReviewSummary]) -> str:
    if not reviews:
        return "The review queue is empty."
    segments = [Segment(f"Open review items ({len(reviews)})", "b")]
    for review in reviews:
        state = f" [{review.status}]" if review.status != "open" else ""
        segments.append(Segment(f"#{review.id} ×{review.ask_count}{state}: {review.text}", priority=1))
    return fit(segments)


def render_inline_title(candidate: Candidate) -> tuple[str, str]:
    card = candidate.fact_check
    title = _label(f"{card.verdict.icon} {card.verdict.value}: {card.claim or card.title}", 100)
    return title, _label(card.summary or card.title, 200)


def plain(text: str) -> str:
    """Escape a short message for HTML parse mode."""
    return html.escape(text, quote=False)
