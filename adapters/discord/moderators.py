"""Discord handlers for moderators: the /review command group and the review posts' buttons.

Who may do what is the core's decision (`ClaimService` authorizes and audits every call); these
handlers only say who is acting (`CoreClient.actor`) and pass the command's options on.
"""

from __future__ import annotations

import io

import discord
from discord import app_commands

from adapters.attach import ATTACH_KINDS, attached_note, attachment_of
from adapters.buttons import ButtonKind
from adapters.discord import answers
from adapters.discord.interactions import PLATFORM, CoreClient
from adapters.discord.render import NO_MENTIONS, clip, escape, render_draft, render_search
from bot.domain import Asker, MediaAttachment, ServiceError
from bot.domain.ratings import Verdict
from bot.exporters import export_file

Interaction = discord.Interaction[CoreClient]
REJECT_FROM_BUTTON = "Not a checkable claim (rejected from the review channel)."

RATINGS = [v for v in Verdict if v is not Verdict.UNRATED]  # what /review rate may give
# `attach_media` on /review link and approve: the review item's photo or video attached to the
# fact-check as this kind (the CLI's --attach-media --authenticity); left out, nothing is attached.
# Choice names are English like the rest of /review (Discord shows them as given: no command translator).
MEDIA_KINDS = [app_commands.Choice(name=kind.label[:100], value=kind.word) for kind in ATTACH_KINDS]
ATTACH_HELP = "Attach the item's forwarded photo or video to the fact-check, as this kind"
DESCRIPTION_HELP = "With attach_media: what the photo or video really shows"


def _attachment(kind: str | None, description: str | None) -> MediaAttachment | None:
    """attach_media's choice; a description without it is a mistake said back, not a silent no."""
    if kind is None and description:
        raise ServiceError("media_description goes with attach_media (pick what the photo or video is).")
    return attachment_of(kind, description or "")


@app_commands.command(
    name="console", description="A sign-in link to the moderators' web console (moderators)"
)
@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
async def console(interaction: Interaction) -> None:
    """A single-use sign-in link to the web console; only the moderator who asked sees it (ephemeral)."""
    bot = interaction.client
    link = await bot.work(interaction, bot.service.issue_console_link, bot.actor(interaction))
    minutes = bot.settings.console_link_minutes
    await bot.say(
        interaction,
        f"Your sign-in link to the moderators' console (it works once, for {minutes} minutes): {link.url}",
    )


