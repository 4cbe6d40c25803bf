"""How Discord handlers answer an interaction: the client they reach through, and its helpers.

Every handler gets `interaction.client`, a `CoreClient`: the core service and settings, who is asking
or acting, `work` (a core call in a worker thread, deferring when Discord's 3 s would run out),
and `respond` / `say` / `show` (reply through the interaction). adapters/discord/client.py builds on
it with the wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import discord

from adapters.discord.render import NO_MENTIONS, clip, detached, render_embed
from adapters.media import MediaGate, MediaRefused
from bot.config import Settings
from bot.domain import Actor, Asker, Outcome, OutcomeKind
from bot.i18n import Translator, translator
from bot.replies import compose
from bot.service import ClaimService

PLATFORM = "discord"
# Discord wants an answer within 3 s; past this much work we defer and follow up instead.
DEFER_AFTER = 1.5

T = TypeVar("T")


def can_pin(interaction: discord.Interaction) -> bool:
    """The member and the bot may both pin in this channel (PIN_MESSAGES since February 2026)."""
    return (
        interaction.guild_id is not None
        and interaction.permissions.pin_messages
        and (interaction.app_permissions.pin_messages)
    )


def outside_community(community: str) -> str:
    """The community a Discord member outside the community's servers acts for: never `community` itself.

    So ClaimService.authorize refuses them and no moderator grant of `community` applies to them.
    """
    return f"{community} (outside its Discord servers)"


class CoreClient(discord.Client):
    """A discord.py client carrying the core service (composed, not inherited) and ways to answer with it."""

    def __init__(self, service: ClaimService, settings: Settings, **options: Any) -> None:
        super().__init__(**options)
        self.service = service
        self.settings = settings
        self.media_gate = MediaGate()  # photos and videos fetched and checked at once (issue 16)

    def community_guild_ids(self) -> frozenset[int]:
        """The community's servers: DISCORD_MODERATOR_GUILDS, else DISCORD_GUILDS (the servers the commands
        are registered in), else the server of DISCORD_REVIEW_CHANNEL."""
        listed = self.settings.discord_moderator_guilds or self.settings.discord_guilds
        if listed:
            return frozenset(listed)
        review = self.settings.discord_review_channel
        channel = self.get_channel(review) if review is not None else None
        # From the guild cache: while the bot is not in that server (or it is unavailable), there is none.
        if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return frozenset({channel.guild.id})
        return frozenset()

    def actor(self, interaction: discord.Interaction) -> Actor:
        """The person acting; a moderator only in one of the community's servers.

        There, the configured role or an explicit grant (`claimbot moderators add`) makes a moderator;
        a server administrator is not one by that alone. Anywhere else (another server the bot was
        invited to, a DM) nobody acts for this community, whatever their rights in that server: the
        core refuses and audits every moderator action, and no grant applies.
        """
        user = interaction.user
        if interaction.guild_id is None or interaction.guild_id not in self.community_guild_ids():
            return Actor(PLATFORM, str(user.id), community=outside_community(self.settings.community))
        role = self.settings.discord_moderator_role
        has_role = isinstance(user, discord.Member) and (
            any(r.name == role or str(r.id) == role for r in user.roles)
            or (role.isdigit() and user._roles.has(int(role)))
        )
        return Actor(PLATFORM, str(user.id), community=self.settings.community, platform_admin=has_role)

    @staticmethod
    def tr(interaction: discord.Interaction) -> Translator:
        """Strings not tied to a question are in the member's Discord language (English without a catalog)."""
        return translator(str(interaction.locale))

    @staticmethod
    def asker(interaction: discord.Interaction) -> Asker:
        return Asker(PLATFORM, str(interaction.user.id), interaction.user.name)

    async def work(
        self,
        interaction: discord.Interaction,
        func: Callable[..., T],
        *args: Any,
        ephemeral: bool = True,
        update: bool = False,
        **kwargs: Any,
    ) -> T:
        """Run a core call in a thread; defer the interaction when it takes too long for Discord's 3 s."""
        return await self.in_time(
            interaction, asyncio.to_thread(func, *args, **kwargs), ephemeral=ephemeral, update=update
        )

    async def in_time(
        self,
        interaction: discord.Interaction,
        job: Awaitable[T],
        *,
        ephemeral: bool = True,
        update: bool = False,
    ) -> T:
        """Await `job` (a core call, or a download and then one); defer the interaction when it takes
        too long for Discord's 3 s."""
        task = asyncio.ensure_future(job)
        # Time already spent queueing counts against Discord's 3 s (the id is a timestamp; clamp clock skew).
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        budget = DEFER_AFTER - min(max(age, 0.0), DEFER_AFTER)
        done, _ = await asyncio.wait({task}, timeout=budget) if budget > 0 else (set(), {task})
        if not done and not interaction.response.is_done():
            if update:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await task

    async def respond(
        self,
        interaction: discord.Interaction,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        content: str | None = None,
        ephemeral: bool = False,
        update: bool = False,
    ) -> int | None:
        """Reply through the interaction (callback, or followup after a deferral); returns the message id."""
        view = detached(view)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        if update and interaction.message is not None:
            if not interaction.response.is_done():
                await interaction.response.edit_message(
                    content=content, embed=embed, view=view, allowed_mentions=NO_MENTIONS
                )
            else:
                await interaction.edit_original_response(
                    content=content, embed=embed, view=view, allowed_mentions=NO_MENTIONS
                )
            return interaction.message.id
        if not interaction.response.is_done():
            callback = await interaction.response.send_message(
                content=content, embed=embed, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra
            )
            message_id = callback.message_id if callback is not None else None
            if message_id is None and not ephemeral:
                message_id = (await interaction.original_response()).id
            return message_id
        message = await interaction.followup.send(
            content=content or discord.utils.MISSING,
            embed=embed or discord.utils.MISSING,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
            **extra,
        )
        return message.id

    async def say(self, interaction: discord.Interaction, text: str) -> None:
        await self.respond(interaction, content=clip(text, 2000), ephemeral=True)

    async def show(
        self,
        interaction: discord.Interaction,
        outcome: Outcome,
        *,
        update: bool = False,
        problem: MediaRefused | None = None,
    ) -> None:
        """Render an outcome; answers are remembered so revisions can edit them in place.

        `problem`: the photo or video sent with the question was refused, and the reply says so first.
        """
        if outcome.duplicate:
            return  # a redelivered interaction: the first delivery answered
        reply = compose(outcome, self.settings.disclaimer)
        if problem is not None:
            reply = replace(reply, lead=" ".join(filter(None, (problem.lead(outcome.language), reply.lead))))
        if outcome.kind is OutcomeKind.REFUSED:
            await self.say(interaction, reply.headline)
            return
        embed, view = render_embed(reply, can_pin=can_pin(interaction))
        # Only the asker needs to see these: a queue receipt, an offer to send it, a help reply.
        private = outcome.kind in (OutcomeKind.QUEUED, OutcomeKind.UNMATCHED, OutcomeKind.CHITCHAT)
        message_id = await self.respond(interaction, embed=embed, view=view, ephemeral=private, update=update)
        if message_id and interaction.channel_id:
            # The reply went out: the core marks it, and remembers where an answer is for later edits.
            await asyncio.to_thread(
                self.service.replied, outcome, PLATFORM, str(interaction.channel_id), str(message_id)
            )

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """Say `text` in the member's language; on an error path, so a failure to say it (an expired
        interaction) is swallowed. The core's refusals to askers are in the catalogs; others stay as written.
        """
        with contextlib.suppress(discord.HTTPException):
            await self.say(interaction, self.tr(interaction)(text))
