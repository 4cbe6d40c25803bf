"""Discord: what an answer offers beyond its verdict. 👍 / 👎 (and why a 👎), the full report paged
within an embed's limits with its follow-up questions, and the moderators' feedback tallies."""

from __future__ import annotations

import discord

from adapters.buttons import ButtonKind, page_buttons, reason_buttons
from adapters.discord.interactions import PLATFORM, CoreClient
from adapters.discord.render import (
    DESCRIPTION_MAX,
    NEUTRAL,
    TITLE_MAX,
    button_of,
    clip,
    escape,
)
from bot.answer_extras import REASON_THANKS, THANKS, WHAT_WAS_WRONG, ReportPage, report_page
from bot.domain import ChatRef, FeedbackTally, Question, Vote

Interaction = discord.Interaction[CoreClient]
# Characters of report text a page carries: the description holds 4,096, and headings and escaping
# (a backslash before markdown characters) need room.
PAGE_BUDGET = 3000


def render_page(page: ReportPage) -> tuple[discord.Embed, discord.ui.View | None]:
    parts = [f"*{escape(page.report.checked)}*"] if page.report.checked else []
    for block in page.blocks:
        text = escape(block.text)
        parts.append(f"**{escape(block.heading)}**\n{text}" if block.heading else text)
    if page.note:
        parts.append(f"*{escape(page.note)}*")
    embed = discord.Embed(
        title=clip(page.title, TITLE_MAX),
        colour=NEUTRAL,
        description=clip("\n\n".join(parts), DESCRIPTION_MAX),
    )
    buttons = page_buttons(page)
    view = discord.ui.View(timeout=None)
    for button in (*buttons.navigation, *buttons.follow_ups):  # 2 + 3 at most: within 25 components
        view.add_item(button_of(button))
    return embed, view if view.children else None


def render_tallies(tallies: list[FeedbackTally]) -> str:
    if not tallies:
        return "No feedback on answers yet."
    lines = ["**Feedback on answers**"]
    for t in tallies:
        lines.append(
            f"#{t.fact_check_id} {clip(escape(t.claim), 120)}: 👍 {t.up} · 👎 {t.down} "
            f"(wrong claim {t.wrong_claim}, outdated {t.outdated}, other {t.other})"
        )
        lines += [f"  held back for “{clip(escape(p), 120)}”" for p in t.held_back]
    return clip("\n".join(lines), 2000)


async def vote_pressed(interaction: Interaction, request_id: int, code: int, *, values: list[str]) -> None:
    bot = interaction.client
    t = bot.tr(interaction)
    vote = await bot.work(interaction, bot.service.vote, request_id, bot.asker(interaction), code)
    if vote is not Vote.DOWN:
        await bot.say(interaction, t(THANKS[vote]))
        return
    view = discord.ui.View(timeout=None)
    for button in reason_buttons(request_id, t.language):
        view.add_item(button_of(button))
    await bot.respond(
        interaction, content=f"{t(THANKS[vote])} {t(WHAT_WAS_WRONG)}", view=view, ephemeral=True
    )


async def reason_pressed(interaction: Interaction, request_id: int, code: int, *, values: list[str]) -> None:
    bot = interaction.client
    reason = await bot.work(
        interaction, bot.service.feedback_reason, request_id, bot.asker(interaction), code
    )
    await bot.say(interaction, bot.tr(interaction)(REASON_THANKS[reason]))


async def report_pressed(
    interaction: Interaction, fact_check_id: int, number: int, *, values: list[str]
) -> None:
    """Page 1 opens for the presser alone (ephemeral); the page buttons turn that message's pages."""
    bot = interaction.client
    report = await bot.work(interaction, bot.service.full_report, fact_check_id)
    embed, view = render_page(report_page(report, number, PAGE_BUDGET, bot.tr(interaction).language))
    on_report = _is_report(interaction)
    await bot.respond(interaction, embed=embed, view=view, ephemeral=True, update=on_report)


def _is_report(interaction: Interaction) -> bool:
    """Pressed on a page of a report (turn the page), not on the answer it was opened from."""
    message = interaction.message
    if message is None:
        return False
    ids = [
        getattr(c, "custom_id", None) or ""
        for row in message.components
        for c in getattr(row, "children", [])
    ]
    kinds = {i.removeprefix("cb:").split(":", 1)[0] for i in ids if i}
    return bool(kinds) and kinds <= {ButtonKind.REPORT.value, ButtonKind.FOLLOW_UP.value}


async def follow_up_pressed(
    interaction: Interaction, fact_check_id: int, index: int, *, values: list[str]
) -> None:
    """A follow-up question under a report, asked as the presser's own question."""
    bot = interaction.client
    text = await bot.work(interaction, bot.service.follow_up, fact_check_id, index)
    question = Question(
        text=text,
        asker=bot.asker(interaction),
        chat=ChatRef(PLATFORM, str(interaction.channel_id), is_private=interaction.guild_id is None),
        event_key=str(interaction.id),
    )
    outcome = await bot.work(interaction, bot.service.ask, question, ephemeral=False)
    await bot.show(interaction, outcome)


async def feedback_tallies(interaction: Interaction) -> None:
    bot = interaction.client
    tallies = await bot.work(interaction, bot.service.feedback_tallies, bot.actor(interaction))
    await bot.say(interaction, render_tallies(tallies))


BUTTONS = {
    ButtonKind.VOTE: vote_pressed,
    ButtonKind.REASON: reason_pressed,
    ButtonKind.REPORT: report_pressed,
    ButtonKind.FOLLOW_UP: follow_up_pressed,
}
