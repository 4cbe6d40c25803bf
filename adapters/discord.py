"""The Discord adapter: /check, the "Fact-check this" menu, embeds, pins and a /review group for moderators.

Application commands only: no privileged intent (message content comes with context-menu
interactions). Handlers are thin: parse the interaction, call the synchronous core in a worker
thread, render the core's Reply as an embed. Button custom_ids are persistent ("cb:..."), so
buttons keep working after a restart; one `on_interaction` dispatcher validates them.

This module shares its name with the library: it is imported as `adapters.discord` and imports
the library absolutely (`import discord`); never run it as a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import discord
import platformdirs
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.config import Settings
from bot.delivery import PermanentDeliveryError, SentMessage, run_outbox
from bot.domain import Actor, Asker, ChatRef, FactCheckCard, Outcome, OutcomeKind, Question
from bot.exporters import export_file
from bot.ratings import Verdict
from bot.replies import ActionKind, Reply, choice_label, compose
from bot.service import ClaimService, ReviewSummary, ServiceError

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
# Discord wants an answer within 3 s; past this much work we defer and follow up instead.
DEFER_AFTER = 1.5

TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FOOTER_MAX, EMBED_MAX = (
    256,
    4096,
    256,
    1024,
    2048,
    6000,
)
LABEL_MAX, CUSTOM_ID_MAX = 80, 100

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

# Persistent custom_ids: n = not what I asked, s = subscribe, c = choose,
# ml/mr/ma = moderator link/reject/approve (ma: the item and the draft revision the button was shown with;
# buttons posted before approvals named a revision carry none, and pressing one shows the draft again).
ID = r"(\d{1,19})"
COMPONENTS = {
    "not_what_i_asked": re.compile(rf"cb:n:{ID}"),
    "subscribe": re.compile(rf"cb:s:{ID}"),
    "choose": re.compile(rf"cb:c:{ID}(?::{ID})?"),
    "pin": re.compile(r"cb:pin"),
    "mod_link": re.compile(rf"cb:ml:{ID}:{ID}"),
    "mod_reject": re.compile(rf"cb:mr:{ID}"),
    "mod_approve": re.compile(rf"cb:ma:{ID}(?::{ID})?"),
}
REJECT_FROM_BUTTON = "Not a checkable claim (rejected from the review channel)."
# The moderator action a custom_id prefix stands for, to audit forged or garbled presses by name.
COMPONENT_ACTIONS = {"cb:ml": "link", "cb:mr": "reject", "cb:ma": "approve", "cb:pin": "pin"}

T = TypeVar("T")


# ---------------------------------------------------------------------- rendering (pure)


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
    lines = []
    if reply.claim:
        lines.append(f"**Claim:** {escape(reply.claim)}")
    if reply.rating_text:
        lines.append(f"**Rated by the publisher:** {escape(reply.rating_text)}")
    if reply.summary:
        lines.append(escape(reply.summary))
    if reply.checked:
        lines.append(f"*{escape(reply.checked)}*")
    for number, candidate in enumerate(reply.choices, 1):
        lines.append(f"**{number}.** {escape(choice_label(candidate))}")
    if reply.note:
        lines.append(f"*{escape(reply.note)}*")
    embed.description = clip("\n\n".join(lines), DESCRIPTION_MAX) or None
    for number, source in enumerate(reply.sources[:3], 1):
        name = clip(f"[{source.position or number}] {source.outlet or 'Source'}", FIELD_NAME_MAX)
        title = escape(source.title or source.outlet or "Source")
        url = safe_url(source.url)
        value = f"[{clip(title, 200)}]({url})" if url else clip(title, FIELD_VALUE_MAX)
        embed.add_field(name=name, value=value or "—", inline=False)
    if reply.disclaimer:
        embed.set_footer(text=clip(reply.disclaimer, FOOTER_MAX))
    return _fit(embed), _render_view(reply, can_pin=can_pin)


def _render_view(reply: Reply, *, can_pin: bool) -> discord.ui.View | None:
    view = discord.ui.View(timeout=None)
    if reply.choices and reply.request_id is not None:
        options = [
            discord.SelectOption(label=clip(choice_label(c), LABEL_MAX) or str(n), value=str(c.fact_check.id))
            for n, c in enumerate(reply.choices[:25], 1)
        ]
        view.add_item(
            discord.ui.Select(
                custom_id=f"cb:c:{reply.request_id}", placeholder="Pick the claim you mean", options=options
            )
        )
    for action in reply.actions:
        if action.kind is ActionKind.FULL_REPORT and safe_url(action.url):
            view.add_item(discord.ui.Button(label=action.label, url=safe_url(action.url)))
        elif action.kind is ActionKind.NOT_WHAT_I_ASKED and action.request_id is not None:
            view.add_item(
                discord.ui.Button(
                    label=clip(action.label, LABEL_MAX),
                    custom_id=f"cb:n:{action.request_id}",
                    style=discord.ButtonStyle.secondary,
                )
            )
        elif action.kind is ActionKind.NOTIFY and action.request_id is not None:
            view.add_item(
                discord.ui.Button(
                    label="Notify me",
                    custom_id=f"cb:s:{action.request_id}",
                    style=discord.ButtonStyle.primary,
                )
            )
    if can_pin and reply.kind == "answer":
        view.add_item(
            discord.ui.Button(
                label="Pin", custom_id="cb:pin", emoji="📌", style=discord.ButtonStyle.secondary
            )
        )
    return view if view.children else None


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
    view = discord.ui.View(timeout=None)
    for candidate in review.suggestions[:3]:
        view.add_item(
            discord.ui.Button(
                label=f"Link #{candidate.fact_check.id}",
                custom_id=f"cb:ml:{review.id}:{candidate.fact_check.id}",
            )
        )
    if review.draft is not None:
        view.add_item(_approve_button(review.id, review.draft.revision))
    view.add_item(
        discord.ui.Button(label="Reject", custom_id=f"cb:mr:{review.id}", style=discord.ButtonStyle.danger)
    )
    return _fit(embed), view


def outside_community(community: str) -> str:
    """The community a Discord member outside the community's servers acts for: never `community` itself.

    So ClaimService.authorize refuses them and no moderator grant of `community` applies to them.
    """
    return f"{community} (outside its Discord servers)"


def _approve_button(item: int, revision: int) -> discord.ui.Button[discord.ui.View]:
    """Approves the draft revision shown beside it, and no later one."""
    return discord.ui.Button(
        label=f"Approve revision {revision}",
        custom_id=f"cb:ma:{item}:{revision}",
        style=discord.ButtonStyle.success,
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
    view.add_item(_approve_button(item, draft.revision))
    return _fit(embed), view


def _detached(view: discord.ui.View | None) -> discord.ui.View | None:
    """A view used only as a component payload: stopped, so discord.py keeps no per-message state for it."""
    if view is not None:
        view.stop()
    return view


def can_pin(interaction: discord.Interaction) -> bool:
    """The member and the bot may both pin in this channel (PIN_MESSAGES since February 2026)."""
    return (
        interaction.guild_id is not None
        and interaction.permissions.pin_messages
        and (interaction.app_permissions.pin_messages)
    )


# ---------------------------------------------------------------------- application commands


@app_commands.command(name="check")
@app_commands.describe(question="The claim you want checked, e.g. did a NYC cop arrest an ICE agent?")
async def check(
    interaction: discord.Interaction[ClaimBot], question: app_commands.Range[str, 1, 1000]
) -> None:
    """Check a claim against published fact-checks."""
    await interaction.client.answer(interaction, question, message_id=None)


@app_commands.command(name="forget")
async def forget(interaction: discord.Interaction[ClaimBot]) -> None:
    """Delete the questions and subscriptions the bot stored about you."""
    bot = interaction.client
    removed = await bot.work(interaction, bot.service.forget, bot.asker(interaction))
    plural = "s" if removed != 1 else ""
    await bot.say(interaction, f"Done: I deleted {removed} stored record{plural} about you.")


@app_commands.context_menu(name="Fact-check this")
async def fact_check_this(interaction: discord.Interaction[ClaimBot], message: discord.Message) -> None:
    # Context menus carry the target message's content even without the message-content intent.
    await interaction.client.answer(interaction, message.content, message_id=str(message.id))


class ReviewCommands(
    app_commands.Group,
    name="review",
    description="Work the fact-check review queue (moderators)",
    guild_only=True,
    default_permissions=discord.Permissions(manage_messages=True),
):
    """Moderator commands; rights are checked in code (ClaimBot.actor, authorize), refusals audited."""

    @app_commands.command()
    async def queue(self, interaction: discord.Interaction[ClaimBot]) -> None:
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
        interaction: discord.Interaction[ClaimBot],
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
        item="Review item number", revision="The draft revision you checked (leave out to see the draft)"
    )
    async def approve(
        self, interaction: discord.Interaction[ClaimBot], item: int, revision: int | None = None
    ) -> None:
        """Publish the drafted verdict you checked and notify everyone who asked."""
        await interaction.client.approve(interaction, item, revision)

    @app_commands.command()
    @app_commands.describe(item="Review item number", reason="Why it is rejected")
    async def reject(self, interaction: discord.Interaction[ClaimBot], item: int, reason: str) -> None:
        """Reject a review item (not a checkable claim, spam…)."""
        bot = interaction.client
        await bot.work(interaction, bot.service.reject, bot.actor(interaction), item, reason)
        await bot.say(interaction, f"Review item #{item} rejected.")

    @app_commands.command()
    @app_commands.describe(item="Review item number", fact_check="Existing fact-check number")
    async def link(self, interaction: discord.Interaction[ClaimBot], item: int, fact_check: int) -> None:
        """Answer a review item with an existing fact-check."""
        bot = interaction.client
        card = await bot.work(interaction, bot.service.link, bot.actor(interaction), item, fact_check)
        await bot.say(interaction, f"Item #{item} answered with fact-check #{card.id}: {escape(card.claim)}")

    @app_commands.command()
    @app_commands.describe(user="The member whose questions should be dropped")
    async def block(self, interaction: discord.Interaction[ClaimBot], user: discord.User) -> None:
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
    async def export(self, interaction: discord.Interaction[ClaimBot], format: str = "claimreview") -> None:
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
        self,
        interaction: discord.Interaction[ClaimBot],
        fact_check: int,
        rating: str | None = None,
        summary: str | None = None,
    ) -> None:
        """Revise a published fact-check; every posted answer is edited in place."""
        bot = interaction.client
        changes = {k: v for k, v in (("rating", rating), ("summary", summary)) if v}
        card = await bot.work(interaction, bot.service.revise, bot.actor(interaction), fact_check, **changes)
        await bot.say(
            interaction,
            f"Fact-check #{card.id} is now at revision {card.revision}; posted answers will be updated.",
        )


# ---------------------------------------------------------------------- the client


class ClaimBot(discord.Client):
    """discord.py client wired to the core service (composed, not inherited)."""

    def __init__(
        self,
        service: ClaimService,
        settings: Settings,
        *,
        outbox_interval: float = 1.0,
        state_dir: Path | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and role cache; no privileged intent is needed
        options.setdefault("max_ratelimit_timeout", 30.0)  # a longer 429 fails the delivery, retried later
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS, **options)
        self.service = service
        self.settings = settings
        self.outbox_interval = outbox_interval
        self.state_dir = state_dir or default_state_dir(settings)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self.messenger = DiscordMessenger(self)
        self._stop = asyncio.Event()
        self._outbox: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        """Wiring: gateway address, malformed-event guard, commands, outbox."""
        if self.settings.discord_api_base_url:
            # discord.py connects to DEFAULT_GATEWAY; take the address from this server's /gateway/bot.
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        _guard_parsers(self._connection)
        self.tree.add_command(check)
        self.tree.add_command(fact_check_this)
        self.tree.add_command(forget)
        self.tree.add_command(ReviewCommands())
        await self.sync_commands()
        self._outbox = asyncio.create_task(
            run_outbox(self.service, self.messenger, self._stop, self.outbox_interval), name="discord-outbox"
        )

    async def sync_commands(self) -> bool:
        """Sync the command tree when its payload changed since the last sync (hash kept in the data dir)."""
        assert self.application_id is not None
        guilds = sorted(self.settings.discord_guilds)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        digest = hashlib.sha256(
            json.dumps(
                {"app": self.application_id, "guilds": guilds, "commands": payload},
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        marker = self.state_dir / f"discord-commands-{self.application_id}.sha256"
        with contextlib.suppress(OSError):
            if marker.read_text().strip() == digest:
                log.info("application commands unchanged; not syncing")
                return False
        if guilds:
            for guild_id in guilds:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            marker.write_text(digest)
        except OSError:
            log.warning("could not store the command hash in %s; commands will sync again next start", marker)
        log.info(
            "synced application commands (%s)",
            "guilds " + ", ".join(map(str, guilds)) if guilds else "global",
        )
        return True

    async def on_ready(self) -> None:
        if not self.community_guild_ids():
            log.warning(
                "nobody can moderate from Discord: set DISCORD_MODERATOR_GUILDS, or DISCORD_REVIEW_CHANNEL "
                "to a channel in a server the bot is in"
            )

    async def close(self) -> None:
        self._stop.set()
        if self._outbox is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._outbox, timeout=5)
        await super().close()

    # ------------------------------------------------------------------ helpers for handlers

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
        task = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
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
        view = _detached(view)
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

    async def show(self, interaction: discord.Interaction, outcome: Outcome, *, update: bool = False) -> None:
        """Render an outcome; answers are remembered so revisions can edit them in place."""
        if outcome.duplicate:
            return  # a redelivered interaction: the first delivery answered
        reply = compose(outcome, self.settings.disclaimer)
        if outcome.kind is OutcomeKind.REFUSED:
            await self.say(interaction, reply.headline or "I can't check that.")
            return
        embed, view = render_embed(reply, can_pin=can_pin(interaction))
        queued = outcome.kind is OutcomeKind.QUEUED
        message_id = await self.respond(interaction, embed=embed, view=view, ephemeral=queued, update=update)
        if message_id and interaction.channel_id:
            # The reply went out: the core marks it, and remembers where an answer is for later edits.
            await asyncio.to_thread(
                self.service.replied, outcome, PLATFORM, str(interaction.channel_id), str(message_id)
            )

    async def answer(self, interaction: discord.Interaction, text: str, *, message_id: str | None) -> None:
        """Ask the core about a text (a /check question or another member's message) and show the outcome."""
        question = Question(
            text=text or "",
            asker=self.asker(interaction),
            chat=ChatRef(PLATFORM, str(interaction.channel_id), is_private=interaction.guild_id is None),
            message_id=message_id,
            event_key=str(interaction.id),
        )
        outcome = await self.work(interaction, self.service.ask, question, ephemeral=False)
        await self.show(interaction, outcome)

    # ------------------------------------------------------------------ components

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Dispatch our persistent buttons and selects ("cb:..."); others are not ours."""
        if interaction.type is not discord.InteractionType.component:
            return
        data = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith("cb:"):
            return
        try:
            await self.on_component(interaction, custom_id, [str(v) for v in data.get("values", [])])
        except ServiceError as exc:
            await self._refuse(interaction, str(exc))
        except Exception:
            log.exception("component %r failed", custom_id[:CUSTOM_ID_MAX])
            await self._refuse(interaction, "Sorry, something went wrong. Please try again.")

    async def on_component(self, interaction: discord.Interaction, custom_id: str, values: list[str]) -> None:
        name, match = next(
            ((n, m) for n, p in COMPONENTS.items() if (m := p.fullmatch(custom_id))), (None, None)
        )
        if match is None or len(custom_id) > CUSTOM_ID_MAX:
            # Forged or garbled: refused politely and audited like a refused moderator action.
            action = next((a for p, a in COMPONENT_ACTIONS.items() if custom_id.startswith(p)), "button")
            detail = f"malformed custom_id {custom_id[:CUSTOM_ID_MAX]!r}"
            await asyncio.to_thread(
                self.service.audit_refusal, self.actor(interaction), action, "component", detail
            )
            await self._refuse(interaction, "That button is not valid any more.")
            return
        handler = getattr(self, f"on_{name}")
        await handler(interaction, *[int(g) for g in match.groups() if g is not None], values=values)

    async def on_not_what_i_asked(
        self, interaction: discord.Interaction, request_id: int, *, values: list[str]
    ) -> None:
        """Queue the question for reviewers; the asker gets an ephemeral confirmation."""
        outcome = await self.work(
            interaction, self.service.not_what_i_asked, request_id, self.asker(interaction)
        )
        await self.show(interaction, outcome)

    async def on_subscribe(
        self, interaction: discord.Interaction, request_id: int, *, values: list[str]
    ) -> None:
        """Notify the asker by DM (or here when DMs are closed) when the verdict arrives or changes."""
        user_id = interaction.user.id
        reply_to = (
            f"user:{user_id}" if interaction.guild_id is None else f"user:{user_id}:{interaction.channel_id}"
        )
        added = await self.work(
            interaction, self.service.subscribe, self.asker(interaction), reply_to, request_id
        )
        await self.say(
            interaction,
            "I'll message you when reviewers publish a verdict or this fact-check changes."
            if added
            else "You're already subscribed to updates on this.",
        )

    async def on_choose(
        self,
        interaction: discord.Interaction,
        request_id: int,
        fact_check_id: int | None = None,
        *,
        values: list[str],
    ) -> None:
        """The asker picked a suggestion: the suggestions message becomes the answer."""
        if fact_check_id is None:
            if len(values) != 1 or not values[0].isdigit():
                await self._refuse(interaction, "Please pick one of the suggested claims.")
                return
            fact_check_id = int(values[0])
        outcome = await self.work(
            interaction, self.service.choose, request_id, fact_check_id, self.asker(interaction), update=True
        )
        await self.show(interaction, outcome, update=True)

    async def on_pin(self, interaction: discord.Interaction, *, values: list[str]) -> None:
        """Pin an answer: the member needs the pin permission, and so does the bot."""
        message = interaction.message
        if interaction.guild_id is None or message is None:
            await self._refuse(interaction, "Answers can be pinned in server channels only.")
            return
        chat_id, message_id = str(message.channel.id), str(message.id)
        actor = self.actor(interaction)
        if interaction.permissions.pin_messages:
            # Their own pin permission in this channel is enough, in any server; without it only moderator
            # rights are, and those exist in the community's servers only.
            actor = replace(actor, community=self.settings.community, platform_admin=True)
        # authorize() lets members who may pin through and audits everyone else.
        await self.work(interaction, self.service.authorize, actor, "pin", f"message:{chat_id}:{message_id}")
        if not interaction.app_permissions.pin_messages:
            await self._refuse(interaction, "I need the Pin Messages permission in this channel to do that.")
            return
        if await asyncio.to_thread(self.service.sent_reply, PLATFORM, chat_id, message_id) is None:
            await self._refuse(interaction, "Only ClaimBot's answers can be pinned.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await message.pin(reason=f"ClaimBot answer pinned by {interaction.user.id}")
        except discord.Forbidden:
            await self.say(interaction, "Discord did not let me pin here (missing permission).")
            return
        await asyncio.to_thread(self.service.mark_pinned, actor, chat_id, message_id)
        await self.say(interaction, "Pinned. I'll keep this answer up to date if the fact-check is revised.")

    async def on_mod_link(
        self, interaction: discord.Interaction, item: int, fact_check: int, *, values: list[str]
    ) -> None:
        """A moderator links a review item to a suggested fact-check."""
        card = await self.work(interaction, self.service.link, self.actor(interaction), item, fact_check)
        await self.say(interaction, f"Item #{item} answered with fact-check #{card.id}.")

    async def on_mod_reject(self, interaction: discord.Interaction, item: int, *, values: list[str]) -> None:
        """A moderator rejects a review item from the review channel."""
        await self.work(interaction, self.service.reject, self.actor(interaction), item, REJECT_FROM_BUTTON)
        await self.say(interaction, f"Review item #{item} rejected.")

    async def on_mod_approve(
        self, interaction: discord.Interaction, item: int, revision: int | None = None, *, values: list[str]
    ) -> None:
        """A moderator approves the draft revision a button was shown with."""
        await self.approve(interaction, item, revision)

    async def approve(self, interaction: discord.Interaction, item: int, revision: int | None) -> None:
        """Publish a draft at the revision the moderator saw; a changed draft, or none named, is shown."""
        result = await self.work(interaction, self.service.approve, self.actor(interaction), item, revision)
        if result.review_again:
            embed, view = render_draft(item, result.fact_check)
            text = clip(f"Not published yet: {result.waiting_for}.", 2000)
            await self.respond(interaction, content=text, embed=embed, view=view, ephemeral=True)
        elif result.published:
            await self.say(
                interaction,
                f"Published fact-check #{result.fact_check.id}; "
                f"{result.notified} subscriber(s) will be notified.",
            )
        else:
            await self.say(interaction, f"Not published yet: {result.waiting_for}.")

    async def _refuse(self, interaction: discord.Interaction, text: str) -> None:
        with contextlib.suppress(discord.HTTPException):
            await self.say(interaction, text)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """One error handler for commands: service refusals are shown, the rest logged."""
        original = getattr(error, "original", error)
        if isinstance(original, ServiceError):
            text = str(original)
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use this command here."
        else:
            log.error(
                "command %r failed", getattr(interaction.command, "qualified_name", "?"), exc_info=original
            )
            text = "Sorry, something went wrong. Please try again."
        await self._refuse(interaction, text)


# ---------------------------------------------------------------------- outbound port


class DiscordMessenger:
    """bot.delivery.Messenger for Discord: DMs with a channel fallback, edits in place, review posts.

    Targets: a channel id, or "user:<user id>[:<channel id>]" for a DM that falls back to the
    channel where the question was asked when the member's DMs are closed.
    """

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._where: OrderedDict[str, int] = (
            OrderedDict()
        )  # message id -> channel id, for edits of DM targets

    def _remember(self, message: discord.Message) -> SentMessage:
        self._where[str(message.id)] = message.channel.id
        while len(self._where) > 10_000:
            self._where.popitem(last=False)
        return SentMessage(str(message.channel.id), str(message.id))

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        embed, view = render_embed(reply)
        kwargs: dict[str, Any] = {"embed": embed, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = _detached(view)
        user_id, fallback = _parse_target(target)
        try:
            if user_id is None:
                return self._remember(await self._channel(fallback).send(**kwargs))
            try:
                dm = await self.client.create_dm(discord.Object(id=user_id))
                return self._remember(await dm.send(**kwargs))
            except discord.Forbidden:
                if fallback is None:
                    raise
                # DMs closed: once, in the channel the question came from; never a retry loop on 403.
                return self._remember(await self._channel(fallback).send(content=f"<@{user_id}>", **kwargs))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PermanentDeliveryError(f"cannot deliver to {target}: {exc.status} {exc.text}") from exc

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        embed, view = render_embed(reply)
        channels = self._channels_for(chat_id, message_id)
        last: discord.HTTPException | None = None
        for channel in await channels:
            try:
                await channel.get_partial_message(int(message_id)).edit(
                    embed=embed, view=_detached(view), allowed_mentions=NO_MENTIONS
                )
                return
            except (discord.Forbidden, discord.NotFound) as exc:
                last = exc
        raise PermanentDeliveryError(f"cannot edit {chat_id}/{message_id}: {last}")

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        embed, view = render_review(review)
        try:
            await self._channel(int(target)).send(
                embed=embed, view=_detached(view), allowed_mentions=NO_MENTIONS
            )
        except (discord.Forbidden, discord.NotFound, ValueError) as exc:
            raise PermanentDeliveryError(f"cannot post to review channel {target}: {exc}") from exc

    def _channel(self, channel_id: int | None) -> discord.PartialMessageable:
        if channel_id is None:
            raise PermanentDeliveryError("no channel to deliver to")
        return self.client.get_partial_messageable(channel_id)

    async def _channels_for(self, chat_id: str, message_id: str) -> list[discord.abc.Messageable]:
        known = self._where.get(message_id)
        if known is not None:
            return [self._channel(known)]
        try:
            user_id, fallback = _parse_target(chat_id)
        except ValueError as exc:
            raise PermanentDeliveryError(f"bad chat id {chat_id!r}") from exc
        if user_id is None:
            return [self._channel(fallback)]
        channels: list[discord.abc.Messageable] = []
        with contextlib.suppress(discord.Forbidden, discord.NotFound):
            channels.append(await self.client.create_dm(discord.Object(id=user_id)))
        if fallback is not None:
            channels.append(self._channel(fallback))
        return channels


def _parse_target(target: str) -> tuple[int | None, int | None]:
    """("user:U:C" | "user:U" | "C") -> (user id or None, channel id or None)."""
    parts = target.split(":")
    if parts[0] == "user" and len(parts) in (2, 3) and all(p.isdigit() for p in parts[1:]):
        return int(parts[1]), int(parts[2]) if len(parts) == 3 else None
    if len(parts) == 1 and parts[0].isdigit():
        return None, int(parts[0])
    raise ValueError(f"not a Discord target: {target!r}")


def _guard_parsers(state: Any) -> None:
    """Skip a malformed gateway event instead of letting its parser kill the connection loop."""

    def guarded(event: str, parser: Callable[[Any], None]) -> Callable[[Any], None]:
        def parse(data: Any) -> None:
            try:
                parser(data)
            except Exception:
                log.warning("skipped a malformed %s event", event, exc_info=True)

        return parse

    parsers = state.parsers
    for event, parser in list(parsers.items()):
        if not getattr(parser, "__claimbot_guarded__", False):
            wrapped = guarded(event, parser)
            wrapped.__claimbot_guarded__ = True  # type: ignore[attr-defined]
            parsers[event] = wrapped


def default_state_dir(settings: Settings) -> Path:
    """Where small adapter state lives: beside a SQLite database, else the user data dir."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url.removeprefix("sqlite:///")).expanduser().resolve().parent
    return Path(platformdirs.user_data_dir("claimbot", appauthor=False))


# ---------------------------------------------------------------------- entry points


async def serve(
    service: ClaimService,
    settings: Settings,
    *,
    outbox_interval: float | None = None,
    state_dir: Path | None = None,
) -> None:
    """Run the bot until cancelled; shares the running loop (client.start, not client.run)."""
    from adapters.http_server import metrics_server  # /healthz and /metrics on CLAIMBOT_METRICS_PORT

    if outbox_interval is None:
        outbox_interval = settings.outbox_interval_seconds
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    from bot.redact import register_secret  # issue 8: never in a log record, whatever the level

    register_secret(settings.discord_token.get_secret_value())
    # Request logs could carry the bot token or interaction tokens (webhook URLs).
    for name in ("discord.http", "discord.webhook"):
        logging.getLogger(name).setLevel(logging.WARNING)
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if settings.discord_api_base_url:
        # discord.py has no public API-address setting; Route.BASE must be set before login.
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    bot = ClaimBot(service, settings, outbox_interval=outbox_interval, state_dir=state_dir)
    try:
        async with metrics_server(service), bot:
            await bot.start(settings.discord_token.get_secret_value())
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def run(service: ClaimService, settings: Settings) -> None:
    """`claimbot serve discord`."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(service, settings))


__all__ = ["ClaimBot", "DiscordMessenger", "render_embed", "render_review", "run", "serve"]
