"""Known media in memory: PDQ hashes in numpy arrays, searched by Hamming distance.

Brute force is right here: a fact-check catalogue holds thousands of images, not billions, and XOR plus
`np.bitwise_count` over 32-byte rows scans 100,000 hashes in about a millisecond.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from bot.media.fingerprints import Fingerprint
from bot.media.probe import MediaKind

# Calibrated by benchmarks/media.py on transformed copies against distractors (256-bit PDQ hashes;
# Meta suggests 31 for images). A frame counts as shared within FRAME_DISTANCE, and a video matches
# when this share of the question's sampled frames are shared with one known video.
IMAGE_DISTANCE = 56
FRAME_DISTANCE = 64
VIDEO_SHARE = 0.5


@dataclass(frozen=True)
class MediaMatch:
    media_id: int
    distance: int  # image: Hamming distance of the hashes; video: median over the shared frames
    share: float = 1.0  # video: the share of the question's frames found in the known video


@dataclass
class _Known:
    ids: np.ndarray  # media id per row
    hashes: np.ndarray  # rows of 32 bytes

    @classmethod
    def empty(cls) -> _Known:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, 32), dtype=np.uint8))


class MediaIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[MediaKind, _Known] = {kind: _Known.empty() for kind in MediaKind}
        self._by_sha: dict[str, int] = {}

    def __len__(self) -> int:
        return len({int(i) for known in self._known.values() for i in known.ids})

    def add(self, media_id: int, print_: Fingerprint) -> None:
        rows = np.frombuffer(b"".join(print_.hashes), dtype=np.uint8).reshape(-1, 32)
        with self._lock:
            self._drop(media_id)
            known = self._known[print_.kind]
            known.ids = np.concatenate([known.ids, np.full(len(rows), media_id, dtype=np.int64)])
            known.hashes = np.concatenate([known.hashes, rows])
            if print_.sha256:  # media attached from a review item's hashes has none
                self._by_sha[print_.sha256] = media_id

    def remove(self, media_id: int) -> None:
        with self._lock:
            self._drop(media_id)

    def _drop(self, media_id: int) -> None:
        for known in self._known.values():
            keep = known.ids != media_id
            if not keep.all():
                known.ids, known.hashes = known.ids[keep], known.hashes[keep]
        for sha in [sha for sha, owner in self._by_sha.items() if owner == media_id]:
            del self._by_sha[sha]

    def match(self, print_: Fingerprint) -> MediaMatch | None:
        """The known media nearest this fingerprint, or None when none is near enough."""
        exact = self._by_sha.get(print_.sha256)
        if exact is not None:
            return MediaMatch(exact, 0)
        known = self._known[print_.kind]
        if not len(known.ids):
            return None
        query = np.frombuffer(b"".join(print_.hashes), dtype=np.uint8).reshape(-1, 32)
        # distances[q, k]: bits differing between question frame q and known row k
        distances = np.bitwise_count(query[:, None, :] ^ known.hashes[None, :, :]).sum(axis=2)
        if print_.kind is MediaKind.IMAGE:  # each of the question's hashes against every known one
            nearest = distances.min(axis=0)
            row = int(nearest.argmin())
            best = int(nearest[row])
            return MediaMatch(int(known.ids[row]), best) if best <= IMAGE_DISTANCE else None
        best_match: MediaMatch | None = None
        for media_id in np.unique(known.ids):
            nearest = distances[:, known.ids == media_id].min(axis=1)
            shared = nearest[nearest <= FRAME_DISTANCE]
            share = len(shared) / len(nearest)
            if share >= VIDEO_SHARE and (best_match is None or share > best_match.share):
                best_match = MediaMatch(int(media_id), int(np.median(shared)), share)
        return best_match
