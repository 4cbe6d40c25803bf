"""The review queue as the web console lists it: one page of clusters with where and in what they were
asked, and whether a photo or video is in question (whether asks are rising is the dashboard's
`Statistics.review_trends`, so the queue and the dashboard show one trend).

Chat shows a short list (`Review.queue`); a browser has room for the rest, so this read-side use case
adds it in a few grouped queries per page rather than one per cluster.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.domain import Actor, QueueEntry, QueuePage, ServiceError
from bot.usecases.moderation import Moderation
from bot.usecases.review import OPEN_STATUSES, Review
from store.models import Request, ReviewItem, ReviewStatus

MAX_PAGE = 100


def parse_queue_status(status: str | None) -> tuple[str, ...]:
    """The statuses a queue page shows: open (open and drafted, the default), one status, or all."""
    wanted = (status or "open").strip().lower()
    if wanted == "open":
        return OPEN_STATUSES
    if wanted == "all":
        return tuple(s.value for s in ReviewStatus)
    if wanted in {s.value for s in ReviewStatus}:
        return (wanted,)
    names = ", ".join(["open", *(s.value for s in ReviewStatus if s != ReviewStatus.OPEN), "all"])
    raise ServiceError(f"No queue {status!r}: use one of {names}.")


class QueueView:
    def __init__(self, engine: Engine, settings: Settings, moderation: Moderation, review: Review) -> None:
        self.engine = engine
        self.settings = settings
        self.moderation = moderation
        self.review = review

    def queue_page(
        self, actor: Actor, *, status: str | None = None, limit: int = 25, offset: int = 0
    ) -> QueuePage:
        """Clusters most asked first, then most recently asked, `limit` from `offset`."""
        self.moderation.authorize(actor, "queue")
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ServiceError(f"A page holds 1 to {MAX_PAGE} items from a non-negative offset.")
        statuses = parse_queue_status(status)
        where = (ReviewItem.community == self.settings.community, col(ReviewItem.status).in_(statuses))
        with Session(self.engine) as session:
            total = session.exec(select(func.count()).select_from(ReviewItem).where(*where)).one()
            items = session.exec(
                select(ReviewItem)
                .where(*where)
                .order_by(
                    col(ReviewItem.ask_count).desc(),
                    col(ReviewItem.last_asked_at).desc(),
                    col(ReviewItem.id).desc(),
                )
                .offset(offset)
                .limit(limit)
            ).all()
            ids = [item.id for item in items if item.id is not None]
            where_asked = self._where_asked(session, ids)
            entries = tuple(
                QueueEntry(
                    review=self.review.summary(session, item, with_suggestions=False),
                    platforms=tuple(sorted(where_asked[item.id][0])),
                    languages=tuple(sorted(where_asked[item.id][1])),
                    media_kind=item.media_kind,
                )
                for item in items
                if item.id is not None
            )
        return QueuePage(entries, total, offset, limit)

    @staticmethod
    def _where_asked(session: Session, ids: list[int]) -> dict[int, tuple[set[str], set[str]]]:
        """Per cluster: the platforms and the languages its questions were asked in."""
        found: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        if not ids:
            return found
        rows = session.exec(
            select(Request.review_item_id, Request.platform, Request.language)
            .where(col(Request.review_item_id).in_(ids))
            .distinct()
        ).all()
        for item_id, platform, language in rows:
            if item_id is None:
                continue
            found[item_id][0].add(platform)
            if language:
                found[item_id][1].add(language)
        return found

    def phrasings(self, actor: Actor, item_id: int, limit: int = 500) -> list[tuple[str, int]]:
        """Every phrasing a cluster was asked in (its stored questions), most asked first, with counts."""
        self.moderation.authorize(actor, "show", f"review:{item_id}")
        with Session(self.engine) as session:
            rows = session.exec(
                select(Request.text, func.count())
                .where(Request.review_item_id == item_id)
                .group_by(col(Request.text))
                .order_by(func.count().desc(), col(Request.text))
                .limit(limit)
            ).all()
        return [(text, count) for text, count in rows]
