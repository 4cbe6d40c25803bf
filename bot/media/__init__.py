"""Media people forward: what a file is, its perceptual fingerprints, the text in it, and how near a
known fact-checked image or video it lies.

A pure library like `bot.matching`: it works on the bytes and fingerprints it is handed and knows
nothing of the store, sessions or platforms. Pillow, pdqhash and PyAV come with the `media` extra;
`available()` says whether they are installed.
"""

from bot.media.errors import MediaError
from bot.media.fingerprints import Fingerprint, available, fingerprint
from bot.media.index import MediaIndex, MediaMatch
from bot.media.probe import MediaKind

__all__ = ["Fingerprint", "MediaError", "MediaIndex", "MediaKind", "MediaMatch", "available", "fingerprint"]
