"""Pure rendering for Telegram: the core's Reply and ReviewSummary to HTML and inline keyboards.

No network, no service: everything here is a function of its arguments, so it is tested directly.
Telegram's limits are enforced here: 4096 characters of text after entity parsing (counted in UTF-16
code units, as Telegram counts entity offsets) and 64 bytes of callback data per button.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from adapters.attach import KIND_WORDS
from adapters.buttons import (
    ID_COUNTS,
    Button,
    ButtonData,
    ButtonKind,
    Press,
    approve_button,
    reply_buttons,
    review_buttons,
)
from adapters.media import PLATFORM_NAMES
from bot.domain import Candidate, FactCheckCard
from bot.domain.review import ReviewMedia, ReviewSummary
from bot.i18n import translator
from bot.replies import (
    ALSO_CHECKED,
    FROM_YOUR_TEXT,
    Reply,
    also_line,
    choice_label,
    claim_line,
    verdict_headline,
)

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_BUTTON_LABEL = 60
ELLIPSIS = "…"

# Callback data: no prefix (Telegram sends it back only to this bot), 64 bytes at most.
BUTTON_DATA = ButtonData(
    prefix="",
    max_size=MAX_CALLBACK_DATA,
    id_counts=ID_COUNTS,
)
# Marks in front of the moderators' button labels.
MODERATOR_ICONS = {ButtonKind.MOD_LINK: "🔗 ", ButtonKind.MOD_REJECT: "✖ ", ButtonKind.MOD_APPROVE: "✔ "}


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


def parse_callback(data: str | None) -> Press | None:
    """`("c", (request_id, fact_check_id))` for valid data; None for anything forged or garbled."""
    return BUTTON_DATA.parse(data)


def button_of(button: Button) -> InlineKeyboardButton:
    """A neutral button as an inline keyboard button (a URL, or callback data within 64 bytes)."""
    if button.kind is None:
        return InlineKeyboardButton(_label(button.label), url=button.url)
    label = _label(MODERATOR_ICONS.get(button.kind, "") + button.label)
    return InlineKeyboardButton(label, callback_data=BUTTON_DATA.encode(button.kind, *button.ids))


def _sources(reply: Reply) -> list[Segment]:
    if not reply.sources:
        return []
    t = translator(reply.language)
    out = [Segment(t("Sources:"), "b")]
    for number, source in enumerate(reply.sources, 1):
        label = source.title or source.outlet or source.url or t("Source {number}", number=number)
        out.append(Segment(f"{number}. ", separator="\n"))
        if source.url and source.url.startswith(("http://", "https://")):
            out.append(Segment(_label(label, 120), "a", href=source.url, separator=""))
        else:
            out.append(Segment(_label(label, 120), separator=""))
    return out


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The full report on top, one suggestion a row, then "Not what I asked" and "Notify me" side by side."""
    buttons = reply_buttons(reply)
    rows = [[button_of(b)] for b in buttons.actions if b.url or b.kind is ButtonKind.REPORT]
    rows += [[button_of(b)] for b in buttons.choices]
    for row in (
        [
            button_of(b)
            for b in buttons.actions
            if b.kind
            in (
                ButtonKind.NOT_WHAT_I_ASKED,
                ButtonKind.SUBSCRIBE,
                ButtonKind.SEND_TO_REVIEW,
                ButtonKind.DECLINE,
            )
        ],
        [button_of(b) for b in buttons.actions if b.kind is ButtonKind.VOTE],  # 👍 👎 on their own row
    ):
        if row:
            rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


def render_html(reply: Reply) -> tuple[str, InlineKeyboardMarkup | None]:
    """Telegram HTML for a Reply, within 4096 characters after parsing, and its inline keyboard."""
    t = translator(reply.language)
    segments: list[Segment] = [Segment(reply.lead, "i", priority=2, separator="")] if reply.lead else []
    bold = reply.kind in ("answer", "update", "related")
    segments.append(Segment(reply.headline, "b" if bold else "", separator="\n\n" if reply.lead else "\n"))
    quoted = excerpt_segments(reply)
    if reply.kind == "answer":
        segments += quoted
    if reply.claim:
        segments.append(Segment(claim_line(reply), "i", priority=2))
    if reply.rating_text:
        segments.append(Segment(t("Rated by the publisher: {rating}", rating=reply.rating_text), priority=1))
    if reply.summary:
        gap = "\n\n" if reply.kind in ("answer", "related") else "\n"
        segments.append(Segment(reply.summary, priority=3, separator=gap))
    if reply.checked:
        segments.append(Segment(reply.checked, "i"))
    segments.extend(_sources(reply))
    for number, candidate in enumerate(reply.choices, 1):
        segments.append(Segment(f"{number}. {choice_label(candidate, reply.language)}", priority=1))
    if reply.also:
        segments.append(Segment(t(ALSO_CHECKED), "b", separator="\n\n"))
        segments += [Segment(f"• {also_line(c, reply.language)}", priority=1) for c in reply.also]
    if reply.note:
        segments.append(Segment(reply.note, "b", separator="\n\n"))
    if reply.kind != "answer":
        segments += quoted
    if reply.disclaimer:
        segments.append(Segment(reply.disclaimer, "i", separator="\n\n"))
    return fit(segments), _keyboard(reply)


