"""The review workflow. Questions nobody could answer are clustered onto review items; moderators list
them, link an existing fact-check, write a verdict, approve (publish) or reject it, and revise
published fact-checks. Askers waiting on an item hear of its verdict through the outbox.
"""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.domain import (
    REVIEW_KEY_PREFIX,
    REVIEW_ORIGIN,
    Actor,
    ApprovalResult,
    Candidate,
    FactCheckCard,
    FactCheckRecord,
    MediaAttachment,
    NotFound,
    OutcomeKind,
    ReviewSummary,
    ServiceError,
    SourceRecord,
    Verdict,
    parse_verdict,
)
from bot.matching import Matcher, question_similarity, worth_showing
from bot.text import clean_text
from bot.usecases.catalogue import Catalogue, candidates
from bot.usecases.media import MediaRef, attach_item_media, near_media, review_media
from bot.usecases.moderation import Moderation, record_audit
from bot.usecases.notifications import answer_subscribers, enqueue_revision, notify_moderators
from bot.usecases.requests import phrasing_key
from store import factchecks, feedback
from store.db import session_scope
from store.models import (
    FactCheck,
    FactCheckStatus,
    Request,
    ReviewItem,
    ReviewStatus,
    Subscription,
    utcnow,
)

OPEN_STATUSES = (ReviewStatus.OPEN, ReviewStatus.DRAFTED)


