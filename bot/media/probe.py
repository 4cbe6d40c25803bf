"""What a file is, read from its first bytes (never from its name or the sender's MIME type)."""

from __future__ import annotations

from enum import StrEnum


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


# Image formats Pillow decodes safely and people forward; HEIC and SVG are not among them.
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def sniff(head: bytes) -> tuple[MediaKind, str] | None:
    """The kind and format of a file from its first 16 bytes, or None when it is neither."""
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return MediaKind.IMAGE, name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.IMAGE, "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return MediaKind.VIDEO, "avi"
    if head[4:8] == b"ftyp":  # MP4, MOV, 3GP: ISO base media
        return MediaKind.VIDEO, "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska and WebM
        return MediaKind.VIDEO, "webm"
    return None