def excerpt_segments(reply: Reply) -> list[Segment]:
    """The sentence of a pasted article the reply is about: above an answer, below an offer to send it."""
    if not reply.excerpt:
        return []
    if reply.kind == "answer":
        return [Segment(f"{translator(reply.language)(FROM_YOUR_TEXT)} “{reply.excerpt}”", "i", priority=2)]
    return [Segment(reply.excerpt, "blockquote", priority=3)]


def render_card_title(card: FactCheckCard) -> str:
    return _label(f"{card.verdict.icon} {card.verdict.value}: {card.claim or card.title}", 120)


def media_segments(media: ReviewMedia, text: str, shown: str = "") -> list[Segment]:
    """A review item's photo or video: where it is (`shown`: "above" when it was copied or sent into
    this chat, "gone" when that failed), its caption (unless it is the item's text) and the text read."""
    what = "Video" if media.kind == "video" else "Photo"
    where = PLATFORM_NAMES.get(media.platform, media.platform)
    if shown == "above":
        segments = [Segment(f"{what} sent on {where}, shown above.", "b")]
    elif media.platform == "discord" and media.ref.startswith(("https://", "http://")):
        segments = [
            Segment(f"{what} sent on Discord: ", "b"),
            Segment("open it", "a", href=media.ref, separator=""),
        ]
    elif shown == "gone":
        segments = [Segment(f"{what} sent on {where}; the message can no longer be shown.", "b")]
    else:
        segments = [Segment(f"{what} sent on {where}.", "b")]
    if media.caption and media.caption != text:
        segments.append(Segment(f"Caption: {media.caption}", priority=2))
    if media.text_read:
        segments.append(Segment(f"Text in the {what.lower()}: {media.text_read}", priority=2))
    return segments


def render_review(review: ReviewSummary, *, media_shown: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """A new review item as shown in the moderators' chat, with link and reject buttons; its photo or
    video, when it has one, is said to be shown above (`media_shown`) or linked."""
    item = review.id
    segments = [
        Segment(f"New question for review #{item}", "b"),
        Segment(review.text, "blockquote", priority=3),
        *(media_segments(review.media, review.text, media_shown) if review.media is not None else ()),
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
    if review.media is not None:
        what = "video" if review.media.kind == "video" else "photo"
        segments.append(Segment(f"To attach the {what} on /link or /approve, kinds: {KIND_WORDS}."))
    segments.append(
        Segment(
            f"/verdict {item} <rating> | <summary> | <source URL>\n/link {item} <fact-check id>\n"
            f"/reject {item} <reason>"
            # The photo or video is attached to the fact-check on request only (it may be a screenshot
            # of the claim rather than the media itself): say how, on the items that have one.
            + (f"\n/link {item} <fact-check id> media:<kind> | <what it shows>" if review.media else ""),
            "code",
            separator="\n\n",
        )
    )
    # Approving is offered under the drafted verdict instead (see `approve_keyboard`).
    buttons = review_buttons(review)
    rows = [[button_of(b)] for b in (*buttons.links, buttons.reject)]
    return fit(segments), InlineKeyboardMarkup(rows)


def link_keyboard(item: int, cards: list[FactCheckCard]) -> InlineKeyboardMarkup:
    """Under search results sent in the context of a review item: link it to one of them."""
    return InlineKeyboardMarkup(
        [
            [button_of(Button(f"Link #{item} to #{c.id}: {c.claim}", ButtonKind.MOD_LINK, (item, c.id)))]
            for c in cards
        ]
    )


def approve_keyboard(item: int, revision: int) -> InlineKeyboardMarkup:
    """The button under a drafted verdict: it approves the revision shown above it, and no later one."""
    return InlineKeyboardMarkup([[button_of(approve_button(item, revision))]])


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


def render_queue(reviews: list[ReviewSummary]) -> str:
    if not reviews:
        return "The review queue is empty."
    segments = [Segment(f"Open review items ({len(reviews)})", "b")]
    for review in reviews:
        state = f" [{review.status}]" if review.status != "open" else ""
        segments.append(Segment(f"#{review.id} ×{review.ask_count}{state}: {review.text}", priority=1))
    return fit(segments)


def render_inline_title(candidate: Candidate, language: str = "en") -> tuple[str, str]:
    card = candidate.fact_check
    title = _label(f"{verdict_headline(card, language)}: {card.claim or card.title}", 100)
    return title, _label(card.summary or card.title, 200)


def plain(text: str) -> str:
    """Escape a short message for HTML parse mode."""
    return html.escape(text, quote=False)
