"""A stored question as its asker's own: who may press the buttons under its answer, and the phrasing
key feedback on it is kept under.

Shared by asking (choose, "not what I asked", subscribe), feedback and review, so the ownership rule
is written once.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.config import Settings
from bot.domain import Actor, Asker, NotAllowed
from bot.matching.normalise import normalise
from bot.usecases.moderation import Moderation
from bot.usecases.privacy import asker_hash
from store.models import Request

MAX_PHRASING = 1000  # AnswerFeedback.phrasing


def phrasing_key(text: str) -> str:
    """The normalised question: two phrasings the matcher reads the same share their feedback."""
    return normalise(text)[:MAX_PHRASING]


def own_request(
    session: Session, settings: Settings, moderation: Moderation, request_id: int, asker: Asker, action: str
) -> Request:
    """The asker's own question; anyone else's is refused, and the attempt audited."""
    request = session.get(Request, request_id)
    if request is not None and request.asker_hash == asker_hash(settings, asker):
        return request
    if request is not None:
        # Buttons can be pressed by anyone in a group, and request ids are sequential, so button data
        # naming someone else's question is easy to forge: recorded like a refused moderator action.
        actor = Actor(asker.platform, asker.user_id)
        moderation.audit_refusal(actor, action, f"request:{request_id}", "not the person who asked")
    raise NotAllowed("Only the person who asked can use this button.")