class Review:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        matcher: Matcher,
        moderation: Moderation,
        catalogue: Catalogue,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.matcher = matcher
        self.moderation = moderation
        self.catalogue = catalogue

    # ---------------------------------------------------------------- questions into the queue

    def queue_question(
        self, session: Session, request: Request, text: str, media: MediaRef | None = None
    ) -> ReviewItem:
        """Fold the question onto an open review item asking the same thing, or open a new one.

        A photo or video folds onto an item about near-identical media (issue 16), whatever its caption.
        """
        item = self._same_media_item(session, media) if media else self._similar_open_item(session, text)
        now = utcnow()
        if item is None:
            item = ReviewItem(
                community=self.settings.community, text=text, first_asked_at=now, last_asked_at=now
            )
            if media is not None:
                item.media_kind, item.media_hashes, item.media_ref = (
                    media.kind,
                    media.hashes_hex,
                    media.message,
                )
                item.media_caption, item.media_text = media.caption or None, media.text_read or None
            session.add(item)
            session.flush()
            notify_moderators(session, self.settings, item)
        else:
            item.ask_count += 1
            item.last_asked_at = now
            session.add(item)
        request.review_item_id = item.id
        request.outcome = OutcomeKind.QUEUED.value
        session.add(request)
        return item

    def _same_media_item(self, session: Session, media: MediaRef) -> ReviewItem | None:
        candidates = session.exec(
            select(ReviewItem).where(
                ReviewItem.community == self.settings.community,
                col(ReviewItem.status).in_(OPEN_STATUSES),
                ReviewItem.media_kind == media.kind,
            )
        ).all()
        return next(
            (i for i in candidates if i.media_hashes and near_media(i.media_hashes, media.hashes_hex)), None
        )

    def _similar_open_item(self, session: Session, text: str) -> ReviewItem | None:
        recent = session.exec(
            select(ReviewItem)
            .where(
                ReviewItem.community == self.settings.community,
                col(ReviewItem.status).in_(OPEN_STATUSES),
            )
            .order_by(col(ReviewItem.last_asked_at).desc())
            .limit(500)
        ).all()
        best: tuple[float, ReviewItem] | None = None
        for item in recent:
            score = question_similarity(text, item.text)
            if score >= self.settings.cluster_threshold and (best is None or score > best[0]):
                best = (score, item)
        return best[1] if best else None

    # ---------------------------------------------------------------- reading the queue

    def open_review_count(self) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).select_from(ReviewItem)
            return session.exec(query.where(col(ReviewItem.status).in_(OPEN_STATUSES))).one()

    def queue(self, actor: Actor, limit: int = 20, status: str | None = None) -> list[ReviewSummary]:
        """Open review items, most asked first, then most recent."""
        self.moderation.authorize(actor, "queue")
        statuses = [status] if status else list(OPEN_STATUSES)
        with Session(self.engine) as session:
            items = session.exec(
                select(ReviewItem)
                .where(ReviewItem.community == self.settings.community, col(ReviewItem.status).in_(statuses))
                .order_by(col(ReviewItem.ask_count).desc(), col(ReviewItem.last_asked_at).desc())
                .limit(limit)
            ).all()
            return [self.summary(session, item, with_suggestions=False) for item in items]

    def review_item(self, actor: Actor, item_id: int) -> ReviewSummary:
        self.moderation.authorize(actor, "show", f"review:{item_id}")
        return self.review_for_delivery(item_id)

    def review_for_delivery(self, item_id: int) -> ReviewSummary:
        with Session(self.engine) as session:
            return self.summary(session, self._item(session, item_id), with_suggestions=True)

    def summary(self, session: Session, item: ReviewItem, *, with_suggestions: bool) -> ReviewSummary:
        assert item.id is not None
        subscribers = session.exec(
            select(func.count()).select_from(Subscription).where(Subscription.review_item_id == item.id)
        ).one()
        phrasings = tuple(
            dict.fromkeys(
                session.exec(select(Request.text).where(Request.review_item_id == item.id).limit(10)).all()
            )
        )
        suggestions: tuple[Candidate, ...] = ()
        if with_suggestions:
            # Only those worth a moderator's look: a card never offers a one-tap link below the floor.
            matches = worth_showing(self.matcher.match(item.text, top_k=3), self.matcher.thresholds)
            suggestions = candidates(session, matches, published_only=False)
        return ReviewSummary(
            id=item.id,
            text=item.text,
            status=item.status,
            ask_count=item.ask_count,
            first_asked_at=item.first_asked_at,
            last_asked_at=item.last_asked_at,
            subscribers=subscribers,
            suggestions=suggestions,
            draft=factchecks.get_card(session, item.draft_fact_check_id)
            if item.draft_fact_check_id
            else None,
            fact_check=factchecks.get_card(session, item.fact_check_id) if item.fact_check_id else None,
            drafted_by=item.drafted_by,
            reject_reason=item.reject_reason,
            phrasings=phrasings,
            media=review_media(item),
        )

    def _item(self, session: Session, item_id: int) -> ReviewItem:
        item = session.get(ReviewItem, item_id)
        if item is None or item.community != self.settings.community:
            raise NotFound(f"There is no review item {item_id}.")
        return item

    def _open_item(self, session: Session, item_id: int) -> ReviewItem:
        # Row-locked until commit (PostgreSQL): moderators on two workers acting on one item take turns,
        # and the second one sees the first one's outcome instead of publishing again.
        session.get(ReviewItem, item_id, with_for_update=True, populate_existing=True)
        item = self._item(session, item_id)
        if item.status in (ReviewStatus.ANSWERED, ReviewStatus.REJECTED):
            raise ServiceError(f"Review item {item_id} is already {item.status}.")
        return item

    # ---------------------------------------------------------------- deciding

    def link(
        self, actor: Actor, item_id: int, fact_check_id: int, attach_media: MediaAttachment | None = None
    ) -> FactCheckCard:
        """Answer a review item with an existing fact-check; its questions become aliases.

        With `attach_media`, the photo or video the item was asked about becomes known media of the
        fact-check (bot/usecases/media.py), so its next copy is answered at once."""
        self.moderation.authorize(actor, "link", f"review:{item_id}")
        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            card = factchecks.get_card(session, fact_check_id)
            if card is None or card.status != FactCheckStatus.PUBLISHED:
                raise NotFound(f"There is no published fact-check {fact_check_id}.")
            texts = {
                item.text,
                *session.exec(select(Request.text).where(Request.review_item_id == item_id)).all(),
            }
            for text in sorted(texts):
                factchecks.add_alias(session, fact_check_id, text[:1000], actor.label)
            # A moderator's link settles what these phrasings mean: askers' "wrong claim" holds end.
            feedback.clear_holds(session, {phrasing_key(t) for t in texts})
            item.status = ReviewStatus.ANSWERED
            item.fact_check_id = fact_check_id
            session.add(item)
            notified = answer_subscribers(session, item, card)
            detail = f"fact_check:{fact_check_id} notified:{notified}"
            record_audit(session, actor, "link", f"review:{item_id}", True, detail)
            if attach_media is not None:
                attach_item_media(session, actor, item, fact_check_id, attach_media)
            session.flush()
            self.catalogue.reindex(session, [fact_check_id])
            return card

    def write_verdict(
        self,
        actor: Actor,
        item_id: int,
        rating: str,
        summary: str,
        sources: list[str],
        claim: str | None = None,
        publisher: str | None = None,
    ) -> FactCheckCard:
        """Draft a new fact-check for a review item; it is published on approval."""
        self.moderation.authorize(actor, "verdict", f"review:{item_id}")
        verdict = parse_verdict(rating)
        if verdict is None:
            labels = ", ".join(v.value for v in Verdict)
            raise ServiceError(f"Unknown rating {rating!r}; use one of: {labels}.")
        summary = clean_text(summary)
        if not summary:
            raise ServiceError("A verdict needs a short summary.")
        urls = [u.strip() for u in sources if u.strip()]
        if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
            raise ServiceError("A verdict needs at least one source URL (http:// or https://).")
        # The import readers' helpers, for a moderator's verdict only: a question never loads them.
        from bot.importers._common import outlet_from_url

        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            record = FactCheckRecord(
                url=f"{REVIEW_KEY_PREFIX}{self.settings.community}:{item_id}",
                claim=clean_text(claim) if claim else item.text,
                verdict=verdict,
                rating_text=rating.strip(),
                title=clean_text(claim) if claim else item.text,
                summary=summary,
                publisher=publisher or self.settings.publisher_name,
                checked_at=utcnow().date(),
                sources=[SourceRecord(i + 1, outlet_from_url(u), u) for i, u in enumerate(urls)],
                origin=REVIEW_ORIGIN,
            )
            result = factchecks.upsert_record(session, record, status=FactCheckStatus.DRAFT)
            fact_check = result.fact_check
            assert fact_check is not None
            if fact_check.status != FactCheckStatus.DRAFT:
                fact_check.status = FactCheckStatus.DRAFT
                session.add(fact_check)
            item.draft_fact_check_id = fact_check.id
            item.status = ReviewStatus.DRAFTED
            item.drafted_by = actor.label
            session.add(item)
            detail = f"{verdict.value}: {summary[:200]}"
            record_audit(session, actor, "verdict", f"review:{item_id}", True, detail)
            session.flush()
            assert fact_check.id is not None
            return self._card(session, fact_check.id)

    def approve(
        self,
        actor: Actor,
        item_id: int,
        revision: int | None = None,
        attach_media: MediaAttachment | None = None,
    ) -> ApprovalResult:
        """Publish a drafted verdict at the revision the approver saw (a second moderator's, when asked for).
        With `attach_media`, as it is published, the item's photo or video becomes its known media.

        A draft can be rewritten after someone looked at it: approval names the revision seen, and a
        draft that changed since (or an approval naming none) is not published but handed back to be
        looked at again.
        """
        self.moderation.authorize(actor, "approve", f"review:{item_id}")
        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            if item.draft_fact_check_id is None:
                raise ServiceError(f"Review item {item_id} has no verdict to approve yet; write one first.")
            fact_check = session.get(FactCheck, item.draft_fact_check_id)
            assert fact_check is not None and fact_check.id is not None
            draft = self._card(session, fact_check.id)
            if self.settings.require_second_approval and item.drafted_by == actor.label:
                detail = "same moderator as the author"
                record_audit(session, actor, "approve", f"review:{item_id}", False, detail)
                second = "a second moderator must approve this verdict"
                return ApprovalResult(False, draft, waiting_for=second)
            if revision is None:
                look = f"look at revision {draft.revision} of the draft, then approve that revision"
                return ApprovalResult(False, draft, waiting_for=look, review_again=True)
            # Compare-and-set, so a rewrite committed after the draft was read is not published either.
            published = session.execute(
                update(FactCheck)
                .where(
                    col(FactCheck.id) == fact_check.id,
                    col(FactCheck.revision) == revision,
                    col(FactCheck.status) == FactCheckStatus.DRAFT,
                )
                .values(status=FactCheckStatus.PUBLISHED, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            session.refresh(fact_check)
            if not published:
                current = self._card(session, fact_check.id)
                detail = f"the draft changed since revision {revision}; it is at revision {current.revision}"
                record_audit(session, actor, "approve", f"review:{item_id}", False, detail)
                changed = (
                    f"the draft changed since you saw it (you saw revision {revision}, it is now at "
                    f"revision {current.revision}); look at it again before approving"
                )
                return ApprovalResult(False, current, waiting_for=changed, review_again=True)
            item.status = ReviewStatus.ANSWERED
            item.fact_check_id = fact_check.id
            session.add(item)
            session.flush()
            card = self._card(session, fact_check.id)
            notified = answer_subscribers(session, item, card)
            detail = f"fact_check:{card.id} notified:{notified}"
            record_audit(session, actor, "approve", f"review:{item_id}", True, detail)
            factchecks.add_alias(session, card.id, item.text[:1000], actor.label)
            if attach_media is not None:
                attach_item_media(session, actor, item, card.id, attach_media)
            session.flush()
            self.catalogue.reindex(session, [card.id])
            return ApprovalResult(True, card, notified)

    def reject(self, actor: Actor, item_id: int, reason: str) -> None:
        self.moderation.authorize(actor, "reject", f"review:{item_id}")
        reason = clean_text(reason)
        if not reason:
            raise ServiceError("Say why the item is rejected (for example: not a checkable claim).")
        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            item.status = ReviewStatus.REJECTED
            item.reject_reason = reason[:1000]
            session.add(item)
            record_audit(session, actor, "reject", f"review:{item_id}", True, reason[:500])

    def revise(self, actor: Actor, fact_check_id: int, **changes: str) -> FactCheckCard:
        """Change a published fact-check: revision goes up, every sent answer is edited, subscribers told."""
        self.moderation.authorize(actor, "revise", f"fact_check:{fact_check_id}")
        with session_scope(self.engine) as session:
            fact_check = session.get(FactCheck, fact_check_id)
            if fact_check is None:
                raise NotFound(f"There is no fact-check {fact_check_id}.")
            if "rating" in changes:
                verdict = parse_verdict(changes["rating"])
                if verdict is None:
                    raise ServiceError(f"Unknown rating {changes['rating']!r}.")
                fact_check.rating = verdict.value
                fact_check.rating_text = changes["rating"]
                fact_check.rating_confirmed = True
            for name in ("summary", "claim", "title"):
                if changes.get(name):
                    setattr(fact_check, name, clean_text(changes[name]))
            fact_check.checked_at = utcnow().date()
            return self._new_revision(session, actor, fact_check, "revise", "")

    def rate(self, actor: Actor, fact_check_id: int, rating: str) -> FactCheckCard:
        """Give a fact-check without a rating (a CheckThat! claim, say) its verdict, as a moderator.

        Audited, and like a revision: sent replies are edited and subscribers told. A fact-check that
        has a verdict already is revised instead, so that a rating is never overwritten by mistake.
        """
        self.moderation.authorize(actor, "rate", f"fact_check:{fact_check_id}")
        verdict = parse_verdict(rating)
        if verdict is None or verdict is Verdict.UNRATED:
            names = ", ".join(v.value for v in Verdict if v is not Verdict.UNRATED)
            raise ServiceError(f"Unknown rating {rating[:40]!r}; use one of: {names}.")
        with session_scope(self.engine) as session:
            fact_check = session.get(FactCheck, fact_check_id)
            if fact_check is None or fact_check.status != FactCheckStatus.PUBLISHED:
                raise NotFound(f"There is no published fact-check {fact_check_id}.")
            current = parse_verdict(fact_check.rating) or Verdict.UNRATED
            if current is not Verdict.UNRATED:
                raise ServiceError(
                    f"Fact-check {fact_check_id} is rated {current.value} already; revise it to change that."
                )
            fact_check.rating, fact_check.rating_text = verdict.value, clean_text(rating)[:500]
            fact_check.rating_confirmed = True
            return self._new_revision(session, actor, fact_check, "rate", f"rating:{verdict.value} ")

    def _new_revision(
        self, session: Session, actor: Actor, fact_check: FactCheck, action: str, detail: str
    ) -> FactCheckCard:
        """A changed fact-check's next revision: sent answers edited, the change audited and indexed."""
        assert fact_check.id is not None
        fact_check.revision += 1
        fact_check.updated_at = utcnow()
        session.add(fact_check)
        session.flush()
        card = self._card(session, fact_check.id)
        edits = enqueue_revision(session, card)
        detail = f"{detail}revision:{card.revision} edits:{edits}"
        record_audit(session, actor, action, f"fact_check:{fact_check.id}", True, detail)
        self.catalogue.reindex(session, [fact_check.id])
        return card

    @staticmethod
    def _card(session: Session, fact_check_id: int) -> FactCheckCard:
        """The card of a fact-check this unit of work has just written (so it exists)."""
        card = factchecks.get_card(session, fact_check_id)
        assert card is not None
        return card
