"""Discord handlers for members: /check, /forget, the "Fact-check this" menu and the answers' buttons.

Application commands only: no privileged intent (message content comes with context-menu
interactions). Each handler parses the interaction, calls the core through `interaction.client`
(adapters/discord/interactions.py) and shows the outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import discord
from discord import app_commands

from adapters.buttons import ButtonKind
from adapters.discord.interactions import PLATFORM, CoreClient
from adapters.discord.media import download, first_media, wanted
from adapters.media import MediaRefused, Wanted
from bot.domain import ChatRef, MediaFile, Outcome, Question
from bot.i18n import N_
from bot.leads import media_problem
from bot.replies import ALREADY_SENT_TEXT, DECLINED_TEXT

Interaction = discord.Interaction[CoreClient]


CHECK_USAGE = N_("Send /check with a claim, a photo or a video to check.")


def _question(
    interaction: Interaction, text: str, message_id: str | None, media: MediaFile | None
) -> Question:
    return Question(
        text=text or "",
        asker=interaction.client.asker(interaction),
        chat=ChatRef(PLATFORM, str(interaction.channel_id), is_private=interaction.guild_id is None),
        message_id=message_id,
        event_key=str(interaction.id),
        language_hint=str(interaction.locale),
        media=media,
    )


async def ask(
    interaction: Interaction, text: str, *, message_id: str | None, problem: MediaRefused | None = None
) -> None:
    """Ask the core about a text (a /check question or another member's message) and show the outcome."""
    bot = interaction.client
    question = _question(interaction, text, message_id, None)
    outcome = await bot.work(interaction, bot.service.ask, question, ephemeral=False)
    await bot.show(interaction, outcome, problem=problem)


async def ask_media(
    interaction: Interaction, attachment: discord.Attachment, text: str, *, message_id: str | None
) -> None:
    """Check a photo or video with the words sent with it. A refused file leaves the words as the
    question (said to be so); without words the member is told why, privately."""
    bot = interaction.client

    async def check(bounds: Wanted) -> Outcome:
        async with bot.media_gate.slot():
            media = await download(attachment, bounds)
            question = _question(interaction, text, message_id, media)
            return await asyncio.to_thread(bot.service.ask, question)  # decoded off the event loop

    try:
        bounds = wanted(attachment)  # too large or not a picture: refused before any download
        # Waiting for a turn, fetching and fingerprinting may outlast Discord's 3 s: then it is deferred.
        outcome = await bot.in_time(interaction, check(bounds), ephemeral=False)
    except MediaRefused as refused:
        if text.strip():
            await ask(interaction, text, message_id=message_id, problem=refused)
        else:
            await bot.say(interaction, refused.text(bot.tr(interaction).language))
        return
    await bot.show(interaction, outcome)


@app_commands.command(name="check")
@app_commands.describe(
    question="The claim you want checked, e.g. did a NYC cop arrest an ICE agent?",
    attachment="A photo or video to check (with or without a question)",
)
async def check(
    interaction: Interaction,
    question: app_commands.Range[str, 1, 2000] | None = None,
    attachment: discord.Attachment | None = None,
) -> None:
    """Check a claim, a photo or a video against published fact-checks."""
    if attachment is not None:
        await ask_media(interaction, attachment, question or "", message_id=None)
        return
    if not question:
        await interaction.client.refuse(interaction, CHECK_USAGE)
        return
    await ask(interaction, question, message_id=None)


@app_commands.command(name="forget")
async def forget(interaction: Interaction) -> None:
    """Delete the questions and subscriptions the bot stored about you."""
    bot = interaction.client
    removed = await bot.work(interaction, bot.service.forget, bot.asker(interaction))
    tn = bot.tr(interaction).n
    text = tn(
        "Done: I deleted {count} stored record about you.",
        "Done: I deleted {count} stored records about you.",
        removed,
    )
    await bot.say(interaction, text)


@app_commands.context_menu(name="Fact-check this")
async def fact_check_this(interaction: Interaction, message: discord.Message) -> None:
    # Context menus carry the target message's content and attachments without the message-content intent.
    attachment = first_media(message.attachments)
    if attachment is not None:
        await ask_media(interaction, attachment, message.content, message_id=str(message.id))
        return
    if not message.content.strip():  # a sticker or an embed with no text
        bot = interaction.client
        await bot.say(interaction, media_problem("unsupported", bot.tr(interaction).language))
        return
    await ask(interaction, message.content, message_id=str(message.id))


COMMANDS = (check, fact_check_this, forget)


# ---------------------------------------------------------------------- answer buttons


async def not_what_i_asked_pressed(interaction: Interaction, request_id: int, *, values: list[str]) -> None:
    """Queue the question for reviewers; the asker gets an ephemeral confirmation."""
    bot = interaction.client
    outcome = await bot.work(interaction, bot.service.not_what_i_asked, request_id, bot.asker(interaction))
    await bot.show(interaction, outcome)


async def subscribe_pressed(interaction: Interaction, request_id: int, *, values: list[str]) -> None:
    """Notify the asker by DM (or here when DMs are closed) when the verdict arrives or changes."""
    bot, user_id = interaction.client, interaction.user.id
    reply_to = (
        f"user:{user_id}" if interaction.guild_id is None else f"user:{user_id}:{interaction.channel_id}"
    )
    added = await bot.work(interaction, bot.service.subscribe, bot.asker(interaction), reply_to, request_id)
    t = bot.tr(interaction)
    await bot.say(
        interaction,
        t("I'll message you when reviewers publish a verdict or this fact-check changes.")
        if added
        else t("You're already subscribed to updates on this."),
    )


async def choose_pressed(
    interaction: Interaction, request_id: int, fact_check_id: int | None = None, *, values: list[str]
) -> None:
    """The asker picked a suggestion: the suggestions message becomes the answer."""
    bot = interaction.client
    if fact_check_id is None:
        if len(values) != 1 or not values[0].isdigit():
            await bot.refuse(interaction, N_("Please pick one of the suggested claims."))
            return
        fact_check_id = int(values[0])
    outcome = await bot.work(
        interaction, bot.service.choose, request_id, fact_check_id, bot.asker(interaction), update=True
    )
    await bot.show(interaction, outcome, update=True)


async def send_to_review_pressed(interaction: Interaction, request_id: int, *, values: list[str]) -> None:
    """The asker confirmed: the claim goes to the fact-checkers; the offer becomes the receipt."""
    bot = interaction.client
    outcome = await bot.work(
        interaction, bot.service.send_to_review, request_id, bot.asker(interaction), update=True
    )
    await bot.show(interaction, outcome, update=True)


async def decline_pressed(interaction: Interaction, request_id: int, *, values: list[str]) -> None:
    """ "No thanks": nothing is sent; the offer's buttons go away."""
    bot = interaction.client
    asker = bot.asker(interaction)
    declined = await bot.work(interaction, bot.service.decline, request_id, asker, update=True)
    t = bot.tr(interaction)
    await bot.respond(interaction, content=t(DECLINED_TEXT if declined else ALREADY_SENT_TEXT), update=True)


async def pin_pressed(interaction: Interaction, *, values: list[str]) -> None:
    """Pin an answer: the member needs the pin permission, and so does the bot."""
    t = interaction.client.tr(interaction)
    bot, message = interaction.client, interaction.message
    if interaction.guild_id is None or message is None:
        await bot.refuse(interaction, N_("Answers can be pinned in server channels only."))
        return
    chat_id, message_id = str(message.channel.id), str(message.id)
    pinner = bot.actor(interaction)
    if interaction.permissions.pin_messages:
        # Their own pin permission in this channel is enough, in any server; without it only moderator
        # rights are, and those exist in the community's servers only.
        pinner = replace(pinner, community=bot.settings.community, platform_admin=True)
    # authorize() lets members who may pin through and audits everyone else.
    await bot.work(interaction, bot.service.authorize, pinner, "pin", f"message:{chat_id}:{message_id}")
    if not interaction.app_permissions.pin_messages:
        await bot.refuse(interaction, N_("I need the Pin Messages permission in this channel to do that."))
        return
    if await asyncio.to_thread(bot.service.sent_reply, PLATFORM, chat_id, message_id) is None:
        await bot.refuse(interaction, N_("Only ClaimBot's answers can be pinned."))
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        await message.pin(reason=f"ClaimBot answer pinned by {interaction.user.id}")
    except discord.Forbidden:
        await bot.say(interaction, t("Discord did not let me pin here (missing permission)."))
        return
    await asyncio.to_thread(bot.service.mark_pinned, pinner, chat_id, message_id)
    await bot.say(
        interaction,
        t("Pinned. I'll keep this answer up to date if the fact-check is revised."),
    )


BUTTONS = {
    ButtonKind.SEND_TO_REVIEW: send_to_review_pressed,
    ButtonKind.DECLINE: decline_pressed,
    ButtonKind.NOT_WHAT_I_ASKED: not_what_i_asked_pressed,
    ButtonKind.SUBSCRIBE: subscribe_pressed,
    ButtonKind.CHOOSE: choose_pressed,
    ButtonKind.PIN: pin_pressed,
}
