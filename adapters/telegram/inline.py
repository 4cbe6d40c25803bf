"""Telegram inline mode: `@bot <claim>` in any chat offers the closest fact-checks as articles to send."""

from __future__ import annotations

import asyncio

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from adapters.telegram.chat import NO_PREVIEW, service_of, settings_of
from adapters.telegram.render import render_html, render_inline_title
from bot.i18n import negotiate
from bot.replies import compose_answer


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot <claim> in any chat: the top matches as articles to send."""
    query = update.inline_query
    assert query is not None
    candidates = (
        await asyncio.to_thread(service_of(context).search, query.query, 5) if query.query.strip() else []
    )
    disclaimer = settings_of(context).disclaimer
    # The answer is posted in someone's chat: in the query's language, else the sender's app language.
    language = negotiate(query.query, query.from_user.language_code)
    results = []
    for candidate in candidates:
        card = candidate.fact_check
        # No request behind an inline answer: its only button is the full report, when there is one.
        text, markup = render_html(compose_answer(card, disclaimer, language=language))
        title, description = render_inline_title(candidate, language)
        results.append(
            InlineQueryResultArticle(
                id=f"fc{card.id}r{card.revision}",
                title=title,
                description=description,
                input_message_content=InputTextMessageContent(
                    text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
                reply_markup=markup,
            )
        )
    await query.answer(results, cache_time=30, is_personal=False)
