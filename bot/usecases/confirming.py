"""Ask before queueing: an unmatched claim reaches the review queue (and the moderators' chat) only
when the person who asked confirms it with "Send to our fact-checkers"; "No thanks" keeps it as a
request for the statistics, and nothing else happens.

Only the asker may confirm or decline, with the same ownership rule as "notify me"
(`Asking.own_request`: anyone else's press is refused and audited).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from bot.articles import focus
from bot.domain import Asker, Outcome, OutcomeKind, ServiceError
from bot.usecases.media import MediaRef
from bot.usecases.review import Review
from store.db import session_scope
from store.models import Request

# (session, request id, asker, action) -> the asker's own request, or NotAllowed
OwnRequest = Callable[[Session, int, Asker, str], Request]


class Confirming:
    def __init__(self, engine: Engine, review: Review, own_request: OwnRequest) -> None:
        self.engine = engine
        self.review = review
        self.own_request = own_request

    def send_to_review(self, request_id: int, asker: Asker) -> Outcome:
        """The asker confirmed: queue the claim (an article's most check-worthy sentence, not the paste)."""
        with session_scope(self.engine) as session:
            request = self.own_request(session, request_id, asker, "send_to_review")
            if request.review_item_id is not None:  # pressed twice, or on two devices: counted once
                return Outcome(OutcomeKind.QUEUED, request_id, review_item_id=request.review_item_id)
            if request.outcome != OutcomeKind.UNMATCHED.value:
                raise ServiceError("That question already has an answer; there is nothing to send.")
            text = focus(request.text)
            item = self.review.queue_question(session, request, text, _media_of(request))
            excerpt = text if text != request.text else None  # an article: say which sentence went
            return Outcome(OutcomeKind.QUEUED, request_id, review_item_id=item.id, excerpt=excerpt)

    def decline(self, request_id: int, asker: Asker) -> bool:
        """ "No thanks": the request stays, unmatched, for the statistics. False when it was sent already."""
        with Session(self.engine) as session:
            request = self.own_request(session, request_id, asker, "decline")
            return request.review_item_id is None


def _media_of(request: Request) -> MediaRef | None:
    """A photo or video question's fingerprint, so it folds onto the item about the same media (and not
    onto every other captionless photo by its placeholder text), and can be attached to the verdict."""
    if not request.media_kind or not request.media_hashes:
        return None
    where = f"{request.platform}:{request.chat_id}:{request.message_id or ''}"
    return MediaRef(request.media_kind, request.media_hashes, where)
