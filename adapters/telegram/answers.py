"""Telegram: what an answer offers beyond its verdict. 👍 / 👎 (and why a 👎), the full report paged
within 4,096 characters with its follow-up questions, and the moderators' /feedback tallies."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from adapters.buttons import ButtonKind, page_buttons, reason_buttons
from adapters.telegram.chat import NO_PREVIEW, PLATFORM, actor, asker, reply_outcome, say, service_of, tr
from adapters.telegram.render import MAX_TEXT, Segment, button_of, fit
from bot.answer_extras import REASON_THANKS, THANKS, WHAT_WAS_WRONG, ReportPage, report_page
from bot.domain import ChatRef, FeedbackTally, Question, Vote

# Characters of report text a page carries: room is left for its title, headings and date.
PAGE_BUDGET = MAX_TEXT - 600


def render_page(page: ReportPage) -> tuple[str, InlineKeyboardMarkup | None]:
    segments = [Segment(page.title, "b")]
    if page.report.checked:
        segments.append(Segment(page.report.checked, "i"))
    for block in page.blocks:
        if block.heading:
            segments.append(Segment(block.heading, "b", separator="\n\n"))
        segments.append(Segment(block.text, priority=1, separator="\n" if block.heading else "\n\n"))
    if page.note:
        segments.append(Segment(page.note, "i", separator="\n\n"))
    buttons = page_buttons(page)
    rows = [[button_of(b)] for b in buttons.follow_ups]
    if buttons.navigation:
        rows.append([button_of(b) for b in buttons.navigation])
    return fit(segments), InlineKeyboardMarkup(rows) if rows else None


def render_tallies(tallies: list[FeedbackTally]) -> str:
    if not tallies:
        return "No feedback on answers yet."
    segments = [Segment("Feedback on answers", "b")]
    for t in tallies:
        line = (
            f"#{t.fact_check_id} {t.claim}: 👍 {t.up} · 👎 {t.down} "
            f"(wrong claim {t.wrong_claim}, outdated {t.outdated}, other {t.other})"
        )
        segments.append(Segment(line, priority=1))
        for phrasing in t.held_back:
            segments.append(Segment(f"  held back for “{phrasing}”", "i", priority=2))
    return fit(segments)


async def vote_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    query = update.callback_query
    assert query is not None
    request_id, code = ids
    t = tr(update)
    vote = await asyncio.to_thread(service_of(context).vote, request_id, asker(query.from_user.id), code)
    await query.answer(t(THANKS[vote]))
    if vote is Vote.DOWN and isinstance(query.message, Message):
        markup = InlineKeyboardMarkup([[button_of(b) for b in reason_buttons(request_id, t.language)]])
        await query.message.reply_html(t(WHAT_WAS_WRONG), reply_markup=markup)


async def reason_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    query = update.callback_query
    assert query is not None
    request_id, code = ids
    service = service_of(context)
    reason = await asyncio.to_thread(service.feedback_reason, request_id, asker(query.from_user.id), code)
    await query.answer()
    if isinstance(query.message, Message):  # the question is answered: the buttons go, the thanks stays
        await query.edit_message_text(tr(update)(REASON_THANKS[reason]), reply_markup=None)


async def report_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """The full report: page 1 as a new message under the answer; the page buttons edit it in place."""
    query = update.callback_query
    assert query is not None
    fact_check_id, number = ids
    report = await asyncio.to_thread(service_of(context).full_report, fact_check_id)
    text, markup = render_page(report_page(report, number, PAGE_BUDGET, tr(update).language))
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if query.message.from_user is not None and query.message.reply_markup and _is_report(query.message):
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
        )
    else:
        await query.message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)


def _is_report(message: Message) -> bool:
    """A page of a report (its buttons page or ask), not the answer the report was opened from."""
    markup = message.reply_markup
    kinds = {
        str(button.callback_data).split(":", 1)[0]
        for row in (markup.inline_keyboard if markup else ())
        for button in row
        if button.callback_data
    }
    return bool(kinds) and kinds <= {ButtonKind.REPORT.value, ButtonKind.FOLLOW_UP.value}


async def follow_up_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, ids: tuple[int, ...]) -> None:
    """A follow-up question under a report, asked as the presser's own question."""
    query = update.callback_query
    assert query is not None
    service = service_of(context)
    text = await asyncio.to_thread(service.follow_up, *ids)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    chat = query.message.chat
    question = Question(
        text=text,
        asker=asker(query.from_user.id),
        chat=ChatRef(PLATFORM, str(chat.id), is_private=chat.type == chat.PRIVATE),
        message_id=str(query.message.message_id),
        event_key=f"callback:{query.id}",  # a redelivered press is asked once
    )
    outcome = await asyncio.to_thread(service.ask, question)
    await reply_outcome(query.message, context, outcome)


async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feedback: votes counted per fact-check, for moderators."""
    assert update.effective_user is not None
    moderator = await actor(context, update.effective_user)
    tallies = await asyncio.to_thread(service_of(context).feedback_tallies, moderator)
    await say(update, render_tallies(tallies))


BUTTONS = {
    ButtonKind.VOTE: vote_pressed,
    ButtonKind.REASON: reason_pressed,
    ButtonKind.REPORT: report_pressed,
    ButtonKind.FOLLOW_UP: follow_up_pressed,
}
