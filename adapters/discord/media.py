"""Photos and videos in Discord: which attachment to check, and its bounded download.

Attachments come with the "Fact-check this" menu's message and with /check's `attachment` option,
each with its size and content type, so anything too large or not an image or video is refused
before it is fetched. The bytes are read with discord.py's `Attachment.read()` within a time limit;
the attachment's URL is what moderators are later shown (adapters/discord/messenger.py), so the
file itself is not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
import discord

from adapters.media import MediaRefused, Wanted, kind_of, time_limit
from bot.domain import MediaFile

log = logging.getLogger(__name__)

REF_MAX = 2040  # reviewitem.media_ref holds 2048 characters, "discord:" included


def first_media(attachments: Sequence[discord.Attachment]) -> discord.Attachment | None:
    """The first photo or video of a message; else its first file (refused as unsupported); else None."""
    for attachment in attachments:
        if kind_of(attachment.content_type, attachment.filename) is not None:
            return attachment
    return attachments[0] if attachments else None


def wanted(attachment: discord.Attachment) -> Wanted:
    """The attachment's bounds from its metadata; MediaRefused before any download when it is out of them."""
    kind = kind_of(attachment.content_type, attachment.filename)
    if kind is None or attachment.is_voice_message():
        raise MediaRefused("unsupported")
    bounds = Wanted(kind, attachment.size, attachment.duration)
    bounds.check()
    return bounds


async def download(attachment: discord.Attachment, bounds: Wanted) -> MediaFile:
    """The attachment's bytes within the time limit, refused when they outgrow what its size said."""
    try:
        async with time_limit():
            data = await attachment.read()
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        log.info("an attachment download failed: %s", type(exc).__name__)
        raise MediaRefused("download") from exc
    ref = attachment.url if len(attachment.url) <= REF_MAX else ""
    return MediaFile(bounds.checked(data), attachment.filename, ref)
