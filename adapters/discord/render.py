"""Pure rendering for Discord: the core's Reply and ReviewSummary as embeds with buttons and selects.

No network, no service: everything here is a function of its arguments. Discord's limits are
enforced here (embed fields and the 6000-character total, 80-character labels, 100-character
custom_ids); stored and user text is escaped so it can neither format nor mention anyone.
"""

from __future__ import annotations

import re

import discord

from adapters.buttons import (
    ID_COUNTS,
    Button,
    ButtonData,
    ButtonKind,
    approve_button,
    reply_buttons,
    review_buttons,
)
from adapters.media import PLATFORM_NAMES
from bot.domain import FactCheckCard, SearchHit
from bot.domain.ratings import Verdict
from bot.domain.review import ReviewMedia, ReviewSummary
from bot.i18n import translator
from bot.replies import ALSO_CHECKED, FROM_YOUR_TEXT, ActionKind, Reply, also_line, choice_label

TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FOOTER_MAX, EMBED_MAX = (
    256,
    4096,
    256,
    1024,
    2048,
    6000,
)
LABEL_MAX, CUSTOM_ID_MAX, SELECT_OPTIONS_MAX = 80, 100, 25

COLOURS = {
    Verdict.FALSE: 0xD93025,
    Verdict.MOSTLY_FALSE: 0xE8710A,
    Verdict.MISLEADING: 0xE8710A,
    Verdict.MISSING_CONTEXT: 0xF9AB00,
    Verdict.MIXED: 0xF9AB00,
    Verdict.MOSTLY_TRUE: 0x7CB342,
    Verdict.TRUE: 0x1E8E3E,
}
NEUTRAL = 0x5F6368
NO_MENTIONS = discord.AllowedMentions.none()  # stored text never pings anyone, whatever it says

# Persistent custom_ids ("cb:..."), so buttons keep working after a restart. A select menu names its
# request only ("cb:c:<request>") and sends the chosen fact-check as its value.
BUTTON_DATA = ButtonData(
    prefix="cb:",
    max_size=CUSTOM_ID_MAX,
    size=len,  # Discord counts characters
    id_counts=ID_COUNTS | {ButtonKind.CHOOSE: (1, 2), ButtonKind.PIN: (0,)},
)
STYLES = {
    ButtonKind.NOT_WHAT_I_ASKED: discord.ButtonStyle.secondary,
    ButtonKind.SUBSCRIBE: discord.ButtonStyle.primary,
    ButtonKind.PIN: discord.ButtonStyle.secondary,
    ButtonKind.SEND_TO_REVIEW: discord.ButtonStyle.primary,
    ButtonKind.DECLINE: discord.ButtonStyle.secondary,
    ButtonKind.MOD_LINK: discord.ButtonStyle.secondary,
    ButtonKind.MOD_APPROVE: discord.ButtonStyle.success,
    ButtonKind.MOD_REJECT: discord.ButtonStyle.danger,
    ButtonKind.VOTE: discord.ButtonStyle.secondary,
    ButtonKind.REASON: discord.ButtonStyle.secondary,
    ButtonKind.REPORT: discord.ButtonStyle.primary,
    ButtonKind.FOLLOW_UP: discord.ButtonStyle.secondary,
}


# The start of angle-bracket syntax Discord renders, in embeds too: <#channel>, <@user>, <@&role>,
# </command:id> (a clickable command), <t:unix:style> (a timestamp), <:emoji:id>, <a:emoji:id>,
# <id:customize> (server navigation), <sound:…>. Not "<https://…>", which stays a plain link.
# escape_mentions covers only @everyone, @here and <@…> ids of 17-20 digits; escape_markdown none of these.
ANGLE_SYNTAX = re.compile(r"<(?=[#@/:]|[A-Za-z]+:(?!//))")


def escape(text: str) -> str:
    """Stored or user text made inert: no markdown formatting, no mentions, no rendered <…> syntax."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text or ""))
    # A zero-width space after "<", as escape_mentions puts one after "@": shown as typed, never rendered.
    return ANGLE_SYNTAX.sub("<\u200b", escaped)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot break out of a markdown link, or None."""
    if not url or not url.startswith(("http://", "https://")) or len(url) > 512:
        return None
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def _fit(embed: discord.Embed) -> discord.Embed:
    """Trim the description until the whole embed fits Discord's 6000-character total."""
    excess = len(embed) - EMBED_MAX
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - excess))
    return embed


