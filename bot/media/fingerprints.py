"""One entry point: the fingerprint of any media file, after its size and kind are checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.util import find_spec

from bot.media.errors import MediaError
from bot.media.probe import MediaKind, sniff

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_VIDEO_BYTES = 50 * 1024 * 1024  # a bot may download 20 MB from Telegram (adapters/telegram/media.py)


@dataclass(frozen=True)
class Fingerprint:
    kind: MediaKind
    hashes: tuple[bytes, ...]  # one PDQ hash for an image; one per sampled frame for a video
    sha256: str  # of the exact bytes, so the very same file matches even when it is featureless
    seconds: float = 0.0


def available() -> bool:
    """Whether the media extra (Pillow, pdqhash, PyAV) is installed."""
    return all(find_spec(name) is not None for name in ("PIL", "pdqhash", "av"))


def max_bytes(kind: MediaKind) -> int:
    return MAX_VIDEO_BYTES if kind is MediaKind.VIDEO else MAX_IMAGE_BYTES


def fingerprint(data: bytes, *, known: bool = False) -> Fingerprint:
    """Fingerprint an image or video; MediaError, worded for the sender, for anything else.

    `known` is for media a moderator attaches to a fact-check: an image gets extra hashes that let
    cropped copies match it.
    """
    if not data:
        raise MediaError("empty", "That file is empty.")
    sniffed = sniff(data[:16])
    if sniffed is None:
        raise MediaError("unsupported", "I can check photos (JPEG, PNG, GIF, WebP) and videos (MP4, WebM).")
    if not available():
        raise MediaError(
            "unavailable", "This ClaimBot can't check photos or videos: its media support is not installed."
        )
    kind, _ = sniffed
    if len(data) > max_bytes(kind):
        raise MediaError(
            "too_large", f"That file is too large to check (the limit is {max_bytes(kind) // 2**20} MB)."
        )
    sha = hashlib.sha256(data).hexdigest()
    if kind is MediaKind.IMAGE:
        from bot.media.images import image_hashes

        return Fingerprint(kind, image_hashes(data, known=known), sha)
    from bot.media.video import video_hashes

    video = video_hashes(data)
    return Fingerprint(kind, video.frames, sha, video.seconds)
