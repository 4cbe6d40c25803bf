"""A fake Discord on 127.0.0.1: the REST routes ClaimBot uses plus a JSON gateway websocket.

The real discord.py client talks to it unchanged once `discord.http.Route.BASE` points at
`fake.base_url` (the adapter does that from DISCORD_API_BASE_URL) and the gateway URL is taken
from `GET /gateway/bot`. Every REST call is recorded (`fake.calls`, `await fake.wait_for(...)`),
failures can be programmed (`fake.fail(...)`: 429 with Discord's headers, 403, 500), and tests
drive the bot by dispatching INTERACTION_CREATE events built by `slash`, `context_menu`,
`button` and `select`. Unknown routes answer 404 with a JSON body, like Discord. The bot is in two
servers: the test server (`guild_id`, with the general and review channels) and a foreign one
(`foreign_guild_id`) someone else invited it to; interactions in `foreign_channel_id` come from there.

Attachments (issue 16): `attachment(data, filename, content_type)` keeps bytes behind a signed-looking
CDN URL on this server (`GET /attachments/...`, each download recorded in `downloads`); give it to
`message(..., attachments=[...])` for the "Fact-check this" menu, or as a /check option value
(`slash("check", {"attachment": att})`: an option of type 11 with the attachment in `resolved`).

Reusable for load tests: `await fake.interact(payload)` returns at once, and
`fake.latencies()` gives interaction-to-first-callback times.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import patient

DISCORD_EPOCH_MS = 1420070400000
JSON = "application/json"

# Permission bits (https://discord.com/developers/docs/topics/permissions)
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ADMINISTRATOR = 1 << 3
PIN_MESSAGES = 1 << 51
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
BOT_PERMISSIONS = MEMBER | PIN_MESSAGES


@dataclass
class Call:
    """One REST request the fake received, and what it answered."""

    method: str
    path: str  # after /api/v10, e.g. /channels/1/messages
    query: dict[str, str]
    json: Any
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


@dataclass
class _Failure:
    method: str
    pattern: str
    status: int
    times: int
    retry_after: float
    body: dict[str, Any] | None


class FakeDiscord:
    """A loopback Discord: start with `await FakeDiscord().start()`, stop with `await fake.close()`."""

    def __init__(self, *, compress: bool = True) -> None:
        self._ids = itertools.count(1)
        self.bot_id = self.snowflake()
        self.application_id = self.bot_id
        self.owner_id = self.snowflake()
        self.guild_id = self.snowflake()
        self.general_id = self.snowflake()
        self.review_channel_id = self.snowflake()
        self.moderator_role_id = self.snowflake()
        self.moderator_id = self.snowflake()  # a member to give roles=[moderator_role_id]
        self.bot_role_id = self.snowflake()
        # A second server someone else invited the bot to; its owner made a role with the moderator
        # role's name. Interactions in `foreign_channel_id` come from that server.
        self.foreign_guild_id = self.snowflake()
        self.foreign_owner_id = self.snowflake()
        self.foreign_channel_id = self.snowflake()
        self.foreign_moderator_role_id = self.snowflake()
        self.foreign_bot_role_id = self.snowflake()
        self.compress = compress  # honour ?compress=zlib-stream as Discord does
        self.bot_user = self.user(self.bot_id, "ClaimBot", bot=True)
        self.calls: list[Call] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> commands
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> message payload
        self.pins: set[tuple[str, str]] = set()
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.closed_dms: set[str] = set()  # user ids whose DMs answer 403
        self.identified = asyncio.Event()
        self.ready = asyncio.Event()
        self.sent_at: dict[str, float] = {}  # interaction id -> when dispatched
        self.answered_at: dict[str, float] = {}  # interaction id -> first callback
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> interaction payload
        self._failures: list[_Failure] = []
        self._sockets: list[_Gateway] = []
        self.cdn: dict[str, bytes] = {}  # attachment path -> bytes
        self.downloads: list[str] = []  # attachment paths fetched, in order
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        app.router.add_get("/attachments/{path:.*}", self._serve_attachment)
        app.router.add_route("*", "/{path:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ ids and objects

    def snowflake(self) -> str:
        now = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((now << 22) | (next(self._ids) & 0x3FFFFF))

    @staticmethod
    def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def member(
        self, user: dict[str, Any], roles: Iterable[str] = (), permissions: int = MEMBER
    ) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [str(r) for r in roles],
            "permissions": str(permissions),
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
        }

    def guild_of(self, channel_id: str) -> str:
        """The server a channel belongs to: the foreign channel's, else the test server."""
        return self.foreign_guild_id if str(channel_id) == self.foreign_channel_id else self.guild_id

    def channel(self, channel_id: str, name: str = "general") -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": self.guild_of(channel_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def _bot_role(self, guild_id: str) -> str:
        return self.foreign_bot_role_id if guild_id == self.foreign_guild_id else self.bot_role_id

    def guild(self, guild_id: str | None = None) -> dict[str, Any]:
        """GUILD_CREATE data of the test server, or of the foreign server given its id."""
        guild_id = guild_id or self.guild_id
        foreign = guild_id == self.foreign_guild_id
        moderator_role = self.foreign_moderator_role_id if foreign else self.moderator_role_id
        channels = (
            [self.channel(self.foreign_channel_id)]
            if foreign
            else [self.channel(self.general_id), self.channel(self.review_channel_id, "review")]
        )

        def role(role_id: str, name: str, permissions: int, position: int) -> dict[str, Any]:
            return {
                "id": role_id,
                "name": name,
                "permissions": str(permissions),
                "position": position,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }

        return {
            "id": guild_id,
            "name": "Someone else's server" if foreign else "Fact-check test server",
            "icon": None,
            "owner_id": self.foreign_owner_id if foreign else self.owner_id,
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                role(guild_id, "@everyone", MEMBER, 0),
                role(moderator_role, "Fact-check moderator", 0, 1),
                role(self._bot_role(guild_id), "ClaimBot", BOT_PERMISSIONS, 2),
            ],
            "channels": channels,
            "threads": [],
            "members": [self.member(self.bot_user, [self._bot_role(guild_id)], BOT_PERMISSIONS)],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "joined_at": "2025-01-01T00:00:00+00:00",
        }

    def message(
        self,
        channel_id: str,
        *,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        author: dict[str, Any] | None = None,
        flags: int = 0,
        message_id: str | None = None,
        store: bool = True,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A message payload as Discord returns it; stored so later PATCH, GET and pins find it."""
        payload = {
            "id": message_id or self.snowflake(),
            "channel_id": str(channel_id),
            "type": 0,
            "content": content or "",
            "author": author or self.bot_user,
            "attachments": attachments or [],
            "embeds": embeds or [],
            "components": components or [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "flags": flags,
        }
        if store:
            self.messages[payload["id"]] = payload
        return payload

    # ------------------------------------------------------------------ attachments (issue 16)

    def attachment(
        self,
        data: bytes,
        filename: str,
        content_type: str | None,
        *,
        size: int | None = None,
        channel_id: str | None = None,
    ) -> dict[str, Any]:
        """An attachment payload whose URL this server serves; `size` may declare another size."""
        attachment_id = self.snowflake()
        path = f"{channel_id or self.general_id}/{attachment_id}/{filename}"
        self.cdn[path] = data
        signed = "?ex=6a1b2c3d&is=6a19dabd&hm=" + "0f" * 32 + "&"
        payload: dict[str, Any] = {
            "id": attachment_id,
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": f"http://127.0.0.1:{self.port}/attachments/{path}{signed}",
            "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{path}{signed}",
        }
        if content_type:
            payload["content_type"] = content_type
        if content_type and content_type.startswith(("image/", "video/")):
            payload.update(width=640, height=480)
        return payload

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.downloads.append(path)
        async with self._changed:
            self._changed.notify_all()
        data = self.cdn.get(path)
        if data is None:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ interactions

    def _command(self, name: str, kind: int) -> dict[str, Any]:
        for guild, commands in (
            *((g, c) for g, c in self.commands.items() if g is not None),
            (None, self.commands.get(None, [])),
        ):
            for command in commands:
                if command["name"] == name and command.get("type", 1) == kind:
                    data = {"id": command["id"], "name": name, "type": kind}
                    if guild is not None:
                        data["guild_id"] = guild
                    return data
        return {"id": self.snowflake(), "name": name, "type": kind}

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: str | None = None,
        name: str = "member",
        channel_id: str | None = None,
        roles: Iterable[str] = (),
        permissions: int = MEMBER,
        app_permissions: int = BOT_PERMISSIONS,
        dm: bool = False,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        user = self.user(user_id or self.snowflake(), name)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "data": data,
            "app_permissions": str(app_permissions),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10485760,
        }
        if dm:
            channel = channel_id or self.dm_channels.setdefault(user["id"], self.snowflake())
            payload.update(
                user=user,
                channel_id=channel,
                context=1,
                authorizing_integration_owners={"1": user["id"]},
                channel={"id": channel, "type": 1, "recipients": [user], "flags": 0},
            )
        else:
            channel = channel_id or self.general_id
            guild_id = self.guild_of(channel)
            payload.update(
                guild_id=guild_id,
                channel_id=channel,
                guild_locale="en-US",
                context=0,
                channel=self.channel(channel, "review" if channel == self.review_channel_id else "general"),
                member=self.member(user, roles, permissions),
                authorizing_integration_owners={"0": guild_id},
            )
        if message is not None:
            payload["message"] = message
        return payload

    def slash(
        self, name: str, options: dict[str, Any] | None = None, *, subcommand: str | None = None, **who: Any
    ) -> dict[str, Any]:
        """A chat-input command, e.g. slash("check", {"question": "..."}) or slash("review", sub...)."""
        data = self._command(name, 1)
        opts = []
        for key, value in (options or {}).items():
            if isinstance(value, dict) and "filename" in value:  # an attachment option, resolved
                data.setdefault("resolved", {}).setdefault("attachments", {})[value["id"]] = value
                opts.append({"name": key, "type": 11, "value": value["id"]})
            else:
                opts.append({"name": key, "type": _option_type(value), "value": value})
        data["options"] = [{"name": subcommand, "type": 1, "options": opts}] if subcommand else opts
        return self._interaction(2, data, **who)

    def context_menu(self, name: str, target: dict[str, Any], **who: Any) -> dict[str, Any]:
        """A message context-menu command on `target` (a message payload from `message()`)."""
        data = self._command(name, 3)
        data.update(target_id=target["id"], resolved={"messages": {target["id"]: target}})
        return self._interaction(2, data, **who)

    def button(self, custom_id: str, message: dict[str, Any] | None = None, **who: Any) -> dict[str, Any]:
        message = message or self.message(who.get("channel_id") or self.general_id, store=False)
        return self._interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message, **who)

    def select(
        self, custom_id: str, values: list[str], message: dict[str, Any] | None = None, **who: Any
    ) -> dict[str, Any]:
        message = message or self.message(who.get("channel_id") or self.general_id, store=False)
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return self._interaction(3, data, message=message, **who)

    async def interact(self, payload: dict[str, Any]) -> str:
        """Dispatch an INTERACTION_CREATE; returns the interaction id."""
        self.interactions[payload["token"]] = payload
        self.sent_at[payload["id"]] = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a DISPATCH (op 0) to every connected gateway session."""
        if not self._sockets:
            raise RuntimeError("no gateway session is connected")
        for socket in list(self._sockets):
            await socket.send({"op": 0, "t": event, "d": data})

    async def send_raw(self, frame: Any) -> None:
        """Send any gateway frame (for malformed-event tests)."""
        for socket in list(self._sockets):
            await socket.send(frame)

    def latencies(self) -> list[float]:
        """Seconds from dispatch to the first callback, for every answered interaction."""
        return [self.answered_at[i] - self.sent_at[i] for i in self.answered_at if i in self.sent_at]

    # ------------------------------------------------------------------ assertions

    def fail(
        self,
        method: str,
        pattern: str,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` requests matching method and path regex with an error."""
        self._failures.append(_Failure(method, pattern, status, times, retry_after, body))

    def find(self, method: str, pattern: str, *, status: int | None = None) -> list[Call]:
        return [
            c for c in self.calls if c.matches(method, pattern) and (status is None or c.status == status)
        ]

    def callbacks(self, interaction_id: str) -> list[Call]:
        return self.find("POST", rf"/interactions/{interaction_id}/[^/]+/callback")

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 5.0, *, after: int = 0
    ) -> Call:
        """The first recorded call (from index `after`) matching `predicate`, waiting up to `timeout`."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: any(predicate(c) for c in self.calls[after:])),
                    patient(timeout),
                )
            except TimeoutError:
                raise AssertionError(
                    "no matching call; got:\n"
                    + "\n".join(f"{c.method} {c.path} {c.status}" for c in self.calls)
                ) from None
        return next(c for c in self.calls[after:] if predicate(c))

    async def wait_call(self, method: str, pattern: str, timeout: float = 5.0, *, after: int = 0) -> Call:
        return await self.wait_for(
            lambda c: c.matches(method, pattern) and 200 <= c.status < 300, timeout, after=after
        )

    async def wait_response(self, interaction_id: str, timeout: float = 5.0) -> Call:
        """The successful callback of an interaction (the first message or deferral)."""
        return await self.wait_call("POST", rf"/interactions/{interaction_id}/[^/]+/callback", timeout)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ REST

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        # --- issue 8: multipart requests (file attachments): payload_json is the body, files kept aside ---
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(str(form.get("payload_json") or "null")) or {}
            if isinstance(body, dict):
                body["_files"] = {
                    str(v.filename): v.file.read() for v in form.values() if hasattr(v, "filename")
                }
        # --- end issue 8 ---
        elif request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        call = Call(request.method, path, dict(request.query), body)
        failure = self._take_failure(request.method, path)
        if failure is not None:
            response = _failure_response(failure)
            call.status, call.response = response.status, failure.body
        elif not _is_webhook(path) and not request.headers.get("Authorization", "").startswith("Bot "):
            response = _json({"message": "401: Unauthorized", "code": 0}, 401)
            call.status = 401
        else:
            response = self._route(call)
        await self._record(call)
        return response

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and re.fullmatch(failure.pattern, path) and failure.times > 0:
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _route(self, call: Call) -> web.Response:
        for method, pattern, handler in self._routes():
            if call.method == method and (match := re.fullmatch(pattern, call.path)):
                status, payload = handler(call, *match.groups())
                call.status, call.response = status, payload
                return _json(payload, status)
        call.status = 404
        return _json({"message": f"404: Not Found ({call.method} {call.path})", "code": 0}, 404)

    def _routes(self) -> list[tuple[str, str, Callable[..., tuple[int, Any]]]]:
        s = r"(\d+)"
        t = r"([^/]+)"
        return [
            ("GET", "/users/@me", lambda c: (200, self.bot_user)),
            ("GET", "/oauth2/applications/@me", lambda c: (200, self._application())),
            ("GET", "/gateway/bot", lambda c: (200, self._gateway_bot())),
            ("GET", "/gateway", lambda c: (200, {"url": self.gateway_url})),
            ("PUT", f"/applications/{s}/commands", lambda c, app: self._put_commands(c, None)),
            ("GET", f"/applications/{s}/commands", lambda c, app: (200, self.commands.get(None, []))),
            ("PUT", f"/applications/{s}/guilds/{s}/commands", lambda c, app, g: self._put_commands(c, g)),
            (
                "GET",
                f"/applications/{s}/guilds/{s}/commands",
                lambda c, app, g: (200, self.commands.get(g, [])),
            ),
            ("POST", f"/interactions/{s}/{t}/callback", self._callback),
            ("GET", f"/webhooks/{s}/{t}/messages/@original", self._get_original),
            ("PATCH", f"/webhooks/{s}/{t}/messages/@original", self._patch_original),
            ("DELETE", f"/webhooks/{s}/{t}/messages/@original", lambda c, app, tok: (204, None)),
            ("POST", f"/webhooks/{s}/{t}", self._followup),
            ("PATCH", f"/webhooks/{s}/{t}/messages/{s}", lambda c, app, tok, m: self._patch(c, m)),
            ("POST", f"/channels/{s}/messages", self._create_message),
            ("GET", f"/channels/{s}/messages/{s}", lambda c, ch, m: self._get_message(m)),
            ("PATCH", f"/channels/{s}/messages/{s}", lambda c, ch, m: self._patch(c, m)),
            ("PUT", f"/channels/{s}/messages/pins/{s}", self._pin),
            ("PUT", f"/channels/{s}/pins/{s}", self._pin),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", f"/guilds/{s}/members/{s}", self._get_member),
        ]

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "ClaimBot",
            "description": "Fact-check bot",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.user(self.owner_id, "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
        }

    def _gateway_bot(self) -> dict[str, Any]:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    def _put_commands(self, call: Call, guild: str | None) -> tuple[int, Any]:
        if not isinstance(call.json, list):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        stored = []
        for command in call.json:
            stored.append(
                {
                    "id": self.snowflake(),
                    "application_id": self.application_id,
                    "version": self.snowflake(),
                    "guild_id": guild,
                    "type": 1,
                    "description": "",
                    "options": [],
                    "default_member_permissions": None,
                    **command,
                }
            )
        self.commands[guild] = stored
        return 200, stored

    def _callback(self, call: Call, interaction_id: str, token: str) -> tuple[int, Any]:
        interaction = self.interactions.get(token)
        if interaction is None or interaction["id"] != interaction_id:
            return 404, {"message": "Unknown interaction", "code": 10062}
        if "callback" in interaction:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        body = call.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        self.answered_at.setdefault(interaction_id, time.monotonic())
        message = None
        if kind in (4, 5):
            message = self.message(
                interaction["channel_id"],
                content=data.get("content", ""),
                embeds=data.get("embeds"),
                components=data.get("components"),
                flags=data.get("flags", 0) | (128 if kind == 5 else 0),
            )
            user = interaction["member"]["user"] if "member" in interaction else interaction["user"]
            message["interaction_metadata"] = {
                "id": interaction_id,
                "type": interaction["type"],
                "user": user,
                "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
            }
        elif kind in (6, 7) and "message" in interaction:
            message = self.messages.get(interaction["message"]["id"], interaction["message"])
            if kind == 7:
                message.update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
        elif kind not in (1, 8, 9):
            return 400, {"message": f"Invalid interaction response type {kind}", "code": 50035}
        interaction["callback"] = kind
        if message is not None:
            interaction["original"] = message["id"]
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": interaction["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            }
        }
        if message is not None:
            result["resource"] = {"type": kind, "message": message}
        if call.query.get("with_response") in ("1", "true", "True"):
            return 200, result
        return 204, None

    def _original(self, token: str) -> dict[str, Any] | None:
        interaction = self.interactions.get(token)
        if interaction is None or "original" not in interaction:
            return None
        return self.messages.get(interaction["original"])

    def _get_original(self, call: Call, app: str, token: str) -> tuple[int, Any]:
        message = self._original(token)
        return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})

    def _patch_original(self, call: Call, app: str, token: str) -> tuple[int, Any]:
        message = self._original(token)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        return self._patch(call, message["id"])

    def _followup(self, call: Call, app: str, token: str) -> tuple[int, Any]:
        interaction = self.interactions.get(token)
        if interaction is None or "callback" not in interaction:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        data = call.json or {}
        if interaction.get("callback") == 5 and not interaction.get("followed"):
            # The first followup after a thinking deferral replaces the "thinking" message.
            interaction["followed"] = True
            return self._patch(call, interaction["original"])
        message = self.message(
            interaction["channel_id"],
            content=data.get("content", ""),
            embeds=data.get("embeds"),
            components=data.get("components"),
            flags=data.get("flags", 0),
        )
        return 200, message

    def _create_message(self, call: Call, channel_id: str) -> tuple[int, Any]:
        data = call.json or {}
        recipient = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if recipient is not None and recipient in self.closed_dms:
            return 403, {"message": "Cannot send messages to this user", "code": 50007}
        return 200, self.message(
            channel_id,
            content=data.get("content", ""),
            embeds=data.get("embeds"),
            components=data.get("components"),
        )

    def _get_message(self, message_id: str) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})

    def _patch(self, call: Call, message_id: str) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        data = call.json or {}
        message.update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
        message["flags"] = message.get("flags", 0) & ~128
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        return 200, message

    def _pin(self, call: Call, channel_id: str, message_id: str) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        message["pinned"] = True
        self.pins.add((channel_id, message_id))
        return 204, None

    def _open_dm(self, call: Call) -> tuple[int, Any]:
        user_id = str((call.json or {}).get("recipient_id", ""))
        if not user_id.isdigit():
            return 400, {"message": "Invalid Form Body", "code": 50035}
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        return 200, {
            "id": channel_id,
            "type": 1,
            "recipients": [self.user(user_id, "member")],
            "last_message_id": None,
            "flags": 0,
        }

    def _get_member(self, call: Call, guild_id: str, user_id: str) -> tuple[int, Any]:
        if user_id == self.bot_id:
            return 200, self.member(self.bot_user, [self._bot_role(guild_id)], BOT_PERMISSIONS)
        return 404, {"message": "Unknown Member", "code": 10007}

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        zlib_stream = self.compress and request.query.get("compress") == "zlib-stream"
        socket = _Gateway(ws, zlib_stream)
        self._sockets.append(socket)
        try:
            await socket.send({"op": 10, "d": {"heartbeat_interval": 41250}})
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op = payload.get("op")
                if op == 1:
                    await socket.send({"op": 11})
                elif op == 2:
                    self.identified.set()
                    await socket.send(
                        {
                            "op": 0,
                            "t": "READY",
                            "d": {
                                "v": 10,
                                "user": self.bot_user,
                                "session_id": "fake-session",
                                "resume_gateway_url": self.gateway_url,
                                "guilds": [
                                    {"id": self.guild_id, "unavailable": True},
                                    {"id": self.foreign_guild_id, "unavailable": True},
                                ],
                                "application": {"id": self.application_id, "flags": 0},
                                "private_channels": [],
                                "relationships": [],
                            },
                        }
                    )
                    await socket.send({"op": 0, "t": "GUILD_CREATE", "d": self.guild()})
                    await socket.send({"op": 0, "t": "GUILD_CREATE", "d": self.guild(self.foreign_guild_id)})
                    self.ready.set()
                elif op == 6:
                    await socket.send({"op": 0, "t": "RESUMED", "d": {}})
                    self.ready.set()
        finally:
            self._sockets.remove(socket)
        return ws


class _Gateway:
    """One gateway session: sequence numbers and optional zlib-stream transport compression."""

    def __init__(self, ws: web.WebSocketResponse, zlib_stream: bool) -> None:
        self.ws = ws
        self.seq = 0
        self._zlib = zlib.compressobj() if zlib_stream else None
        self._lock = asyncio.Lock()

    async def send(self, frame: Any) -> None:
        async with self._lock:
            if isinstance(frame, dict) and frame.get("op") == 0:
                self.seq += 1
                frame = {**frame, "s": self.seq}
            text = frame if isinstance(frame, str) else json.dumps(frame)
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def close(self) -> None:
        await self.ws.close()


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when the content type is exactly application/json.
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(
        status=status, body=json.dumps(payload).encode(), headers={"Content-Type": JSON, **(headers or {})}
    )


def _failure_response(failure: _Failure) -> web.Response:
    if failure.status == 429:
        body = failure.body or {
            "message": "You are being rate limited.",
            "retry_after": failure.retry_after,
            "global": False,
        }
        headers = {
            "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            "Retry-After": str(max(1, round(failure.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(failure.retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
        }
        return _json(body, 429, headers)
    body = failure.body or {
        403: {"message": "Missing Permissions", "code": 50013},
        404: {"message": "Unknown Message", "code": 10008},
    }.get(failure.status, {"message": "Server error", "code": 0})
    return _json(body, failure.status)


def _is_webhook(path: str) -> bool:
    return path.startswith(("/interactions/", "/webhooks/"))


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 3
