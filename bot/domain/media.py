"""Media in a question, and what is known about a fact-checked image or video (schema.org MediaReview)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Authenticity(StrEnum):
    """schema.org MediaManipulationRatingEnumeration: what a piece of media is, as it was shared."""

    ORIGINAL = "OriginalMediaContent"
    DECONTEXTUALIZED = "DecontextualizedContent"
    EDITED_OR_CROPPED = "EditedOrCroppedContent"
    TRANSFORMED = "TransformedContent"  # AI-generated or deepfaked footage included
    STAGED = "StagedContent"
    SATIRE_OR_PARODY = "SatireOrParodyContent"


def parse_authenticity(value: str) -> Authenticity | None:
    """A MediaReview category from its schema.org name or URL, or a moderator's short word for it."""
    word = value.strip().rsplit("/", 1)[-1].lower().replace("-", "").replace("_", "").replace(" ", "")
    for category in Authenticity:
        if word in (category.value.lower(), category.name.lower().replace("_", "")):
            return category
    return _SHORT_WORDS.get(word)


_SHORT_WORDS = {
    "original": Authenticity.ORIGINAL,
    "authentic": Authenticity.ORIGINAL,
    "missingcontext": Authenticity.DECONTEXTUALIZED,
    "outofcontext": Authenticity.DECONTEXTUALIZED,
    "edited": Authenticity.EDITED_OR_CROPPED,
    "cropped": Authenticity.EDITED_OR_CROPPED,
    "transformed": Authenticity.TRANSFORMED,
    "aigenerated": Authenticity.TRANSFORMED,
    "ai": Authenticity.TRANSFORMED,
    "deepfake": Authenticity.TRANSFORMED,
    "staged": Authenticity.STAGED,
    "satire": Authenticity.SATIRE_OR_PARODY,
    "parody": Authenticity.SATIRE_OR_PARODY,
}


MEDIA_KINDS = ("image", "video")


@dataclass(frozen=True)
class MediaFile:
    """A photo or video someone sent, as bytes the adapter downloaded within the platform's limits."""

    data: bytes
    name: str = ""  # the file name the sender gave, for messages only: the bytes say what it is
    # Where the platform keeps the file, so moderators can be shown it while the bot keeps only hashes:
    # Telegram "chat_id:message_id" of the message that carried it, Discord the attachment's URL.
    ref: str = ""


@dataclass(frozen=True)
class MediaRecord:
    """Known media of a fact-check, as a MediaReview import or a moderator gives it."""

    kind: str  # image or video; "" while an imported file or URL is not yet read
    authenticity: Authenticity | None = None
    description: str = ""  # what the media really shows ("it does not show a real arrest")
    content_url: str | None = None  # where the publisher put the file (http(s)), kept
    hashes: tuple[str, ...] = ()  # PDQ hashes, hex
    sha256: str = ""
    # A local file a MediaReview import names (resolved inside the import file's folder): hashed when
    # it is imported, never kept. Empty once hashed, and for media that carries its hashes.
    file: str = ""


@dataclass(frozen=True)
class MediaAttachment:
    """A moderator's choice to attach a review item's forwarded photo or video to the verdict.

    Explicit, because what an asker forwarded may be a screenshot of the claim rather than the media
    the fact-check is about; `authenticity` says what the media is (none: "it has been fact-checked").
    """

    authenticity: Authenticity | None = None
    description: str = ""


@dataclass(frozen=True)
class MediaNote:
    """What a question's media turned out to be, for the reply."""

    kind: str  # image or video
    # fingerprint: it is known media of the fact-check; text: its caption or the text read in it
    # matched; unmatched: nothing known; unreadable: the file could not be checked (see error)
    via: str
    authenticity: Authenticity | None = None
    description: str = ""
    error: str = ""
    text_read: str = ""  # what OCR read in the image
    reason: str = ""  # unreadable: why, as a key (bot.media.MediaError.reason), for the reply's wording


@dataclass(frozen=True)
class ReviewMedia:
    """A review item's photo or video as moderators are shown it: a platform's reference, never the file."""

    kind: str  # image or video
    platform: str  # where it was sent: telegram, discord (cli: nowhere to show it from)
    ref: str  # Telegram "chat_id:message_id", Discord the attachment URL
    caption: str = ""  # the words sent with it
    text_read: str = ""  # what OCR read in the image
