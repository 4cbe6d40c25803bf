"""Photos and videos sent in chat: the bounds every download keeps, shared by both adapters.

A file is refused before a byte is fetched when the platform's own metadata says it is too large (or
a video too long), and again while it is read (a download target that stops growing at the bound,
then the length read); the whole download has DOWNLOAD_SECONDS. Only then do the bytes go to the
core, in the worker thread that runs the question (decoding and hashing never block the event loop),
and they are dropped with the question: the core keeps hashes and the text read, never the file.
Refusals carry a reason that bot.leads words in the sender's language.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.leads import caption_instead, media_problem
from bot.media.fingerprints import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES

# A clip longer than this is refused before it is fetched: the fingerprint reads its first three
# minutes (bot.media.video.MAX_SECONDS), and a forwarded film is not what a fact-check is about.
MAX_VIDEO_SECONDS = 10 * 60
DOWNLOAD_SECONDS = 30.0  # for one file, its metadata request included
# Files downloaded and checked at once per process: each may hold 50 MB and keep a core busy decoding.
MEDIA_AT_ONCE = 2


# Where a review item's media was sent, as moderators read it.
PLATFORM_NAMES = {
    "telegram": "Telegram",
    "discord": "Discord",
    "cli": "the command line",
    "terminal": "the terminal",
}


class MediaRefused(Exception):
    """A photo or video that was not fetched, or not fully: why, as a bot.leads.MEDIA_PROBLEMS key."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values

    def text(self, language: str) -> str:
        return media_problem(self.reason, language, **self.values)

    def lead(self, language: str) -> str:
        """Said before the answer to the words that came with the file."""
        return caption_instead(self.reason, language, **self.values)


@dataclass(frozen=True)
class Wanted:
    """The file of a message to check, as the platform describes it before any download."""

    kind: str  # image or video
    size: int | None  # bytes, when the platform says
    seconds: float | None = None  # a video's duration, when the platform says
    platform_limit: int | None = None  # what the platform lets a bot download

    @property
    def limit(self) -> int:
        core = MAX_VIDEO_BYTES if self.kind == "video" else MAX_IMAGE_BYTES
        return min(core, self.platform_limit) if self.platform_limit else core

    def check(self, size: int | None = None) -> None:
        """Refuse by the metadata: `size` is a second opinion (Telegram's getFile) when given."""
        for declared in (self.size, size):
            if declared is not None and declared > self.limit:
                raise self.too_big()
        if self.kind == "video" and self.seconds is not None and self.seconds > MAX_VIDEO_SECONDS:
            raise MediaRefused("too_long", minutes=MAX_VIDEO_SECONDS // 60)

    def too_big(self) -> MediaRefused:
        return MediaRefused("too_big", limit=self.limit // 2**20)

    def checked(self, data: bytes) -> bytes:
        """The bytes read, refused when there are more than the bound (the metadata understated them)."""
        if len(data) > self.limit:
            raise self.too_big()
        if not data:
            raise MediaRefused("empty")
        return data


class BoundedBuffer(io.BytesIO):
    """A download target that refuses to grow past the bound instead of holding whatever arrives."""

    def __init__(self, wanted: Wanted) -> None:
        super().__init__()
        self.wanted = wanted

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.wanted.limit:
            raise self.wanted.too_big()
        return super().write(data)


def kind_of(mime_type: str | None, file_name: str | None = None) -> str | None:
    """image or video from a file's MIME type (else its name); None for any other file."""
    mime = mime_type or (mimetypes.guess_type(file_name)[0] if file_name else None) or ""
    family = mime.split("/", 1)[0].lower()
    return {"image": "image", "video": "video"}.get(family)


class MediaGate:
    """At most MEDIA_AT_ONCE downloads and checks at a time in this process; the rest wait their turn."""

    def __init__(self, at_once: int = MEDIA_AT_ONCE) -> None:
        self._slots = asyncio.Semaphore(at_once)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield


@asynccontextmanager
async def time_limit(seconds: float = DOWNLOAD_SECONDS) -> AsyncIterator[None]:
    """A download that takes longer is given up and said to have failed."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise MediaRefused("download") from exc
