"""Video fingerprints: PDQ hashes of frames sampled at a steady rate, decoded with PyAV (FFmpeg).

A copy of a clip that was re-encoded, trimmed, resized or letterboxed shares most of its sampled frames
with the original within a small Hamming distance, whatever their order: that share is what matches.
The work per video is capped (frames, seconds of footage, decoded pixels) so one upload cannot stall
a worker.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from bot.media.errors import MediaError
from bot.media.images import MIN_QUALITY, WORK_SIZE, pdq, trim_borders

SAMPLE_EVERY = 1.0  # seconds between sampled frames
MAX_FRAMES = 60
MAX_SECONDS = 180.0  # of footage read; a longer clip is fingerprinted by its first three minutes
MAX_DECODED_FRAMES = 180 * 60  # a hang guard for streams whose timestamps never advance


@dataclass(frozen=True)
class VideoPrint:
    frames: tuple[bytes, ...]
    seconds: float  # footage read


def video_hashes(data: bytes) -> VideoPrint:
    """PDQ hashes of frames sampled once a second; MediaError for a file that is not a usable video."""
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as error:
        raise MediaError("corrupt", "I couldn't read that video: the file looks damaged.") from error
    with container:
        if not container.streams.video:
            raise MediaError("no_video", "That file has no picture to check (is it audio only?).")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames: list[bytes] = []
        next_sample, seconds, decoded = 0.0, 0.0, 0
        try:
            for frame in container.decode(stream):
                decoded += 1
                if frame.time is None:
                    continue
                seconds = float(frame.time)
                if seconds > MAX_SECONDS or len(frames) >= MAX_FRAMES or decoded > MAX_DECODED_FRAMES:
                    break
                if seconds + 1e-6 < next_sample:
                    continue
                next_sample = seconds + SAMPLE_EVERY
                scale = min(1.0, WORK_SIZE / max(frame.width, frame.height))
                rgb = frame.to_ndarray(
                    format="rgb24",
                    width=max(2, int(frame.width * scale)),
                    height=max(2, int(frame.height * scale)),
                )
                digest, quality = pdq(trim_borders(rgb))  # a letterbox is cut; PDQ survives the rest
                if quality >= MIN_QUALITY:  # a black or faded frame says nothing about the clip
                    frames.append(digest)
        except av.FFmpegError as error:
            if not frames:
                raise MediaError("corrupt", "I couldn't read that video: the file looks damaged.") from error
    if not frames:
        raise MediaError("featureless", "That video has no frames I can compare with known videos.")
    return VideoPrint(tuple(frames), seconds)