def render_embed(reply: Reply, *, can_pin: bool = False) -> tuple[discord.Embed, discord.ui.View | None]:
    """The core's Reply as an embed plus buttons, within Discord's limits."""
    colour = COLOURS.get(reply.verdict, NEUTRAL) if reply.verdict else NEUTRAL
    embed = discord.Embed(title=clip(reply.headline, TITLE_MAX), colour=colour)
    report = next((a.url for a in reply.actions if a.kind is ActionKind.FULL_REPORT), None)
    if safe_url(report):
        embed.url = safe_url(report)
    t = translator(reply.language)
    lines = [f"*{escape(reply.lead)}*"] if reply.lead else []
    if reply.excerpt and reply.kind == "answer":
        lines.append(f"*{escape(t(FROM_YOUR_TEXT))} “{escape(reply.excerpt)}”*")
    if reply.claim:
        claim = escape(reply.claim)
        related = reply.kind == "related"  # whole lines, so a language can order them its own way
        lines.append(
            t("**Fact-check:** {claim}", claim=claim) if related else t("**Claim:** {claim}", claim=claim)
        )
    if reply.rating_text:
        lines.append(t("**Rated by the publisher:** {rating}", rating=escape(reply.rating_text)))
    if reply.summary:
        lines.append(escape(reply.summary))
    if reply.checked:
        lines.append(f"*{escape(reply.checked)}*")
    for number, candidate in enumerate(reply.choices, 1):
        lines.append(f"**{number}.** {escape(choice_label(candidate, reply.language))}")
    if reply.also:
        lines.append(
            f"**{t(ALSO_CHECKED)}**\n"
            + "\n".join(f"• {escape(also_line(c, reply.language))}" for c in reply.also)
        )
    if reply.note:
        lines.append(f"*{escape(reply.note)}*")
    if reply.excerpt and reply.kind != "answer":
        lines.append("> " + escape(clip(reply.excerpt, 1000)))
    embed.description = clip("\n\n".join(lines), DESCRIPTION_MAX) or None
    for number, source in enumerate(reply.sources[:3], 1):
        name = clip(f"[{source.position or number}] {source.outlet or t('Source')}", FIELD_NAME_MAX)
        title = escape(source.title or source.outlet or t("Source"))
        url = safe_url(source.url)
        value = f"[{clip(title, 200)}]({url})" if url else clip(title, FIELD_VALUE_MAX)
        embed.add_field(name=name, value=value or "—", inline=False)
    if reply.disclaimer:
        embed.set_footer(text=clip(reply.disclaimer, FOOTER_MAX))
    return _fit(embed), _render_view(reply, can_pin=can_pin)


def _render_view(reply: Reply, *, can_pin: bool) -> discord.ui.View | None:
    t = translator(reply.language)
    view = discord.ui.View(timeout=None)
    buttons = reply_buttons(reply)
    if buttons.choices:
        request_id = buttons.choices[0].ids[0]
        options = [
            discord.SelectOption(label=clip(c.label, LABEL_MAX) or str(n), value=str(c.ids[1]))
            for n, c in enumerate(buttons.choices[:SELECT_OPTIONS_MAX], 1)
        ]
        view.add_item(
            discord.ui.Select(
                custom_id=BUTTON_DATA.encode(ButtonKind.CHOOSE, request_id),
                placeholder=clip(t("Pick the claim you mean"), 150),
                options=options,
            )
        )
    for button in buttons.actions:
        if button.kind is None and safe_url(button.url):
            view.add_item(discord.ui.Button(label=button.label, url=safe_url(button.url)))
        elif button.kind is ButtonKind.SUBSCRIBE:
            view.add_item(button_of(Button(t("Notify me"), button.kind, button.ids)))  # the short label fits
        elif button.kind is not None:
            view.add_item(button_of(button))
    if can_pin and reply.kind == "answer":
        view.add_item(button_of(Button(t("Pin"), ButtonKind.PIN), emoji="📌"))
    return view if view.children else None


def button_of(button: Button, *, emoji: str | None = None) -> discord.ui.Button[discord.ui.View]:
    """A neutral button as a persistent Discord button."""
    assert button.kind is not None
    return discord.ui.Button(
        label=clip(button.label, LABEL_MAX),
        custom_id=BUTTON_DATA.encode(button.kind, *button.ids),
        style=STYLES[button.kind],
        emoji=emoji,
    )


def render_review(review: ReviewSummary) -> tuple[discord.Embed, discord.ui.View]:
    """A review item for the moderators' channel, with link / reject (and approve) buttons."""
    embed = discord.Embed(
        title=f"Review item #{review.id}",
        colour=NEUTRAL,
        description=clip(escape(review.text), DESCRIPTION_MAX),
    )
    embed.add_field(
        name="Asked", value=f"{review.ask_count}× (last {review.last_asked_at:%Y-%m-%d %H:%M} UTC)"
    )
    embed.add_field(name="Subscribers", value=str(review.subscribers))
    if review.media is not None:
        _media_fields(embed, review.media, review.text)
    if review.draft is not None:
        embed.add_field(
            name="Draft verdict",
            inline=False,
            value=clip(
                f"{review.draft.verdict.icon} {review.draft.verdict.value}: {escape(review.draft.summary)}",
                FIELD_VALUE_MAX,
            ),
        )
    if review.suggestions:
        embed.add_field(
            name="Closest fact-checks",
            inline=False,
            value=clip(
                "\n".join(
                    f"#{c.fact_check.id} {escape(choice_label(c))} ({c.score:.2f})"
                    for c in review.suggestions[:3]
                ),
                FIELD_VALUE_MAX,
            ),
        )
    embed.set_footer(text="Use /review verdict to write a new verdict, or link one below.")
    buttons = review_buttons(review)
    view = discord.ui.View(timeout=None)
    for link in buttons.links:
        view.add_item(button_of(Button(f"Link #{link.ids[1]}", link.kind, link.ids)))  # the claim is above
    if buttons.approve is not None:
        view.add_item(button_of(buttons.approve))
    view.add_item(button_of(buttons.reject))
    return _fit(embed), view


