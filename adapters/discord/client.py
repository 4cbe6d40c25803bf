"""Discord on discord.py: the client's wiring, start-up and shutdown.

`ClaimBot.setup_hook` points the gateway at the configured API, guards the event parsers, adds the
members' commands and the moderators' /review group, syncs them when they changed, and starts the
outbox; `on_interaction` dispatches our persistent buttons. `serve` runs the client on the running
loop (with /healthz and /metrics), `run` is `claimbot serve discord`.

The package shares its name with the library: it is imported as `adapters.discord` and imports the
library absolutely (`import discord`); never run its modules as scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import platformdirs
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.buttons import ButtonKind
from adapters.discord import answers, members, moderators
from adapters.discord.interactions import CoreClient
from adapters.discord.messenger import DiscordMessenger
from adapters.discord.render import BUTTON_DATA, CUSTOM_ID_MAX, NO_MENTIONS
from bot.config import Settings
from bot.delivery import run_outbox
from bot.domain.errors import ServiceError
from bot.i18n import N_
from bot.service import ClaimService

log = logging.getLogger(__name__)

ButtonHandler = Callable[..., Awaitable[None]]  # (interaction, *ids, values=[...]) -> None
BUTTONS: dict[ButtonKind, ButtonHandler] = {**members.BUTTONS, **moderators.BUTTONS, **answers.BUTTONS}


class ClaimBot(CoreClient):
    """The discord.py client with the command tree, the component dispatcher and the outbox."""

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
        super().__init__(service, settings, intents=intents, allowed_mentions=NO_MENTIONS, **options)
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
        for command in members.COMMANDS:
            self.tree.add_command(command)
        self.tree.add_command(moderators.ReviewCommands())
        self.tree.add_command(moderators.console)
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

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Dispatch our persistent buttons and selects ("cb:..."); others are not ours."""
        if interaction.type is not discord.InteractionType.component:
            return
        data = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(BUTTON_DATA.prefix):
            return
        try:
            await self.on_component(interaction, custom_id, [str(v) for v in data.get("values", [])])
        except ServiceError as exc:
            await self.refuse(interaction, str(exc))
        except Exception:
            log.exception("component %r failed", custom_id[:CUSTOM_ID_MAX])
            await self.refuse(interaction, N_("Sorry, something went wrong. Please try again."))

    async def on_component(self, interaction: discord.Interaction, custom_id: str, values: list[str]) -> None:
        press = BUTTON_DATA.parse(custom_id)
        if press is None:
            # Forged or garbled: refused politely and audited like a refused moderator action.
            action = BUTTON_DATA.claimed_action(custom_id)
            detail = f"malformed custom_id {custom_id[:CUSTOM_ID_MAX]!r}"
            await asyncio.to_thread(
                self.service.audit_refusal, self.actor(interaction), action, "component", detail
            )
            await self.refuse(interaction, N_("That button is not valid any more."))
            return
        await BUTTONS[press.kind](interaction, *press.ids, values=values)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """One error handler for commands: service refusals are shown, the rest logged."""
        original = getattr(error, "original", error)
        if isinstance(original, ServiceError):
            text = str(original)
        elif isinstance(error, app_commands.CheckFailure):
            text = N_("You can't use this command here.")
        else:
            log.error(
                "command %r failed", getattr(interaction.command, "qualified_name", "?"), exc_info=original
            )
            text = N_("Sorry, something went wrong. Please try again.")
        await self.refuse(interaction, text)


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
