"""Outbox delivery for Discord (bot.delivery.Messenger): DMs with a channel fallback, edits, review posts.

Targets: a channel id, or "user:<user id>[:<channel id>]" for a DM that falls back to the channel
where the question was asked when the member's DMs are closed. What Discord refuses for good (403,
404) becomes PermanentDeliveryError, so the outbox stops retrying it.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

import discord

from adapters.discord.interactions import PLATFORM
from adapters.discord.render import NO_MENTIONS, detached, discord_attachment, render_embed, render_review
from bot.delivery import PermanentDeliveryError, SentMessage
from bot.domain.review import ReviewSummary
from bot.replies import Reply


class DiscordMessenger:
    """bot.delivery.Messenger for Discord: DMs with a channel fallback, edits in place, review posts.

    Targets: a channel id, or "user:<user id>[:<channel id>]" for a DM that falls back to the
    channel where the question was asked when the member's DMs are closed.
    """

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._where: OrderedDict[str, int] = OrderedDict()  # message id -> channel id, to edit DMs

    def _remember(self, message: discord.Message) -> SentMessage:
        self._where[str(message.id)] = message.channel.id
        while len(self._where) > 10_000:
            self._where.popitem(last=False)
        return SentMessage(str(message.channel.id), str(message.id))

    async def send(self, target: str, reply: Reply) -> SentMessage | None:
        embed, view = render_embed(reply)
        kwargs: dict[str, Any] = {"embed": embed, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = detached(view)
        user_id, fallback = parse_target(target)
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
                    embed=embed, view=detached(view), allowed_mentions=NO_MENTIONS
                )
                return
            except (discord.Forbidden, discord.NotFound) as exc:
                last = exc
        raise PermanentDeliveryError(f"cannot edit {chat_id}/{message_id}: {last}")

    async def send_review(self, target: str, review: ReviewSummary) -> None:
        embed, view = render_review(review)
        # A video sent on Discord: its attachment URL as the message's text, which Discord plays inline
        # (an embed shows images only). A photo is the embed's image. Nothing is re-uploaded or kept.
        url = discord_attachment(review.media) if review.media is not None else None
        content = (
            url if url is not None and review.media is not None and review.media.kind == "video" else None
        )
        try:
            await self._channel(int(target)).send(
                content=content, embed=embed, view=detached(view), allowed_mentions=NO_MENTIONS
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
            user_id, fallback = parse_target(chat_id)
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


def parse_target(target: str) -> tuple[int | None, int | None]:
    """("user:U:C" | "user:U" | "C") -> (user id or None, channel id or None)."""
    parts = target.split(":")
    if parts[0] == "user" and len(parts) in (2, 3) and all(p.isdigit() for p in parts[1:]):
        return int(parts[1]), int(parts[2]) if len(parts) == 3 else None
    if len(parts) == 1 and parts[0].isdigit():
        return None, int(parts[0])
    raise ValueError(f"not a Discord target: {target!r}")