def discord_attachment(media: ReviewMedia) -> str | None:
    """The attachment URL a review item's media can be shown from in Discord, if it was sent there."""
    return (
        media.ref if media.platform == "discord" and media.ref.startswith(("https://", "http://")) else None
    )


def _media_fields(embed: discord.Embed, media: ReviewMedia, text: str) -> None:
    """The item's photo (shown in the embed from its attachment URL; a video is linked above the embed,
    where Discord plays it), its caption and the text read in it."""
    what = "Video" if media.kind == "video" else "Photo"
    url = discord_attachment(media)
    if url is not None and media.kind == "image":
        embed.set_image(url=url)
        where = "sent on Discord, shown below"
    elif url is not None:
        where = "sent on Discord, shown above"
    else:  # a Telegram message: only that platform's moderators' chat can show it
        where = f"sent on {PLATFORM_NAMES.get(media.platform, media.platform)}; the file stays there"
    embed.add_field(name=what, value=where, inline=False)
    if media.caption and media.caption != text:  # else it is the item's text, above
        embed.add_field(name="Caption", value=clip(escape(media.caption), FIELD_VALUE_MAX), inline=False)
    if media.text_read:
        embed.add_field(
            name=f"Text in the {what.lower()}",
            value=clip(escape(media.text_read), FIELD_VALUE_MAX),
            inline=False,
        )


def render_draft(item: int, draft: FactCheckCard) -> tuple[discord.Embed, discord.ui.View]:
    """A drafted verdict as the approver must see it, with the button that approves this revision."""
    embed = discord.Embed(
        title=f"Draft for review item #{item}, revision {draft.revision}",
        colour=COLOURS.get(draft.verdict, NEUTRAL),
        description=clip(escape(draft.summary), DESCRIPTION_MAX),
    )
    embed.add_field(name="Claim", value=clip(escape(draft.claim) or "-", FIELD_VALUE_MAX), inline=False)
    embed.add_field(name="Verdict", value=f"{draft.verdict.icon} {draft.verdict.value}")
    sources = "\n".join(escape(s.url or s.outlet) for s in draft.sources)
    embed.add_field(name="Sources", value=clip(sources or "-", FIELD_VALUE_MAX), inline=False)
    view = discord.ui.View(timeout=None)
    view.add_item(button_of(approve_button(item, draft.revision)))
    return _fit(embed), view


def render_search(
    query: str, hits: list[SearchHit], item: int | None
) -> tuple[discord.Embed, discord.ui.View | None]:
    """A moderator's catalogue search: one line per fact-check, and Link buttons for a given review item."""
    title = clip(f"Fact-checks for “{query}”", TITLE_MAX)
    if not hits:
        text = f"No fact-check found for “{escape(query)}”. Try fewer or other words."
        return _fit(discord.Embed(title=title, colour=NEUTRAL, description=clip(text, DESCRIPTION_MAX))), None
    lines = []
    for hit in hits:
        card = hit.fact_check
        how = f"score {hit.score:.2f}" if hit.score is not None else "text match"
        state = f", {card.status}" if card.status != "published" else ""
        dated = f"{card.checked_at:%Y-%m-%d}" if card.checked_at else "no date"
        url = safe_url(card.report_url)
        line = (
            f"**#{card.id}** {card.verdict.icon} {card.verdict.value}: {escape(clip(card.claim, 200))}\n"
            f"{dated} · {escape(card.publisher or 'no publisher')} ({how}{state})"
            + (f" <{url}>" if url else "")
        )
        lines.append(line)
    embed = discord.Embed(title=title, colour=NEUTRAL, description=clip("\n\n".join(lines), DESCRIPTION_MAX))
    linkable = [h.fact_check for h in hits if h.fact_check.status == "published"][:5]
    if item is None or not linkable:
        embed.set_footer(
            text="Answer a review item with /review link, or search again with item: for buttons."
        )
        return _fit(embed), None
    embed.set_footer(text=f"Press a button to answer review item #{item} with that fact-check.")
    view = discord.ui.View(timeout=None)
    for card in linkable:
        view.add_item(button_of(Button(f"Link #{item} to #{card.id}", ButtonKind.MOD_LINK, (item, card.id))))
    return _fit(embed), view


def detached(view: discord.ui.View | None) -> discord.ui.View | None:
    """A view used only as a component payload: stopped, so discord.py keeps no per-message state for it."""
    if view is not None:
        view.stop()
    return view
