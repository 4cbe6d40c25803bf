"""Telegram: /factchecks QUERY, the moderators' search of the catalogue (issue 14).

Sent as a reply to a review item's message (or to its draft), the results carry a "Link #item" button
per published fact-check, so linking needs no id from memory; the press is the review buttons' link.
"""

from __future__ import annotations

import asyncio
import html
import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from adapters.buttons import ButtonKind
from adapters.telegram.chat import NO_PREVIEW, actor, command_text, say, service_of
from adapters.telegram.render import Segment, fit, link_keyboard, parse_callback, render_card_title
from bot.domain import SearchHit

RESULTS = 5
LINK_BUTTONS = 5
USAGE = "Usage: /factchecks &lt;words of the claim&gt; (reply to a review item to get Link buttons)"
# The bot's own review item and draft messages name their item in their first line.
ITEM_IN_TEXT = re.compile(r"(?:for review|Draft for) #(\d{1,18})")


def review_item_of(message: Message | None, bot_id: int) -> int | None:
    """The review item a message of the bot is about: from its buttons' data, else its first line."""
    if message is None or message.from_user is None or message.from_user.id != bot_id:
        return None
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            press = parse_callback(button.callback_data if isinstance(button.callback_data, str) else None)
            if press and press.kind in (ButtonKind.MOD_LINK, ButtonKind.MOD_REJECT, ButtonKind.MOD_APPROVE):
                return press.ids[0]
    found = ITEM_IN_TEXT.search(message.text or "")
    return int(found.group(1)) if found else None


def render_hits(
    query: str, hits: list[SearchHit], item: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The results as Telegram HTML within its limits, with Link buttons when a review item is known."""
    if not hits:
        return f"No fact-check found for “{html.escape(query, quote=False)}”. Try fewer or other words.", None
    segments = [Segment(f"Fact-checks for “{query}”", "b")]
    for hit in hits:
        card = hit.fact_check
        how = f"score {hit.score:.2f}" if hit.score is not None else "text match"
        state = f", {card.status}" if card.status != "published" else ""
        dated = f"{card.checked_at:%Y-%m-%d}" if card.checked_at else "no date"
        segments.append(Segment(f"#{card.id} {render_card_title(card)}", "b", priority=1, separator="\n\n"))
        segments.append(Segment(f"{dated} · {card.publisher or 'no publisher'} ({how}{state})", "i"))
        if card.report_url:
            segments.append(Segment(card.report_url, "a", href=card.report_url, priority=2))
    linkable = [h.fact_check for h in hits if h.fact_check.status == "published"][:LINK_BUTTONS]
    if item is not None and linkable:
        segments.append(
            Segment(
                f"Tap a button to answer review item #{item} with that fact-check.", "i", separator="\n\n"
            )
        )
        return fit(segments), link_keyboard(item, linkable)
    segments.append(
        Segment("/link <item> <fact-check id> answers a review item with one.", "code", separator="\n\n")
    )
    return fit(segments), None


async def factchecks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/factchecks <words>: find fact-checks; in reply to a review item, with Link buttons."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    moderator = await actor(context, update.effective_user)
    query = command_text(message)
    if not query:
        await say(update, USAGE)
        return
    hits = await asyncio.to_thread(service_of(context).find_factchecks, moderator, query, limit=RESULTS)
    item = review_item_of(message.reply_to_message, context.bot.id)
    text, markup = render_hits(query, hits, item)
    await message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)
