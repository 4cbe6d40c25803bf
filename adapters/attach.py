"""A moderator's choice to attach a review item's forwarded photo or video to the fact-check that
answers it (link or approve), as the console and both chats offer it: the kinds by the words the CLI
takes (`claimbot review link --attach-media --authenticity edited`), their labels, and the sentence
that says it was done. The core does the attaching (bot/usecases/media.py `attach_item_media`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Authenticity, MediaAttachment, ServiceError, parse_authenticity
from bot.i18n import N_, Translator, translator


@dataclass(frozen=True)
class AttachKind:
    word: str  # what a moderator types or picks: the CLI's word, which parse_authenticity reads too
    authenticity: Authenticity | None
    label: str  # marked with N_, translated where shown


# "checked" attaches with no category: the copy is answered as "it has been fact-checked".
ATTACH_KINDS = (
    AttachKind("original", Authenticity.ORIGINAL, N_("original: authentic and unaltered")),
    AttachKind("out-of-context", Authenticity.DECONTEXTUALIZED, N_("real but shared out of context")),
    AttachKind("edited", Authenticity.EDITED_OR_CROPPED, N_("edited or cropped to mislead")),
    AttachKind("transformed", Authenticity.TRANSFORMED, N_("transformed: AI-generated or deepfaked")),
    AttachKind("staged", Authenticity.STAGED, N_("staged")),
    AttachKind("satire", Authenticity.SATIRE_OR_PARODY, N_("satire or parody")),
    AttachKind("checked", None, N_("fact-checked, no category")),
)
KIND_WORDS = ", ".join(kind.word for kind in ATTACH_KINDS)
_BY_WORD = {kind.word: kind for kind in ATTACH_KINDS}

ATTACHED = N_(
    "Attached the forwarded photo or video to fact-check #{id} as {kind}: its copies are answered at once."
)


def attach_kind(word: str) -> AttachKind:
    """The kind a moderator named; an unknown word is their mistake, said with the words there are."""
    found = _BY_WORD.get(word.strip().lower())
    if found is None:  # the CLI's other words too: ai-generated, deepfake, cropped, parody...
        authenticity = parse_authenticity(word)
        found = next(
            (kind for kind in ATTACH_KINDS if authenticity and kind.authenticity == authenticity), None
        )
    if found is None:
        raise ServiceError(f"Unknown media kind {word.strip()[:40]!r}; use one of: {KIND_WORDS}.")
    return found


def attachment_of(word: str | None, description: str = "") -> MediaAttachment | None:
    """The attachment a moderator asked for, or None when they asked for none (no word)."""
    if not word:
        return None
    return MediaAttachment(attach_kind(word).authenticity, description.strip())


def kind_label(authenticity: Authenticity | None, t: Translator | None = None) -> str:
    t = t or translator(None)
    return t(next(kind.label for kind in ATTACH_KINDS if kind.authenticity == authenticity))


def attached_note(attachment: MediaAttachment, fact_check_id: int, t: Translator | None = None) -> str:
    """What the moderator is told once the item's media is attached (in their language where known)."""
    t = t or translator(None)
    return t(ATTACHED, id=fact_check_id, kind=kind_label(attachment.authenticity, t))
