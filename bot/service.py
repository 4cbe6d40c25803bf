"""Use cases of the bot: ask, pick a suggestion, subscribe, work the review queue, publish.

The service is synchronous and platform-free: adapters call it from a worker thread
(`asyncio.to_thread`) so matching and database work never block their event loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, delete, func, or_, select

from bot.config import Settings
from bot.domain import (
    REVIEW_KEY_PREFIX,
    REVIEW_ORIGIN,
    Actor,
    ApprovalResult,
    Asker,
    Candidate,
    Delivery,
    FactCheckCard,
    FactCheckRecord,
    ImportReport,
    NotAllowed,
    NotFound,
    Outcome,
    OutcomeKind,
    Question,
    RecordError,
    ReviewSummary,
    ServiceError,
    SourceRecord,
    Verdict,
    parse_verdict,
)
from bot.importers._common import importable, outlet_from_url
from bot.matching import (
    DEFAULT_THRESHOLDS,
    SEMANTIC_THRESHOLDS,
    Encoder,
    Match,
    MatchDocument,
    Matcher,
    Thresholds,
    question_similarity,
    semantic_available,
)
from bot.metrics import Metrics
from bot.text import clean_text
from store import embeddings, factchecks, outbox
from store.db import exclusive, make_engine, migrate, session_scope
from store.models import (
    Alias,
    AuditLog,
    BlockedAsker,
    FactCheck,
    FactCheckStatus,
    Moderator,
    Notification,
    Request,
    ReviewItem,
    ReviewStatus,
    SentReply,
    Subscription,
    utcnow,
)

log = logging.getLogger(__name__)

# The terminal user owns the database: neither throttled nor refused moderation rights.
LOCAL_PLATFORMS = ("cli", "terminal")
THROTTLED = "throttled"  # Request.outcome of a question refused by the rate limit
FACT_CHECKS_CHANNEL = "claimbot_factchecks"  # PostgreSQL NOTIFY channel: fact-checks changed
# What replaces a forgotten person's question where it was copied and nobody else's phrasing can.
WITHDRAWN = "(withdrawn: the person who asked this asked to be forgotten)"


class ExternalLookup(Protocol):
    """An outside source of fact-checks asked when nothing stored answers (bot/external.py)."""

    def search(self, text: str) -> list[FactCheckRecord]:
        """Fact-checks for a question; an empty list when the source is slow, down or has none."""


class ClaimService:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        matcher: Matcher | None = None,
        external: ExternalLookup | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.matcher = matcher or self._make_matcher(settings)
        self.external = external
        self.metrics = Metrics()
        self._index_lock = threading.Lock()
        self._indexed_until: datetime | None = None
        # Issue 8: one asker's questions are handled one at a time in this process, so the throttle's
        # count-then-store cannot let concurrent questions of one person all slip under the limit.
        self._asker_locks = [threading.Lock() for _ in range(256)]

    # ---------------------------------------------------------------- set-up

    @classmethod
    def open(cls, settings: Settings, *, load_index: bool = True) -> ClaimService:
        """Open (and on first use create and fill) the database, then build the match index."""
        engine = make_engine(settings.database_url)
        with exclusive(engine):  # workers starting together migrate and fill the store once
            migrate(engine)
            if cls._count(engine, FactCheck) == 0:
                cls(engine, settings, matcher=Matcher()).load_starter()
        external = None
        if settings.factcheck_api_key is not None:
            from bot.external import FactCheckToolsClient

            external = FactCheckToolsClient(settings)
        service = cls(engine, settings, matcher=cls._make_matcher(settings), external=external)
        if load_index:
            service.load_index()
        return service

    @staticmethod
    def _make_matcher(settings: Settings) -> Matcher:
        """Lexical by default; with CLAIMBOT_SEMANTIC, sentence embeddings too."""
        encoder = None
        if settings.semantic:
            if semantic_available():
                encoder = Encoder()
            else:
                log.warning(
                    "CLAIMBOT_SEMANTIC is set but onnxruntime or the model is missing; matching lexically"
                )
        base = DEFAULT_THRESHOLDS if encoder is None else SEMANTIC_THRESHOLDS
        thresholds = Thresholds(
            answer=settings.answer_threshold or base.answer,
            suggest=settings.suggest_threshold or base.suggest,
        )
        return Matcher(thresholds, encoder=encoder)

    @staticmethod
    def _count(engine: Engine, model: type[SQLModel]) -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(model)).one()

    def load_starter(self) -> ImportReport:
        from bot.importers import read_records, starter_path

        return self.import_records(read_records(starter_path()), index=False)

    def load_index(self) -> int:
        """Build the in-memory index from the store (published fact-checks and their aliases)."""
        started = utcnow()
        with session_scope(self.engine) as session:
            rows = list(factchecks.iter_index_rows(session))
            with self._index_lock:
                count = self._index_rows(session, rows)
                self._indexed_until = started
        return count

    def refresh_index(self) -> int:
        """Pick up fact-checks other processes added or changed since the last look; returns how many."""
        since = self._indexed_until
        if since is None:
            return self.load_index()
        # Overlap a little so a transaction committed just before `since` is not missed.
        started = utcnow()
        with session_scope(self.engine) as session:
            rows = list(factchecks.iter_index_rows(session, since=since - timedelta(seconds=2)))
            with self._index_lock:
                self._index_rows(session, rows)
                self._indexed_until = started
        return len(rows)

    def _reindex(self, session: Session, fact_check_ids: Iterable[int]) -> None:
        """Bring the index in line with the store for these fact-checks (after this process changed them)."""
        wanted = set(fact_check_ids)
        rows = list(factchecks.iter_index_rows(session, ids=wanted))
        self._index_rows(session, rows)
        for missing in wanted - {row.id for row in rows}:
            self.matcher.remove(missing)
        if wanted and session.get_bind().dialect.name == "postgresql":
            # Other workers LISTEN (bot/delivery.py); PostgreSQL delivers this when the transaction commits.
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": FACT_CHECKS_CHANNEL})

    def _index_rows(self, session: Session, rows: list[factchecks.IndexRow]) -> int:
        """Upsert published rows into the matcher (with stored embeddings), remove the others."""
        published = [row for row in rows if row.status == FactCheckStatus.PUBLISHED]
        for row in rows:
            if row.status != FactCheckStatus.PUBLISHED:
                self.matcher.remove(row.id)
        docs = [_document(row) for row in published]
        encoder = self.matcher.encoder
        if encoder is None or not docs:
            self.matcher.upsert_many(docs)
            return len(docs)
        stored = embeddings.load(session, encoder.name, {row.id: row.revision for row in published})
        missing = [index for index, row in enumerate(published) if row.id not in stored]
        if missing:
            # Encoding is slow (minutes for 14k claims on two cores): done once, then kept in the store.
            fresh = encoder.encode_documents([docs[i] for i in missing])
            embeddings.save(
                session,
                encoder.name,
                [
                    (published[i].id, published[i].revision, vector)
                    for i, vector in zip(missing, fresh, strict=True)
                ],
            )
            stored.update({published[i].id: vector for i, vector in zip(missing, fresh, strict=True)})
        self.matcher.upsert_many(docs, [stored[row.id] for row in published])
        return len(docs)

    # ---------------------------------------------------------------- asking

    def asker_hash(self, asker: Asker) -> str:
        salt = self.settings.asker_salt.get_secret_value()
        return hashlib.sha256(f"{salt}\x00{asker.platform}\x00{asker.user_id}".encode()).hexdigest()

    def ask(self, question: Question) -> Outcome:
        """Persist the question, match it, and answer, suggest or queue it."""
        started = time.perf_counter()
        stripe = hash((question.asker.platform, question.asker.user_id)) % len(self._asker_locks)
        with self._asker_locks[stripe]:  # issue 8: see __init__
            outcome = self._ask(question)
        if not outcome.duplicate:
            kind = outcome.reason if outcome.kind is OutcomeKind.REFUSED else outcome.kind.value
            self.metrics.observe(question.asker.platform, kind or "refused", time.perf_counter() - started)
        return outcome

    def _ask(self, question: Question) -> Outcome:
        text = clean_text(question.text)
        if not text:
            return Outcome(OutcomeKind.REFUSED, reason="empty")
        if len(text) > self.settings.max_question_chars:
            return Outcome(OutcomeKind.REFUSED, reason="too_long")
        asker_hash = self.asker_hash(question.asker)

        resume_id: int | None = None
        with Session(self.engine) as session:
            if question.event_key is not None:
                previous = self._request_for_event(session, question)
                if previous is not None and not self._needs_resume(previous):
                    return self._replay(session, previous)
                # Stored by an attempt that died before replying: finish it instead of dropping it.
                resume_id = previous.id if previous is not None else None
            if self._is_blocked(session, question.asker.platform, asker_hash):
                return Outcome(OutcomeKind.REFUSED, reason="blocked")
            # The terminal user owns the database; throttling protects chat platforms from floods.
            throttled = question.asker.platform not in LOCAL_PLATFORMS and self._is_throttled(
                session, question, asker_hash
            )
        if throttled and resume_id is None:
            with session_scope(self.engine) as session:
                request = self._new_request(question, asker_hash, text, THROTTLED)
                if not self._store_new(session, request):
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
                return Outcome(OutcomeKind.REFUSED, request.id, reason="throttled")
        return self._decide(question, asker_hash, text, resume_id)

    def _new_request(self, question: Question, asker_hash: str, text: str, outcome: str | None) -> Request:
        return Request(
            platform=question.asker.platform,
            event_key=question.event_key,
            chat_id=question.chat.chat_id,
            message_id=question.message_id,
            asker_hash=asker_hash,
            reply_to=question.chat.chat_id,
            text=text,
            outcome=outcome,
        )

    def _store_new(self, session: Session, request: Request) -> bool:
        """Insert a request; False when another worker stored the same platform event first."""
        try:
            with session.begin_nested():
                session.add(request)
        except IntegrityError:
            return False
        return True

    def _decide(self, question: Question, asker_hash: str, text: str, resume_id: int | None) -> Outcome:
        """Match the question, then store it with its outcome (answer, suggest, or queued) in one unit.

        Matching runs before the transaction so the database is held only for the writes; the
        request is committed before the adapter sends any reply.
        """
        matches = self._match(text)
        kind = OutcomeKind(self.matcher.decide(matches))
        if kind is not OutcomeKind.ANSWER and self._consult_external(text):
            # Outside results are stored like any fact-check and face the same thresholds.
            matches = self._match(text)
            kind = OutcomeKind(self.matcher.decide(matches))
        with session_scope(self.engine) as session:
            cards = _published(factchecks.get_cards(session, [m.fact_check_id for m in matches]))
            candidates = tuple(_candidate(m, cards) for m in matches if m.fact_check_id in cards)
            if not candidates:
                kind = OutcomeKind.QUEUED
            request = session.get(Request, resume_id) if resume_id is not None else None
            if request is None:
                request = self._new_request(question, asker_hash, text, kind.value)
                if not self._store_new(session, request):
                    # Another worker stored this very event first: it answers, we stay silent.
                    return Outcome(OutcomeKind.REFUSED, duplicate=True, reason="duplicate")
            request.outcome = kind.value
            request.score = candidates[0].score if candidates else None
            request.fact_check_id = candidates[0].fact_check.id if kind is OutcomeKind.ANSWER else None
            session.add(request)
            session.flush()
            assert request.id is not None
            if kind is OutcomeKind.ANSWER:
                return Outcome(kind, request.id, candidates[0].fact_check, candidates[:3])
            if kind is OutcomeKind.SUGGEST:
                return Outcome(kind, request.id, None, candidates[:3])
            if request.review_item_id is None:  # a resumed question was counted the first time
                self._queue(session, request, text)
            return Outcome(kind, request.id, None, candidates[:3], review_item_id=request.review_item_id)

    def _match(self, text: str) -> list[Match]:
        return self.matcher.match(text, top_k=5)

    def _consult_external(self, text: str) -> bool:
        """Ask the outside source and store what it returns; True when anything new was stored."""
        if self.external is None:
            return False
        try:
            records = self.external.search(text)
        except Exception:  # noqa: BLE001 - an outside failure must never cost the asker their answer
            log.warning("external fact-check lookup failed", exc_info=True)
            return False
        with Session(self.engine) as session:
            urls = [record.url for record in records]
            query = select(FactCheck.url).where(col(FactCheck.url).in_(urls), FactCheck.origin != "external")
            held_locally = set(session.exec(query).all())
        # Never overwrite a richer local copy (a publisher's page we imported) with the API's thin one.
        records = [record for record in records if record.url not in held_locally]
        if not records:
            return False
        report = self.import_records(records)
        return report.added + report.updated > 0

    def evaluate(self, text: str, top_k: int = 5) -> tuple[str, list[Candidate]]:
        """The decision and ranked candidates for a text, storing nothing (batch evaluation)."""
        candidates = self.search(text, top_k)
        matches = [Match(c.fact_check.id, c.score, c.phrasing, c.signals) for c in candidates]
        return self.matcher.decide(matches), candidates

    def search(self, text: str, top_k: int = 5) -> list[Candidate]:
        """Ranked fact-checks for a text, without storing anything (inline queries, moderators)."""
        text = clean_text(text)
        if not text:
            return []
        matches = self.matcher.match(text, top_k=top_k)
        with Session(self.engine) as session:
            cards = _published(factchecks.get_cards(session, [m.fact_check_id for m in matches]))
        return [_candidate(m, cards) for m in matches if m.fact_check_id in cards]

    def _request_for_event(self, session: Session, question: Question) -> Request | None:
        return session.exec(
            select(Request).where(
                Request.platform == question.asker.platform, Request.event_key == question.event_key
            )
        ).first()

    def _needs_resume(self, request: Request) -> bool:
        """A stored question never answered, old enough that no live worker is still on it."""
        if request.replied_at is not None or request.outcome == THROTTLED:
            return False
        return request.asked_at < utcnow() - timedelta(seconds=self.settings.resume_after_seconds)

    def replied(self, outcome: Outcome, platform: str, chat_id: str, message_id: str) -> None:
        """The platform accepted the reply to a question: mark it, and remember where an answer went."""
        if outcome.request_id is None:
            return
        with session_scope(self.engine) as session:
            request = session.get(Request, outcome.request_id, with_for_update=True)
            if request is not None:
                request.replied_at = utcnow()
                session.add(request)
        if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
            self.record_sent(platform, chat_id, message_id, outcome.fact_check, outcome.request_id)

    def _replay(self, session: Session, request: Request) -> Outcome:
        card = factchecks.get_card(session, request.fact_check_id) if request.fact_check_id else None
        if request.outcome in (None, THROTTLED):
            return Outcome(
                OutcomeKind.REFUSED, request.id, duplicate=True, reason=request.outcome or "duplicate"
            )
        kind = OutcomeKind(request.outcome)
        return Outcome(kind, request.id, card, review_item_id=request.review_item_id, duplicate=True)

    def _is_blocked(self, session: Session, platform: str, asker_hash: str) -> bool:
        return (
            session.exec(
                select(BlockedAsker.id).where(
                    BlockedAsker.platform == platform, BlockedAsker.asker_hash == asker_hash
                )
            ).first()
            is not None
        )

    def _is_throttled(self, session: Session, question: Question, asker_hash: str) -> bool:
        """A few questions a minute per asker, and a ceiling per chat (a group can't flood either)."""
        window_start = utcnow() - timedelta(minutes=1)
        recent = (
            select(func.count())
            .select_from(Request)
            .where(
                Request.platform == question.asker.platform,
                col(Request.asked_at) >= window_start,
                # Refused questions don't count, so a throttled asker is let back in after a minute.
                or_(col(Request.outcome).is_(None), col(Request.outcome) != THROTTLED),
            )
        )
        by_asker = session.exec(recent.where(Request.asker_hash == asker_hash)).one()
        if by_asker >= self.settings.questions_per_minute:
            return True
        if question.chat.is_private:
            return False
        by_chat = session.exec(recent.where(Request.chat_id == question.chat.chat_id)).one()
        return by_chat >= self.settings.chat_questions_per_minute

    def _queue(self, session: Session, request: Request, text: str) -> ReviewItem:
        """Fold the question onto an open review item asking the same thing, or open a new one."""
        item = self._similar_open_item(session, text)
        now = utcnow()
        if item is None:
            item = ReviewItem(
                community=self.settings.community, text=text, first_asked_at=now, last_asked_at=now
            )
            session.add(item)
            session.flush()
            self._notify_moderators(session, item)
        else:
            item.ask_count += 1
            item.last_asked_at = now
            session.add(item)
        request.review_item_id = item.id
        request.outcome = OutcomeKind.QUEUED.value
        session.add(request)
        return item

    def _similar_open_item(self, session: Session, text: str) -> ReviewItem | None:
        recent = session.exec(
            select(ReviewItem)
            .where(
                ReviewItem.community == self.settings.community,
                col(ReviewItem.status).in_([ReviewStatus.OPEN, ReviewStatus.DRAFTED]),
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

    def _notify_moderators(self, session: Session, item: ReviewItem) -> None:
        for platform, configured in (
            ("telegram", self.settings.telegram_moderator_chat),
            ("discord", self.settings.discord_review_channel),
        ):
            if configured is not None:
                outbox.enqueue(
                    session,
                    Notification(
                        platform=platform,
                        kind="review",
                        target=str(configured),
                        review_item_id=item.id,
                        dedupe_key=f"review:{platform}:{item.id}",
                    ),
                )

    def choose(self, request_id: int, fact_check_id: int, asker: Asker) -> Outcome:
        """The asker picked one of the suggested fact-checks."""
        with session_scope(self.engine) as session:
            request = self._own_request(session, request_id, asker, "choose")
            card = factchecks.get_card(session, fact_check_id)
            if card is None or card.status != FactCheckStatus.PUBLISHED:
                raise NotFound("That fact-check is no longer available.")
            request.fact_check_id = fact_check_id
            request.outcome = OutcomeKind.ANSWER.value
            session.add(request)
            return Outcome(OutcomeKind.ANSWER, request_id, card, (Candidate(card, request.score or 0.0),))

    def not_what_i_asked(self, request_id: int, asker: Asker) -> Outcome:
        """The answer or suggestions missed the point: queue the question for people to review."""
        with session_scope(self.engine) as session:
            request = self._own_request(session, request_id, asker, "not_what_i_asked")
            if request.review_item_id is not None:
                return Outcome(OutcomeKind.QUEUED, request_id, review_item_id=request.review_item_id)
            request.fact_check_id = None
            item = self._queue(session, request, request.text)
            return Outcome(OutcomeKind.QUEUED, request_id, review_item_id=item.id)

    def _own_request(self, session: Session, request_id: int, asker: Asker, action: str) -> Request:
        """The asker's own question; anyone else's is refused, and the attempt audited."""
        request = session.get(Request, request_id)
        if request is not None and request.asker_hash == self.asker_hash(asker):
            return request
        if request is not None:
            # Buttons can be pressed by anyone in a group, and request ids are sequential, so button data
            # naming someone else's question is easy to forge: recorded like a refused moderator action.
            actor = Actor(asker.platform, asker.user_id)
            self.audit_refusal(actor, action, f"request:{request_id}", "not the person who asked")
        raise NotAllowed("Only the person who asked can use this button.")

    def subscribe(self, asker: Asker, reply_to: str, request_id: int) -> bool:
        """Notify the asker when the question's review item gets a verdict or its fact-check is revised.

        Only the person who asked may subscribe to a question: the answer to a private question
        reaches nobody else.
        """
        with session_scope(self.engine) as session:
            if session.get(Request, request_id) is None:
                raise NotFound("That question is no longer stored.")
            request = self._own_request(session, request_id, asker, "subscribe")
            asker_hash = request.asker_hash
            review_item_id, fact_check_id = request.review_item_id, request.fact_check_id
            item = session.get(ReviewItem, review_item_id) if review_item_id is not None else None
            answered = item is not None and item.status == ReviewStatus.ANSWERED and item.fact_check_id
            if item is not None and not answered:
                fact_check_id = None  # waiting for the verdict; it comes through the review item
            else:
                # Answered already (perhaps moments ago): follow the fact-check itself.
                review_item_id = None
                fact_check_id = item.fact_check_id if item is not None else fact_check_id
            if review_item_id is None and fact_check_id is None:
                raise ServiceError(
                    "Pick one of the suggestions first, or send the question to our reviewers."
                )
            subscription = Subscription(
                platform=asker.platform,
                asker_hash=asker_hash,
                reply_to=reply_to,
                review_item_id=review_item_id,
                fact_check_id=fact_check_id,
                request_id=request.id,
            )
            exists = session.exec(
                select(Subscription.id).where(
                    Subscription.platform == subscription.platform,
                    Subscription.asker_hash == asker_hash,
                    Subscription.review_item_id == subscription.review_item_id,
                    Subscription.fact_check_id == subscription.fact_check_id,
                )
            ).first()
            if exists is not None:
                return False
            session.add(subscription)
            if item is not None and answered and fact_check_id is not None:
                card = factchecks.get_card(session, fact_check_id)
                if card is not None:
                    self._enqueue_answer(session, subscription, card)  # the verdict they missed
            return True

    def record_sent(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        fact_check: FactCheckCard,
        request_id: int | None = None,
    ) -> None:
        """Remember where an answer was posted so a revision can edit it in place."""
        with session_scope(self.engine) as session:
            existing = session.exec(
                select(SentReply).where(
                    SentReply.platform == platform,
                    SentReply.chat_id == chat_id,
                    SentReply.message_id == message_id,
                )
            ).first()
            sent = existing or SentReply(
                platform=platform, chat_id=chat_id, message_id=message_id, fact_check_id=0
            )
            sent.fact_check_id = fact_check.id
            sent.revision = fact_check.revision
            if request_id is not None:
                # Locked so a concurrent /forget waits for us; gone when /forget came first, and then
                # where the reply went is not theirs to keep either.
                if session.get(Request, request_id, with_for_update=True) is None:
                    return
                sent.request_id = request_id
            session.add(sent)

    def sent_reply(self, platform: str, chat_id: str, message_id: str) -> SentReply | None:
        with Session(self.engine) as session:
            return session.exec(
                select(SentReply).where(
                    SentReply.platform == platform,
                    SentReply.chat_id == chat_id,
                    SentReply.message_id == message_id,
                )
            ).first()

    def mark_pinned(self, actor: Actor, chat_id: str, message_id: str) -> None:
        with session_scope(self.engine) as session:
            sent = session.exec(
                select(SentReply).where(
                    SentReply.platform == actor.platform,
                    SentReply.chat_id == chat_id,
                    SentReply.message_id == message_id,
                )
            ).first()
            if sent is None:
                raise NotFound("Only ClaimBot's answers can be pinned.")
            sent.pinned = True
            session.add(sent)
            self._audit(session, actor, "pin", f"message:{chat_id}:{message_id}", True)

    def forget(self, asker: Asker) -> int:
        """Delete everything stored about a person as an asker; returns how many questions and subscriptions.

        Their questions and subscriptions go, and so does every copy of their words: a review item's
        text becomes another asker's phrasing (or a neutral placeholder, and an open item nobody else
        asked is closed), aliases made from their questions are deleted, and a fact-check whose claim
        or title was their question is revised to the same replacement. The outbox forgets their
        chats (answers, edits, delivered or not) and the sent replies in their private chats go. Kept:
        a block (forgetting must not lift it), the audit log, and a group's pinned answer to their
        question, which belongs to the group and no longer points to them.
        """
        asker_hash = self.asker_hash(asker)
        platform = asker.platform
        with session_scope(self.engine) as session:
            # Locked, so a reply being recorded for one of these questions waits for us, then finds it gone.
            requests = session.exec(
                select(Request)
                .where(Request.platform == platform, Request.asker_hash == asker_hash)
                .with_for_update()
            ).all()
            # Their review items next, before any subscription: approving and linking lock an item, then
            # its subscriptions, and taking them in the same order keeps the two from deadlocking.
            item_ids = sorted({r.review_item_id for r in requests if r.review_item_id is not None})
            session.exec(
                select(ReviewItem.id)
                .where(col(ReviewItem.id).in_(item_ids))
                .order_by(col(ReviewItem.id))
                .with_for_update()
            ).all()
            subscriptions = session.exec(
                select(Subscription).where(
                    Subscription.platform == platform, Subscription.asker_hash == asker_hash
                )
            ).all()
            request_ids = [r.id for r in requests if r.id is not None]
            # Their chats: where their notifications go, and their private chat with the bot, whose id is
            # their own on Telegram (no Discord channel has a user's id, so looking for it there is harmless).
            chats = {asker.user_id, *(s.reply_to for s in subscriptions)}
            messages = self._forget_sent_replies(session, platform, request_ids, chats)
            self._forget_notifications(session, platform, chats, messages)
            for subscription in subscriptions:
                session.delete(subscription)
            session.flush()
            revised, aliased = self._forget_words(session, requests, request_ids)
            for row in session.exec(
                select(Subscription).where(col(Subscription.request_id).in_(request_ids))
            ):  # someone else's subscription made on their question
                row.request_id = None
                session.add(row)
            session.flush()
            session.exec(delete(Request).where(col(Request.id).in_(request_ids)))
            session.flush()
            for fact_check_id in sorted(revised):
                card = factchecks.get_card(session, fact_check_id)
                if card is not None and card.status == FactCheckStatus.PUBLISHED:
                    self.enqueue_revision(session, card)  # sent copies elsewhere lose their words too
            self._reindex(session, revised | aliased)
            return len(subscriptions) + len(request_ids)

    def _forget_sent_replies(
        self, session: Session, platform: str, request_ids: list[int], chats: set[str]
    ) -> set[str]:
        """Drop where answers went in their chats and to their questions; returns each "chat:message"."""
        rows = session.exec(
            select(SentReply).where(
                SentReply.platform == platform,
                or_(col(SentReply.request_id).in_(request_ids), col(SentReply.chat_id).in_(chats)),
            )
        ).all()
        dropped = set()
        for row in rows:
            if row.pinned and row.chat_id not in chats:
                # Pinned in a group: the group's answer, still edited on revision, no longer tied to them.
                row.request_id = None
                session.add(row)
            else:
                dropped.add(f"{row.chat_id}:{row.message_id}")
                session.delete(row)
        return dropped

    def _forget_notifications(
        self, session: Session, platform: str, chats: set[str], messages: set[str]
    ) -> None:
        """Delete answers to their chats and edits of messages there, sent or not (targets and dedupe keys
        name their chat): nothing pending reaches them after they asked to be forgotten."""
        session.exec(
            delete(Notification).where(
                col(Notification.platform) == platform,
                col(Notification.kind).in_(("answer", "edit")),
                or_(
                    col(Notification.target).in_(chats | messages),
                    *(col(Notification.target).startswith(f"{chat}:", autoescape=True) for chat in chats),
                ),
            )
        )

    def _forget_words(
        self, session: Session, requests: Sequence[Request], request_ids: list[int]
    ) -> tuple[set[int], set[int]]:
        """Replace their words where questions were copied; returns (fact-checks revised, aliases removed)."""
        words = {r.text for r in requests}
        revised: set[int] = set()
        for item_id in sorted({r.review_item_id for r in requests if r.review_item_id is not None}):
            item = session.get(ReviewItem, item_id)  # locked by forget()
            if item is None:
                continue
            other_phrasing = session.exec(
                select(Request.text)
                .where(Request.review_item_id == item_id, col(Request.id).not_in(request_ids))
                .order_by(col(Request.id))
            ).first()
            replacement = other_phrasing or WITHDRAWN
            if item.text in words:
                item.text = replacement
            if other_phrasing is None and item.status == ReviewStatus.OPEN:
                item.status = ReviewStatus.REJECTED  # nobody else asked: nothing is left to review
                item.reject_reason = WITHDRAWN
            session.add(item)
            for fact_check_id in {item.draft_fact_check_id, item.fact_check_id} - {None}:
                fact_check = session.get(FactCheck, fact_check_id)
                if fact_check is None or not {fact_check.claim, fact_check.title} & words:
                    continue
                # A verdict's claim and title default to the question; an approver must look again.
                fact_check.claim = replacement if fact_check.claim in words else fact_check.claim
                fact_check.title = replacement if fact_check.title in words else fact_check.title
                fact_check.revision += 1
                fact_check.updated_at = utcnow()
                session.add(fact_check)
                revised.add(fact_check_id)
        # Words someone else asked too are theirs as well, and stay.
        shared = set(
            session.exec(
                select(Request.text).where(col(Request.text).in_(words), col(Request.id).not_in(request_ids))
            ).all()
        )
        aliased: set[int] = set()
        for alias in session.exec(
            select(Alias).where(col(Alias.text).in_({w[:1000] for w in words - shared}))
        ):
            aliased.add(alias.fact_check_id)
            session.delete(alias)
        for fact_check_id in aliased - revised:
            fact_check = session.get(FactCheck, fact_check_id)
            if fact_check is not None:
                fact_check.updated_at = utcnow()  # other workers' indexes drop the alias too
                session.add(fact_check)
        return revised, aliased

    def purge_requests(self, older_than: timedelta) -> int:
        """Delete questions older than the retention period (review items keep their counts)."""
        cutoff = utcnow() - older_than
        with session_scope(self.engine) as session:
            old = select(Request.id).where(col(Request.asked_at) < cutoff)
            for model in (SentReply, Subscription):
                for row in session.exec(select(model).where(col(model.request_id).in_(old))):
                    row.request_id = None
                    session.add(row)
            session.flush()
            return session.exec(delete(Request).where(col(Request.asked_at) < cutoff)).rowcount

    def metrics_text(self) -> str:
        """Prometheus exposition of this worker's counters and the shared queue gauges."""
        return self.metrics.render(
            {
                "claimbot_review_queue_length": ("Open review items.", self.open_review_count),
                "claimbot_notification_backlog": ("Notifications waiting for delivery.", self.outbox_backlog),
                "claimbot_fact_checks_indexed": ("Fact-checks in this worker's index.", self.matcher.__len__),
            }
        )

    def open_review_count(self) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).select_from(ReviewItem)
            statuses = [ReviewStatus.OPEN, ReviewStatus.DRAFTED]
            return session.exec(query.where(col(ReviewItem.status).in_(statuses))).one()

    def healthy(self) -> bool:
        """The database answers a trivial query."""
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(FactCheck)).one() >= 0

    def fact_check(self, fact_check_id: int) -> FactCheckCard | None:
        with Session(self.engine) as session:
            return factchecks.get_card(session, fact_check_id)

    # ---------------------------------------------------------------- moderators

    def is_moderator(self, actor: Actor) -> bool:
        if actor.platform == "cli" or actor.platform_admin:
            return True
        with Session(self.engine) as session:
            return (
                session.exec(
                    select(Moderator.id).where(
                        Moderator.platform == actor.platform,
                        Moderator.user_id == actor.user_id,
                        Moderator.community == actor.community,
                    )
                ).first()
                is not None
            )

    def authorize(self, actor: Actor, action: str, target: str = "") -> None:
        """Raise NotAllowed (and audit the attempt) unless the actor may moderate."""
        if self.is_moderator(actor) and actor.community == self.settings.community:
            return
        with session_scope(self.engine) as session:
            self._audit(session, actor, action, target, False, "not a moderator of this community")
        raise NotAllowed("Sorry, only this community's moderators can do that.")

    def audit_refusal(self, actor: Actor, action: str, target: str = "", detail: str | None = None) -> None:
        """Record a refused attempt the adapter caught itself (forged button data, no pin rights)."""
        with session_scope(self.engine) as session:
            self._audit(session, actor, action, target[:200], False, (detail or "")[:500] or None)

    def add_moderator(self, actor: Actor, platform: str, user_id: str, role: str = "moderator") -> None:
        self.authorize(actor, "add_moderator", f"{platform}:{user_id}")
        with session_scope(self.engine) as session:
            exists = session.exec(
                select(Moderator).where(
                    Moderator.platform == platform,
                    Moderator.user_id == user_id,
                    Moderator.community == self.settings.community,
                )
            ).first()
            if exists is None:
                session.add(
                    Moderator(
                        platform=platform, user_id=user_id, community=self.settings.community, role=role
                    )
                )
            self._audit(session, actor, "add_moderator", f"{platform}:{user_id}", True, role)

    def remove_moderator(self, actor: Actor, platform: str, user_id: str) -> bool:
        self.authorize(actor, "remove_moderator", f"{platform}:{user_id}")
        with session_scope(self.engine) as session:
            removed = session.exec(
                delete(Moderator).where(
                    col(Moderator.platform) == platform,
                    col(Moderator.user_id) == user_id,
                    col(Moderator.community) == self.settings.community,
                )
            ).rowcount
            self._audit(session, actor, "remove_moderator", f"{platform}:{user_id}", True)
            return bool(removed)

    def moderators(self, actor: Actor) -> list[Moderator]:
        self.authorize(actor, "moderators")
        with Session(self.engine) as session:
            query = select(Moderator).where(Moderator.community == self.settings.community)
            return list(session.exec(query.order_by(col(Moderator.id))).all())

    def queue(self, actor: Actor, limit: int = 20, status: str | None = None) -> list[ReviewSummary]:
        """Open review items, most asked first, then most recent."""
        self.authorize(actor, "queue")
        statuses = [status] if status else [ReviewStatus.OPEN, ReviewStatus.DRAFTED]
        with Session(self.engine) as session:
            items = session.exec(
                select(ReviewItem)
                .where(ReviewItem.community == self.settings.community, col(ReviewItem.status).in_(statuses))
                .order_by(col(ReviewItem.ask_count).desc(), col(ReviewItem.last_asked_at).desc())
                .limit(limit)
            ).all()
            return [self._summary(session, item, with_suggestions=False) for item in items]

    def review_item(self, actor: Actor, item_id: int) -> ReviewSummary:
        self.authorize(actor, "show", f"review:{item_id}")
        with Session(self.engine) as session:
            return self._summary(session, self._item(session, item_id), with_suggestions=True)

    def review_for_delivery(self, item_id: int) -> ReviewSummary:
        with Session(self.engine) as session:
            return self._summary(session, self._item(session, item_id), with_suggestions=True)

    def _item(self, session: Session, item_id: int) -> ReviewItem:
        item = session.get(ReviewItem, item_id)
        if item is None or item.community != self.settings.community:
            raise NotFound(f"There is no review item {item_id}.")
        return item

    def _summary(self, session: Session, item: ReviewItem, *, with_suggestions: bool) -> ReviewSummary:
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
            matches = self.matcher.match(item.text, top_k=3)
            cards = factchecks.get_cards(session, [m.fact_check_id for m in matches])
            suggestions = tuple(_candidate(m, cards) for m in matches if m.fact_check_id in cards)
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
        )

    def link(self, actor: Actor, item_id: int, fact_check_id: int) -> FactCheckCard:
        """Answer a review item with an existing fact-check; its questions become aliases."""
        self.authorize(actor, "link", f"review:{item_id}")
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
            item.status = ReviewStatus.ANSWERED
            item.fact_check_id = fact_check_id
            session.add(item)
            notified = self._answer_subscribers(session, item, card)
            self._audit(
                session,
                actor,
                "link",
                f"review:{item_id}",
                True,
                f"fact_check:{fact_check_id} notified:{notified}",
            )
            session.flush()
            self._reindex(session, [fact_check_id])
            return card

    def _open_item(self, session: Session, item_id: int) -> ReviewItem:
        # Row-locked until commit (PostgreSQL): moderators on two workers acting on one item take turns,
        # and the second one sees the first one's outcome instead of publishing again.
        session.get(ReviewItem, item_id, with_for_update=True, populate_existing=True)
        item = self._item(session, item_id)
        if item.status in (ReviewStatus.ANSWERED, ReviewStatus.REJECTED):
            raise ServiceError(f"Review item {item_id} is already {item.status}.")
        return item

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
        self.authorize(actor, "verdict", f"review:{item_id}")
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
            self._audit(
                session, actor, "verdict", f"review:{item_id}", True, f"{verdict.value}: {summary[:200]}"
            )
            session.flush()
            assert fact_check.id is not None
            card = factchecks.get_card(session, fact_check.id)
            assert card is not None
            return card

    def approve(self, actor: Actor, item_id: int, revision: int | None = None) -> ApprovalResult:
        """Publish a drafted verdict at the revision the approver saw (a second moderator's, when asked for).

        A draft can be rewritten after someone looked at it: approval names the revision seen, and a
        draft that changed since (or an approval naming none) is not published but handed back to be
        looked at again.
        """
        self.authorize(actor, "approve", f"review:{item_id}")
        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            if item.draft_fact_check_id is None:
                raise ServiceError(f"Review item {item_id} has no verdict to approve yet; write one first.")
            fact_check = session.get(FactCheck, item.draft_fact_check_id)
            assert fact_check is not None and fact_check.id is not None
            draft = factchecks.get_card(session, fact_check.id)
            assert draft is not None
            if self.settings.require_second_approval and item.drafted_by == actor.label:
                self._audit(
                    session, actor, "approve", f"review:{item_id}", False, "same moderator as the author"
                )
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
                current = factchecks.get_card(session, fact_check.id)
                assert current is not None
                detail = f"the draft changed since revision {revision}; it is at revision {current.revision}"
                self._audit(session, actor, "approve", f"review:{item_id}", False, detail)
                changed = (
                    f"the draft changed since you saw it (you saw revision {revision}, it is now at "
                    f"revision {current.revision}); look at it again before approving"
                )
                return ApprovalResult(False, current, waiting_for=changed, review_again=True)
            item.status = ReviewStatus.ANSWERED
            item.fact_check_id = fact_check.id
            session.add(item)
            session.flush()
            card = factchecks.get_card(session, fact_check.id)
            assert card is not None
            notified = self._answer_subscribers(session, item, card)
            self._audit(
                session,
                actor,
                "approve",
                f"review:{item_id}",
                True,
                f"fact_check:{card.id} notified:{notified}",
            )
            for text in {item.text}:
                factchecks.add_alias(session, card.id, text[:1000], actor.label)
            session.flush()
            self._reindex(session, [card.id])
            return ApprovalResult(True, card, notified)

    def reject(self, actor: Actor, item_id: int, reason: str) -> None:
        self.authorize(actor, "reject", f"review:{item_id}")
        reason = clean_text(reason)
        if not reason:
            raise ServiceError("Say why the item is rejected (for example: not a checkable claim).")
        with session_scope(self.engine) as session:
            item = self._open_item(session, item_id)
            item.status = ReviewStatus.REJECTED
            item.reject_reason = reason[:1000]
            session.add(item)
            self._audit(session, actor, "reject", f"review:{item_id}", True, reason[:500])

    def revise(self, actor: Actor, fact_check_id: int, **changes: str) -> FactCheckCard:
        """Change a published fact-check: revision goes up, every sent answer is edited, subscribers told."""
        self.authorize(actor, "revise", f"fact_check:{fact_check_id}")
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
            fact_check.revision += 1
            fact_check.updated_at = utcnow()
            fact_check.checked_at = utcnow().date()
            session.add(fact_check)
            session.flush()
            card = factchecks.get_card(session, fact_check_id)
            assert card is not None
            edits = self.enqueue_revision(session, card)
            self._audit(
                session,
                actor,
                "revise",
                f"fact_check:{fact_check_id}",
                True,
                f"revision:{card.revision} edits:{edits}",
            )
            self._reindex(session, [fact_check_id])
            return card

    def enqueue_revision(self, session: Session, card: FactCheckCard) -> int:
        """Put an edit in the outbox for every message that carried this fact-check, and tell subscribers."""
        count = 0
        for sent in session.exec(select(SentReply).where(SentReply.fact_check_id == card.id)):
            count += outbox.enqueue(
                session,
                Notification(
                    platform=sent.platform,
                    kind="edit",
                    target=f"{sent.chat_id}:{sent.message_id}",
                    fact_check_id=card.id,
                    revision=card.revision,
                    dedupe_key=f"edit:{sent.platform}:{sent.chat_id}:{sent.message_id}:{card.id}:{card.revision}",
                ),
            )
        for subscription in session.exec(select(Subscription).where(Subscription.fact_check_id == card.id)):
            count += self._enqueue_answer(session, subscription, card)
        return count

    def _answer_subscribers(self, session: Session, item: ReviewItem, card: FactCheckCard) -> int:
        count = 0
        for subscription in session.exec(select(Subscription).where(Subscription.review_item_id == item.id)):
            count += self._enqueue_answer(session, subscription, card)
            # Keep them subscribed to later revisions of the verdict they waited for.
            subscription.fact_check_id = card.id
            session.add(subscription)
        return count

    def _enqueue_answer(self, session: Session, subscription: Subscription, card: FactCheckCard) -> bool:
        return outbox.enqueue(
            session,
            Notification(
                platform=subscription.platform,
                kind="answer",
                target=subscription.reply_to,
                fact_check_id=card.id,
                revision=card.revision,
                dedupe_key=f"answer:{subscription.platform}:{subscription.reply_to}:{card.id}:{card.revision}",
            ),
        )

    def block(self, actor: Actor, asker: Asker) -> None:
        """Drop a person's future questions silently; they are never shown to reviewers."""
        self.authorize(actor, "block", f"asker:{asker.platform}")
        asker_hash = self.asker_hash(asker)
        with session_scope(self.engine) as session:
            exists = session.exec(
                select(BlockedAsker.id).where(
                    BlockedAsker.platform == asker.platform, BlockedAsker.asker_hash == asker_hash
                )
            ).first()
            if exists is None:
                session.add(
                    BlockedAsker(platform=asker.platform, asker_hash=asker_hash, blocked_by=actor.label)
                )
            self._audit(session, actor, "block", f"asker:{asker_hash[:12]}", True)

    def _audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        target: str,
        allowed: bool,
        detail: str | None = None,
    ) -> None:
        session.add(AuditLog(actor=actor.label, action=action, target=target, allowed=allowed, detail=detail))

    def audit_log(self, limit: int = 100) -> list[AuditLog]:
        with Session(self.engine) as session:
            return list(session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)).all())

    # ---------------------------------------------------------------- outbox

    def claim_deliveries(self, platform: str, limit: int = 20) -> list[Delivery]:
        """Lease due notifications for an adapter to deliver."""
        with session_scope(self.engine) as session:
            rows = outbox.claim(session, platform, limit, self.outbox_lease)
            deliveries = []
            for row in rows:
                assert row.id is not None
                card = factchecks.get_card(session, row.fact_check_id) if row.fact_check_id else None
                review = None
                if row.review_item_id is not None:
                    item = session.get(ReviewItem, row.review_item_id)
                    review = self._summary(session, item, with_suggestions=True) if item else None
                deliveries.append(Delivery(row.id, row.kind, row.target, card, review, row.attempts))
            return deliveries

    @property
    def outbox_lease(self) -> timedelta:
        return timedelta(seconds=self.settings.outbox_lease_seconds)

    def renew_lease(self, delivery: Delivery) -> bool:
        """Keep a notification being sent leased; False when another worker has claimed it since."""
        with session_scope(self.engine) as session:
            return outbox.renew(session, delivery.id, delivery.attempts, self.outbox_lease)

    def delivered(self, delivery: Delivery) -> bool:
        """Record a delivery; False when this claim no longer held the notification (recorded anyway)."""
        with session_scope(self.engine) as session:
            held = outbox.mark_delivered(session, delivery.id, delivery.attempts)
        if not held:
            log.warning(
                "notification %s was delivered after this worker lost its claim (another worker "
                "re-claimed it when the lease ran out, or it was cancelled); it may arrive twice",
                delivery.id,
            )
        return held

    def delivery_failed(self, delivery: Delivery, error: str, *, permanent: bool = False) -> str:
        with session_scope(self.engine) as session:
            status = outbox.mark_failed(session, delivery.id, delivery.attempts, error, permanent=permanent)
        log.warning("notification %s failed (%s): %s", delivery.id, status, error)
        return status

    def outbox_backlog(self) -> int:
        with Session(self.engine) as session:
            return outbox.backlog(session)

    # ---------------------------------------------------------------- import / export

    def import_records(
        self, records: Iterable[FactCheckRecord | RecordError], *, index: bool = True
    ) -> ImportReport:
        """Upsert parsed records by URL in batches; errors are collected, the rest is stored.

        Every import (files, pages and feeds, saved sources, the fact-check API) comes through here, so
        here each record passes `importable` and a fact-check the review workflow wrote is left alone.
        """
        report = ImportReport()
        batch: list[FactCheckRecord] = []

        postgres = self.engine.dialect.name == "postgresql"
        analyzed_at = 0

        def flush() -> None:
            if not batch:
                return
            with session_scope(self.engine) as session:
                if postgres:
                    # Imports are idempotent by URL: a batch lost to a server crash is re-imported,
                    # so there is no need to wait for each commit to reach the disk.
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                results = factchecks.upsert_records(session, batch, protected_origins=(REVIEW_ORIGIN,))
                session.flush()
                for record, result in zip(batch, results, strict=True):
                    if result.protected:
                        report.skipped += 1
                        reason = (
                            f"skipped: {record.url[:80]} is the review workflow's; imports never change it"
                        )
                        report.notices.append(RecordError(record.file, record.line, reason))
                    elif result.created:
                        report.added += 1
                    elif result.changed:
                        report.updated += 1
                        # A re-imported fact-check that changed is a revision: edit what was sent.
                        assert result.fact_check is not None
                        self.enqueue_revision(session, factchecks.to_card(result.fact_check, []))
                    else:
                        report.skipped += 1
                if index:
                    self._reindex(session, [r.fact_check_id for r in results if r.changed])
            batch.clear()

        for record in records:
            item = record if isinstance(record, RecordError) else importable(record)
            if isinstance(item, RecordError):
                report.errors.append(item)
                continue
            batch.append(item)
            if len(batch) >= 1000:
                flush()
                if postgres and report.added - analyzed_at >= 50_000:
                    self._analyze()  # keeps the URL look-up on its index as the table grows
                    analyzed_at = report.added
        flush()
        if postgres and report.added >= 10_000:
            self._analyze()
        return report

    def _analyze(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(text("ANALYZE factcheck"))
            session.execute(text("ANALYZE source"))

    def published(self) -> list[FactCheckCard]:
        with Session(self.engine) as session:
            ids = session.exec(
                select(FactCheck.id)
                .where(FactCheck.status == FactCheckStatus.PUBLISHED)
                .order_by(col(FactCheck.id))
            ).all()
            cards = factchecks.get_cards(session, [i for i in ids if i is not None])
            return [cards[i] for i in ids if i in cards]


def _document(row: factchecks.IndexRow) -> MatchDocument:
    return MatchDocument(row.id, row.claim, row.title, row.summary, row.aliases)


def _published(cards: dict[int, FactCheckCard]) -> dict[int, FactCheckCard]:
    """Only published fact-checks reach askers, whatever a worker's index holds for a moment."""
    return {i: card for i, card in cards.items() if card.status == FactCheckStatus.PUBLISHED}


def _candidate(match: Match, cards: dict[int, FactCheckCard]) -> Candidate:
    return Candidate(cards[match.fact_check_id], match.score, match.phrasing, dict(match.signals))
