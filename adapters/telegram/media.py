"""Photos and videos in Telegram: which file of a message to check, its bounded download, and the question.

A photo comes in several sizes: the largest that fits the bound is fetched (the fingerprint and the
text read in it both gain from pixels). Videos, animations, video notes and documents that are images
or videos are fetched whole, within adapters/media.py's bounds and the Bot API's 20 MB; anything else
(stickers, voice, audio, other files) is refused without a download. The file is fetched with the Bot
API's getFile and PTB's download_to_memory; the message it came in is what moderators are shown
(copied into their chat, adapters/telegram/messenger.py), so nothing of the file is kept here.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from adapters.media import BoundedBuffer, MediaGate, MediaRefused, Wanted, kind_of, time_limit
from adapters.telegram.chat import ask, question, reply_outcome, say, service_of, tr
from adapters.telegram.render import plain
from bot.domain import MediaFile

log = logging.getLogger(__name__)

BOT_API_DOWNLOAD = 20 * 2**20  # getFile serves files up to 20 MB (a local Bot API server, more)
GATE = "media_gate"  # key in Application.bot_data


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else float(value) if value else None


def _duration(media: Any) -> float | None:
    with warnings.catch_warnings():  # PTB 22 warns that `duration` becomes a timedelta; both are read
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return _seconds(getattr(media, "duration", None))


@dataclass(frozen=True)
class TelegramFile:
    """A file of a message: what getFile needs, and its bounds."""

    file_id: str
    name: str
    wanted: Wanted


def _file(file_id: str, name: str, kind: str, size: int | None, seconds: float | None = None) -> TelegramFile:
    return TelegramFile(file_id, name, Wanted(kind, size, seconds, BOT_API_DOWNLOAD))


def has_file(message: Message) -> bool:
    """Whether a message carries a file of any kind (what a /check reply may point at)."""
    return any(
        getattr(message, field, None)
        for field in ("photo", "video", "animation", "video_note", "document", "sticker", "audio", "voice")
    )


def pick(message: Message) -> TelegramFile:
    """The photo or video of a message to check; MediaRefused (before any download) for anything else."""
    if message.photo:
        limit = Wanted("image", None, platform_limit=BOT_API_DOWNLOAD).limit
        fitting = [p for p in message.photo if p.file_size is None or p.file_size <= limit]
        best = max(fitting or message.photo, key=lambda p: p.width * p.height)
        return _file(best.file_id, "photo.jpg", "image", best.file_size)  # too big: refused by download
    for clip in (message.video, message.animation, message.video_note):
        if clip is not None:
            name = getattr(clip, "file_name", None) or "video.mp4"
            return _file(clip.file_id, name, "video", clip.file_size, _duration(clip))
    document = message.document
    kind = kind_of(document.mime_type, document.file_name) if document is not None else None
    if document is not None and kind is not None:
        # A document says nothing of a video's duration; the core reads three minutes at most.
        return _file(document.file_id, document.file_name or "", kind, document.file_size)
    raise MediaRefused("unsupported")


async def download(context: ContextTypes.DEFAULT_TYPE, file: TelegramFile, ref: str) -> MediaFile:
    """Fetch the file within its bounds (size before and while reading, and a time limit)."""
    wanted = file.wanted
    wanted.check()
    try:
        async with time_limit():
            found = await context.bot.get_file(file.file_id)
            wanted.check(found.file_size)
            out = BoundedBuffer(wanted)
            await found.download_to_memory(out=out)
    except BadRequest as exc:
        log.info("getFile refused a file: %s", exc.message)
        raise wanted.too_big() if "too big" in exc.message.lower() else MediaRefused("download") from exc
    except (TelegramError, OSError, RuntimeError) as exc:  # RuntimeError: a file without a file_path
        log.info("a file download failed: %s", type(exc).__name__)
        raise MediaRefused("download") from exc
    return MediaFile(wanted.checked(out.getvalue()), file.name, ref)


def gate(context: ContextTypes.DEFAULT_TYPE) -> MediaGate:
    return context.application.bot_data.setdefault(GATE, MediaGate())


async def ask_media(update: Update, context: ContextTypes.DEFAULT_TYPE, source: Message, text: str) -> None:
    """Check the photo or video of `source` (the message itself, or the one /check replied to) with the
    words sent with it. A file that is refused leaves its words as the question, said to be so."""
    try:
        wanted = pick(source)
        async with gate(context).slot():
            media = await download(context, wanted, f"{source.chat_id}:{source.message_id}")
            outcome = await asyncio.to_thread(service_of(context).ask, question(update, text, media))
    except MediaRefused as refused:
        if text.strip():
            await ask(update, context, text, problem=refused)
        else:
            await say(update, plain(refused.text(tr(update).language)))
        return
    await reply_outcome(update.effective_message, context, outcome)
