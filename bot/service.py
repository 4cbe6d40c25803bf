"""ClaimService: the one object adapters and the CLI hold. It opens the store, builds the match index
and wires the use cases (bot/usecases/, one module each); every method hands over to one of them.

The service is synchronous and platform-free: adapters call it from a worker thread
(`asyncio.to_thread`) so matching and database work never block their event loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Engine

from bot.config import Settings
from bot.domain import (
    Actor,
    ApprovalResult,
    Asker,
    Authenticity,
    Candidate,
    CataloguePage,
    Delivery,
    FactCheckCard,
    FactCheckDetail,
    FactCheckRecord,
    FeedbackTally,
    FullReport,
    ImportReport,
    MediaFile,
    Outcome,
    Question,
    Reason,
    RecordError,
    ReviewSummary,
    SearchHit,
    Vote,
)
from bot.matching import Encoder, Matcher
from bot.usecases.asking import Asking, ExternalLookup
from bot.usecases.browsing import Browsing
from bot.usecases.catalogue import FACT_CHECKS_CHANNEL, Catalogue, make_matcher
from bot.usecases.confirming import Confirming
from bot.usecases.delivery import Outbox
from bot.usecases.embedding import BackgroundEncoder, IndexReport, index_vectors, store_starter_vectors
from bot.usecases.feedback import Feedback
from bot.usecases.following_up import FollowingUp
from bot.usecases.metrics import Metrics, database_healthy
from bot.usecases.moderation import Moderation
from bot.usecases.privacy import Privacy, asker_hash
from bot.usecases.reports import Reports
from bot.usecases.review import Review
from bot.usecases.starter import Starter
from store.db import exclusive, make_engine, migrate
from store.models import AuditLog, Moderator, SentReply

# FACT_CHECKS_CHANNEL is what the service built next gives its catalogue to NOTIFY on.
__all__ = ["FACT_CHECKS_CHANNEL", "ClaimService"]


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
        self.matcher = matcher or make_matcher(settings)
        self.external = external
        self.metrics = Metrics()
        # The module's channel, read as the service is built: a test can give its processes one of their own.
        self.catalogue = Catalogue(engine, self.matcher, FACT_CHECKS_CHANNEL)
        self.moderation = Moderation(engine, settings)
        self.privacy = Privacy(engine, settings, self.catalogue)
        self.review = Review(engine, settings, self.matcher, self.moderation, self.catalogue)
        self.outbox = Outbox(engine, settings, self.review)
        self.browsing = Browsing(engine, self.matcher, self.moderation)
        self.starter = Starter(engine, self.moderation, self.catalogue)
        self.asking = Asking(
            engine,
            settings,
            self.matcher,
            self.metrics,
            self.catalogue,
            self.moderation,
            self.review,
            self.outbox,
            external,
        )
        self.feedback = Feedback(engine, settings, self.moderation, self.review)
        self.reports = Reports(engine)
        self.following_up = FollowingUp(engine, settings, self.moderation, self.review)
        self.confirming = Confirming(engine, self.review, self.asking._own_request)

    @classmethod
    def open(cls, settings: Settings, *, load_index: bool = True) -> ClaimService:
        """Open (and on first use create and fill) the database, then build the match index."""
        engine = make_engine(settings.database_url)
        with exclusive(engine):  # workers starting together migrate and fill the store once
            migrate(engine)
            catalogue = Catalogue(engine, Matcher())
            if settings.starter and catalogue.is_empty():
                catalogue.load_starter()
                store_starter_vectors(engine)
        external = None
        if settings.factcheck_api_key is not None:
            from bot.external import FactCheckToolsClient

            external = FactCheckToolsClient(settings)
        service = cls(engine, settings, matcher=make_matcher(settings), external=external)
        if load_index:
            service.load_index()
        return service

    # ---------------------------------------------------------------- asking (bot/usecases/asking.py)

    def ask(self, question: Question) -> Outcome:
        return self.asking.ask(question)

    def evaluate(self, text: str, top_k: int = 5) -> tuple[str, list[Candidate]]:
        return self.asking.evaluate(text, top_k)

    def search(self, text: str, top_k: int = 5) -> list[Candidate]:
        return self.asking.search(text, top_k)

    def replied(self, outcome: Outcome, platform: str, chat_id: str, message_id: str) -> None:
        self.asking.replied(outcome, platform, chat_id, message_id)

    def choose(self, request_id: int, fact_check_id: int, asker: Asker) -> Outcome:
        return self.following_up.choose(request_id, fact_check_id, asker)

    def not_what_i_asked(self, request_id: int, asker: Asker) -> Outcome:
        return self.following_up.not_what_i_asked(request_id, asker)

    def subscribe(self, asker: Asker, reply_to: str, request_id: int) -> bool:
        return self.following_up.subscribe(asker, reply_to, request_id)

    # ------------------------------------- was this helpful? the full report (feedback.py, reports.py)

    def vote(self, request_id: int, asker: Asker, vote_code: int) -> Vote:
        return self.feedback.vote(request_id, asker, vote_code)

    def feedback_reason(self, request_id: int, asker: Asker, reason_code: int) -> Reason:
        return self.feedback.reason(request_id, asker, reason_code)

    def feedback_tallies(self, actor: Actor, limit: int = 20) -> list[FeedbackTally]:
        return self.feedback.tallies(actor, limit)

    def full_report(self, fact_check_id: int) -> FullReport:
        return self.reports.full_report(fact_check_id)

    def follow_up(self, fact_check_id: int, index: int) -> str:
        return self.reports.follow_up(fact_check_id, index)

    # ---------------------------------------------------------------- ask before queueing (confirming.py)

    def send_to_review(self, request_id: int, asker: Asker) -> Outcome:
        return self.confirming.send_to_review(request_id, asker)

    def decline(self, request_id: int, asker: Asker) -> bool:
        return self.confirming.decline(request_id, asker)

    # ---------------------------------------------------------------- review (bot/usecases/review.py)

    def queue(self, actor: Actor, limit: int = 20, status: str | None = None) -> list[ReviewSummary]:
        return self.review.queue(actor, limit, status)

    def review_item(self, actor: Actor, item_id: int) -> ReviewSummary:
        return self.review.review_item(actor, item_id)

    def review_for_delivery(self, item_id: int) -> ReviewSummary:
        return self.review.review_for_delivery(item_id)

    def open_review_count(self) -> int:
        return self.review.open_review_count()

    def link(self, actor: Actor, item_id: int, fact_check_id: int) -> FactCheckCard:
        return self.review.link(actor, item_id, fact_check_id)

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
        return self.review.write_verdict(actor, item_id, rating, summary, sources, claim, publisher)

    def approve(self, actor: Actor, item_id: int, revision: int | None = None) -> ApprovalResult:
        return self.review.approve(actor, item_id, revision)

    def reject(self, actor: Actor, item_id: int, reason: str) -> None:
        self.review.reject(actor, item_id, reason)

    def revise(self, actor: Actor, fact_check_id: int, **changes: str) -> FactCheckCard:
        return self.review.revise(actor, fact_check_id, **changes)

    def rate(self, actor: Actor, fact_check_id: int, rating: str) -> FactCheckCard:
        return self.review.rate(actor, fact_check_id, rating)

    # ---------------------------------------------------------------- moderation (bot/usecases/moderation.py)

    def is_moderator(self, actor: Actor) -> bool:
        return self.moderation.is_moderator(actor)

    def authorize(self, actor: Actor, action: str, target: str = "") -> None:
        self.moderation.authorize(actor, action, target)

    def audit_refusal(self, actor: Actor, action: str, target: str = "", detail: str | None = None) -> None:
        self.moderation.audit_refusal(actor, action, target, detail)

    def add_moderator(self, actor: Actor, platform: str, user_id: str, role: str = "moderator") -> None:
        self.moderation.add_moderator(actor, platform, user_id, role)

    def remove_moderator(self, actor: Actor, platform: str, user_id: str) -> bool:
        return self.moderation.remove_moderator(actor, platform, user_id)

    def moderators(self, actor: Actor) -> list[Moderator]:
        return self.moderation.moderators(actor)

    def block(self, actor: Actor, asker: Asker) -> None:
        self.moderation.block(actor, asker)

    def audit_log(self, limit: int = 100) -> list[AuditLog]:
        return self.moderation.audit_log(limit)

    # ---------------------------------------------------------------- privacy (bot/usecases/privacy.py)

    def asker_hash(self, asker: Asker) -> str:
        return asker_hash(self.settings, asker)

    def forget(self, asker: Asker) -> int:
        return self.privacy.forget(asker)

    def purge_requests(self, older_than: timedelta) -> int:
        return self.privacy.purge_requests(older_than)

    # ---------------------------------------------------------------- media (bot/usecases/media.py)

    def attach_media(
        self,
        actor: Actor,
        fact_check_id: int,
        media: MediaFile,
        authenticity: Authenticity | None = None,
        description: str = "",
    ) -> int:
        return self.asking.media.attach(actor, fact_check_id, media, authenticity, description)

    # ---------------------------------------------------------------- catalogue (bot/usecases/catalogue.py)

    def load_index(self) -> int:
        return self.catalogue.load_index()

    def refresh_index(self) -> int:
        return self.catalogue.refresh_index()

    def batch_encoder(self) -> Encoder:
        """An encoder for batches (CLAIMBOT_EMBED_BATCH_SIZE, CLAIMBOT_EMBED_THREADS)."""
        return Encoder(batch_size=self.settings.embed_batch_size, threads=self.settings.embed_threads)

    def background_encoder(self) -> BackgroundEncoder | None:
        """The thread a serving process runs to encode fact-checks its index holds without a vector;
        None when matching is lexical only."""
        if self.matcher.encoder is None:
            return None
        return BackgroundEncoder(self.catalogue, self.batch_encoder())

    def index_vectors(self, *, reencode: bool = False) -> IndexReport:
        """`claimbot index`: store a vector for every published fact-check lacking one."""
        return index_vectors(self.engine, self.batch_encoder(), reencode=reencode)

    def import_records(
        self, records: Iterable[FactCheckRecord | RecordError], *, index: bool = True
    ) -> ImportReport:
        return self.catalogue.import_records(records, index=index)

    def published(self) -> list[FactCheckCard]:
        return self.catalogue.published()

    def remove_starter(self, actor: Actor) -> list[int]:
        """Withdraw the bundled starter fact-checks (bot/usecases/starter.py); the ids withdrawn."""
        return self.starter.remove(actor)

    # ---------------------------------------------------------------- browsing (bot/usecases/browsing.py)

    def factcheck_page(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        verdict: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> CataloguePage:
        return self.browsing.page(actor, status=status, verdict=verdict, limit=limit, offset=offset)

    def find_factchecks(
        self,
        actor: Actor,
        text: str,
        *,
        status: str | None = None,
        verdict: str | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        return self.browsing.search(actor, text, status=status, verdict=verdict, limit=limit)

    def factcheck_detail(self, actor: Actor, fact_check_id: int) -> FactCheckDetail:
        return self.browsing.show(actor, fact_check_id)

    # ---------------------------------------------------------------- delivery (bot/usecases/delivery.py)

    def claim_deliveries(self, platform: str, limit: int = 20) -> list[Delivery]:
        return self.outbox.claim_deliveries(platform, limit)

    def renew_lease(self, delivery: Delivery) -> bool:
        return self.outbox.renew_lease(delivery)

    def delivered(self, delivery: Delivery) -> bool:
        return self.outbox.delivered(delivery)

    def delivery_failed(self, delivery: Delivery, error: str, *, permanent: bool = False) -> str:
        return self.outbox.delivery_failed(delivery, error, permanent=permanent)

    def outbox_backlog(self) -> int:
        return self.outbox.backlog()

    def record_sent(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        fact_check: FactCheckCard,
        request_id: int | None = None,
        language: str | None = None,
    ) -> None:
        self.outbox.record_sent(platform, chat_id, message_id, fact_check, request_id, language)

    def sent_reply(self, platform: str, chat_id: str, message_id: str) -> SentReply | None:
        return self.outbox.sent_reply(platform, chat_id, message_id)

    def mark_pinned(self, actor: Actor, chat_id: str, message_id: str) -> None:
        self.outbox.mark_pinned(actor, chat_id, message_id)

    # ---------------------------------------------------------------- metrics (bot/usecases/metrics.py)

    def healthy(self) -> bool:
        return database_healthy(self.engine)

    def metrics_text(self) -> str:
        """Prometheus exposition of this worker's counters and the shared queue gauges."""
        # Read at scrape time: a database that does not answer fails the scrape, as it fails /healthz.
        return self.metrics.render(
            {
                "claimbot_review_queue_length": ("Open review items.", self.open_review_count),
                "claimbot_notification_backlog": ("Notifications waiting for delivery.", self.outbox_backlog),
                "claimbot_fact_checks_indexed": ("Fact-checks in this worker's index.", self.matcher.__len__),
            }
        )