class ReviewCommands(
    app_commands.Group,
    name="review",
    description="Work the fact-check review queue (moderators)",
    guild_only=True,
    default_permissions=discord.Permissions(manage_messages=True),
):
    """Moderator commands; rights are checked in code (CoreClient.actor, authorize), refusals audited."""

    @app_commands.command()
    async def feedback(self, interaction: Interaction) -> None:
        """Votes on answers counted per fact-check, the most "not helpful" first."""
        await answers.feedback_tallies(interaction)

    @app_commands.command()
    async def queue(self, interaction: Interaction) -> None:
        """List the open review items, most asked first."""
        bot = interaction.client
        items = await bot.work(interaction, bot.service.queue, bot.actor(interaction), 10)
        lines = [f"**#{i.id}** ({i.ask_count}×, {i.status}) {clip(escape(i.text), 200)}" for i in items]
        await bot.say(interaction, "\n".join(lines) or "The review queue is empty.")

    @app_commands.command()
    @app_commands.describe(
        item="Review item number",
        rating="Verdict",
        summary="One or two sentences",
        sources="Source URLs separated by spaces",
        claim="The claim as checked (optional)",
    )
    @app_commands.choices(rating=[app_commands.Choice(name=v.value, value=v.value) for v in Verdict][:25])
    async def verdict(
        self,
        interaction: Interaction,
        item: int,
        rating: str,
        summary: str,
        sources: str,
        claim: str | None = None,
    ) -> None:
        """Draft a verdict for a review item; it is published on approval."""
        bot = interaction.client
        card = await bot.work(
            interaction,
            bot.service.write_verdict,
            bot.actor(interaction),
            item,
            rating,
            summary,
            sources.replace(",", " ").split(),
            claim,
        )
        await bot.say(
            interaction,
            f"Draft saved for item #{item}: {card.verdict.icon} {card.verdict.value}. "
            f"Approve it with /review approve item:{item}.",
        )

    @app_commands.command()
    @app_commands.describe(
        item="Review item number",
        revision="The draft revision you checked (leave out to see the draft)",
        attach_media=ATTACH_HELP,
        media_description=DESCRIPTION_HELP,
    )
    @app_commands.choices(attach_media=MEDIA_KINDS)
    async def approve(
        self,
        interaction: Interaction,
        item: int,
        revision: int | None = None,
        attach_media: str | None = None,
        media_description: str | None = None,
    ) -> None:
        """Publish the drafted verdict you checked and notify everyone who asked."""
        attach = _attachment(attach_media, media_description)
        await approve_draft(interaction, item, revision, attach)

    @app_commands.command()
    @app_commands.describe(item="Review item number", reason="Why it is rejected")
    async def reject(self, interaction: Interaction, item: int, reason: str) -> None:
        """Reject a review item (not a checkable claim, spam…)."""
        bot = interaction.client
        await bot.work(interaction, bot.service.reject, bot.actor(interaction), item, reason)
        await bot.say(interaction, f"Review item #{item} rejected.")

    @app_commands.command()
    @app_commands.describe(
        item="Review item number",
        fact_check="Existing fact-check number",
        attach_media=ATTACH_HELP,
        media_description=DESCRIPTION_HELP,
    )
    @app_commands.choices(attach_media=MEDIA_KINDS)
    async def link(
        self,
        interaction: Interaction,
        item: int,
        fact_check: int,
        attach_media: str | None = None,
        media_description: str | None = None,
    ) -> None:
        """Answer a review item with an existing fact-check (and attach its photo or video, if asked)."""
        bot = interaction.client
        attach = _attachment(attach_media, media_description)
        card = await bot.work(interaction, bot.service.link, bot.actor(interaction), item, fact_check, attach)
        note = f"Item #{item} answered with fact-check #{card.id}: {escape(card.claim)}"
        if attach is not None:
            note += "\n" + escape(attached_note(attach, card.id, bot.tr(interaction)))
        await bot.say(interaction, clip(note, 2000))

    @app_commands.command()
    @app_commands.describe(user="The member whose questions should be dropped")
    async def block(self, interaction: Interaction, user: discord.User) -> None:
        """Drop a member's questions silently from now on; they never reach reviewers."""
        bot = interaction.client
        await bot.work(interaction, bot.service.block, bot.actor(interaction), Asker(PLATFORM, str(user.id)))
        await bot.say(interaction, "Blocked: their questions are dropped silently and never reach reviewers.")

    @app_commands.command()
    @app_commands.describe(format="Published fact-checks as ClaimReview JSON-LD, or the audit log")
    @app_commands.choices(
        format=[
            app_commands.Choice(name="ClaimReview JSON-LD", value="claimreview"),
            app_commands.Choice(name="Audit log (JSON lines)", value="audit"),
        ]
    )
    async def export(self, interaction: Interaction, format: str = "claimreview") -> None:
        """Export published fact-checks or the audit log as a file only you can see."""
        bot = interaction.client
        name, content = await bot.work(interaction, export_file, bot.service, bot.actor(interaction), format)
        file = discord.File(io.BytesIO(content), filename=name)
        if not interaction.response.is_done():
            await interaction.response.send_message(
                content=name, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.followup.send(
                content=name, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    @app_commands.command()
    @app_commands.describe(fact_check="Fact-check number", rating="New verdict", summary="New summary")
    @app_commands.choices(rating=[app_commands.Choice(name=v.value, value=v.value) for v in Verdict][:25])
    async def revise(
        self, interaction: Interaction, fact_check: int, rating: str | None = None, summary: str | None = None
    ) -> None:
        """Revise a published fact-check; every posted answer is edited in place."""
        bot = interaction.client
        changes = {k: v for k, v in (("rating", rating), ("summary", summary)) if v}
        card = await bot.work(interaction, bot.service.revise, bot.actor(interaction), fact_check, **changes)
        await bot.say(
            interaction,
            f"Fact-check #{card.id} is now at revision {card.revision}; posted answers will be updated.",
        )

    @app_commands.command()
    @app_commands.describe(fact_check="Fact-check number", verdict="Its verdict")
    @app_commands.choices(verdict=[app_commands.Choice(name=v.value, value=v.value) for v in RATINGS])
    async def rate(self, interaction: Interaction, fact_check: int, verdict: str) -> None:
        """Give a fact-check without a rating its verdict; posted replies are edited in place."""
        bot = interaction.client
        card = await bot.work(interaction, bot.service.rate, bot.actor(interaction), fact_check, verdict)
        await bot.say(
            interaction,
            f"Fact-check #{card.id} is now rated {card.verdict.icon} {card.verdict.value}; "
            "posted replies will be updated.",
        )

    @app_commands.command()
    @app_commands.describe(
        query="Words of the claim, title, URL or an alias",
        item="A review item: the results get a button to link it to each",
    )
    async def search(self, interaction: Interaction, query: str, item: int | None = None) -> None:
        """Find fact-checks by their words, to link a review item without knowing ids."""
        bot = interaction.client
        hits = await bot.work(
            interaction, bot.service.find_factchecks, bot.actor(interaction), query, limit=5
        )
        embed, view = render_search(query, hits, item)
        await bot.respond(interaction, embed=embed, view=view, ephemeral=True)


# ---------------------------------------------------------------------- review buttons


async def link_pressed(interaction: Interaction, item: int, fact_check: int, *, values: list[str]) -> None:
    """A moderator links a review item to a suggested fact-check."""
    bot = interaction.client
    card = await bot.work(interaction, bot.service.link, bot.actor(interaction), item, fact_check)
    await bot.say(interaction, f"Item #{item} answered with fact-check #{card.id}.")


async def reject_pressed(interaction: Interaction, item: int, *, values: list[str]) -> None:
    """A moderator rejects a review item from the review channel."""
    bot = interaction.client
    await bot.work(interaction, bot.service.reject, bot.actor(interaction), item, REJECT_FROM_BUTTON)
    await bot.say(interaction, f"Review item #{item} rejected.")


async def approve_pressed(
    interaction: Interaction, item: int, revision: int | None = None, *, values: list[str]
) -> None:
    """A moderator approves the draft revision a button was shown with."""
    await approve_draft(interaction, item, revision)


async def approve_draft(
    interaction: Interaction, item: int, revision: int | None, attach: MediaAttachment | None = None
) -> None:
    """Publish a draft at the revision the moderator saw; a changed draft, or none named, is shown."""
    bot = interaction.client
    result = await bot.work(interaction, bot.service.approve, bot.actor(interaction), item, revision, attach)
    if result.review_again:
        embed, view = render_draft(item, result.fact_check)
        text = clip(f"Not published yet: {result.waiting_for}.", 2000)
        await bot.respond(interaction, content=text, embed=embed, view=view, ephemeral=True)
    elif result.published:
        note = (
            f"Published fact-check #{result.fact_check.id}; {result.notified} subscriber(s) will be notified."
        )
        if attach is not None:
            note += "\n" + escape(attached_note(attach, result.fact_check.id, bot.tr(interaction)))
        await bot.say(interaction, note)
    else:
        await bot.say(interaction, f"Not published yet: {result.waiting_for}.")


BUTTONS = {
    ButtonKind.MOD_LINK: link_pressed,
    ButtonKind.MOD_REJECT: reject_pressed,
    ButtonKind.MOD_APPROVE: approve_pressed,
}
