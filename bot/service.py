"""ClaimService: the one object adapters and the CLI hold. It opens the store, builds the match index
and wires the use cases (bot/usecases/, one module each); every method hands over to one of them.

The service is synchronous and platform-free: adapters call it from a worker thread
(`asyncio.to_thread`) so matching and database work never block their event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from sqlalchemy import Engine

from bot.config import Settings
from bot.domain import (
    Asker,
)
from bot.matching import Encoder, Matcher
from bot.usecases.asking import Asking, ExternalLookup
from bot.usecases.browsing import Browsing
from bot.usecases.catalogue import FACT_CHECKS_CHANNEL, Catalogue, index_files, make_matcher
from bot.usecases.confirming import Confirming
from bot.usecases.console_links import ConsoleLinks
from bot.usecases.delivery import Outbox
from bot.usecases.feedback import Feedback
from bot.usecases.following_up import FollowingUp
from bot.usecases.media import MediaCheck
from bot.usecases.media_import import MediaSources
from bot.usecases.metrics import Metrics, database_healthy
from bot.usecases.moderation import Moderation
from bot.usecases.privacy import Privacy, asker_hash
from bot.usecases.queue_view import QueueView
from bot.usecases.reports import Reports
from bot.usecases.review import Review
from bot.usecases.starter import Starter
from bot.usecases.statistics import Statistics
from bot.usecases.uploads import Uploads
from store.db import exclusive, make_engine, migrate

if TYPE_CHECKING:
    from bot.usecases.embedding import BackgroundEncoder, IndexReport

# FACT_CHECKS_CHANNEL is what the service built next gives its catalogue to NOTIFY on.
__all__ = ["FACT_CHECKS_CHANNEL", "ClaimService"]


P = ParamSpec("P")
R = TypeVar("R")


class UseCase(Generic[P, R]):
    """A facade method that is a use case's own, written once where the use case is:
    `ask = UseCase("asking", Asking.ask)` makes `service.ask(...)` call `service.asking.ask(...)`.
    """

    def __init__(self, attribute: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.attribute, self.name = attribute, method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, service: None, owner: type | None = None) -> UseCase[P, R]: ...
    @overload
    def __get__(self, service: object, owner: type | None = None) -> Callable[P, R]: ...
    def __get__(self, service: object | None, owner: type | None = None) -> UseCase[P, R] | Callable[P, R]:
        if service is None:
            return self
        return getattr(getattr(service, self.attribute), self.name)


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
        self.catalogue = Catalogue(
            engine,
            self.matcher,
            FACT_CHECKS_CHANNEL,
            files=index_files(settings, engine),
            media=MediaSources(engine, settings),
        )
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
        self.media = self.asking.media  # known photos and videos (bot/usecases/media.py)
        self.following_up = FollowingUp(engine, settings, self.moderation, self.review)
        self.confirming = Confirming(engine, self.review, self.asking._own_request)
        # The moderators' web console (issue 17): sign-in links, the queue page, imports of uploads.
        self.console_links = ConsoleLinks(engine, settings, self.moderation)
        self.queue_view = QueueView(engine, settings, self.moderation, self.review)
        self.uploads = Uploads(self.moderation, self.catalogue)
        self.statistics = Statistics(engine, settings, self.moderation)

    @classmethod
    def open(cls, settings: Settings, *, load_index: bool = True) -> ClaimService:
        """Open (and on first use create and fill) the database, then build the match index."""
        engine = make_engine(settings.database_url)
        with exclusive(engine):  # workers starting together migrate and fill the store once
            migrate(engine)
            catalogue = Catalogue(engine, Matcher())
            if settings.starter and catalogue.is_empty():
                from bot.usecases.embedding import store_starter_vectors  # a new database only

                catalogue.load_starter()
                store_starter_vectors(engine)
        matcher = make_matcher(settings)
        if load_index and matcher.encoder is not None:
            # Questions are encoded: the model loads in a thread from here on, beside the wiring of the
            # use cases and the index's mapping; the first encode waits for it.
            matcher.encoder.load_soon()
        external = None
        if settings.factcheck_api_key is not None:
            from bot.external import FactCheckToolsClient

            external = FactCheckToolsClient(settings)
        service = cls(engine, settings, matcher=matcher, external=external)
        if load_index:
            service.load_index()
        return service

    # ---------------------------------------------------------------- asking (bot/usecases/asking.py)

    ask = UseCase("asking", Asking.ask)
    evaluate = UseCase("asking", Asking.evaluate)
    search = UseCase("asking", Asking.search)
    replied = UseCase("asking", Asking.replied)
    choose = UseCase("following_up", FollowingUp.choose)
    not_what_i_asked = UseCase("following_up", FollowingUp.not_what_i_asked)
    subscribe = UseCase("following_up", FollowingUp.subscribe)

    # ------------------------------------- was this helpful? the full report (feedback.py, reports.py)

    vote = UseCase("feedback", Feedback.vote)
    feedback_reason = UseCase("feedback", Feedback.reason)
    feedback_tallies = UseCase("feedback", Feedback.tallies)
    full_report = UseCase("reports", Reports.full_report)
    follow_up = UseCase("reports", Reports.follow_up)

    # ---------------------------------------------------------------- ask before queueing (confirming.py)

    send_to_review = UseCase("confirming", Confirming.send_to_review)
    decline = UseCase("confirming", Confirming.decline)

    # ---------------------------------------------------------------- review (bot/usecases/review.py)

    queue = UseCase("review", Review.queue)
    review_item = UseCase("review", Review.review_item)
    review_for_delivery = UseCase("review", Review.review_for_delivery)
    open_review_count = UseCase("review", Review.open_review_count)
    link = UseCase("review", Review.link)
    write_verdict = UseCase("review", Review.write_verdict)
    approve = UseCase("review", Review.approve)
    reject = UseCase("review", Review.reject)
    revise = UseCase("review", Review.revise)
    rate = UseCase("review", Review.rate)

    # ---------------------------------------------------------------- moderation (bot/usecases/moderation.py)

    is_moderator = UseCase("moderation", Moderation.is_moderator)
    authorize = UseCase("moderation", Moderation.authorize)
    audit_refusal = UseCase("moderation", Moderation.audit_refusal)
    add_moderator = UseCase("moderation", Moderation.add_moderator)
    remove_moderator = UseCase("moderation", Moderation.remove_moderator)
    moderators = UseCase("moderation", Moderation.moderators)
    block = UseCase("moderation", Moderation.block)
    audit_log = UseCase("moderation", Moderation.audit_log)
    audit_page = UseCase("moderation", Moderation.audit_page)

    # ------------------------------------- the web console (console_links.py, queue_view.py, uploads.py)

    issue_console_link = UseCase("console_links", ConsoleLinks.issue_console_link)
    console_sign_in = UseCase("console_links", ConsoleLinks.sign_in)
    queue_page = UseCase("queue_view", QueueView.queue_page)
    review_phrasings = UseCase("queue_view", QueueView.phrasings)
    import_upload = UseCase("uploads", Uploads.import_upload)

    # ------------------------------------------------------------- the dashboard (bot/usecases/statistics.py)

    dashboard = UseCase("statistics", Statistics.dashboard)
    review_trends = UseCase("statistics", Statistics.review_trends)

    # ---------------------------------------------------------------- privacy (bot/usecases/privacy.py)

    def asker_hash(self, asker: Asker) -> str:
        return asker_hash(self.settings, asker)

    forget = UseCase("privacy", Privacy.forget)
    purge_requests = UseCase("privacy", Privacy.purge_requests)

    # ---------------------------------------------------------------- media (bot/usecases/media.py)

    attach_media = UseCase("media", MediaCheck.attach)
    known_media = UseCase("media", MediaCheck.known_media)

    # ---------------------------------------------------------------- catalogue (bot/usecases/catalogue.py)

    load_index = UseCase("catalogue", Catalogue.load_index)
    refresh_index = UseCase("catalogue", Catalogue.refresh_index)
    save_index = UseCase("catalogue", Catalogue.save_index)

    def batch_encoder(self, threads: int | None = None) -> Encoder:
        """An encoder for batches (CLAIMBOT_EMBED_BATCH_SIZE), `threads` of them at once (default
        CLAIMBOT_EMBED_THREADS), each on one onnxruntime thread: on shared cores, intra-op threads
        spin and split small matrix products, costing ~1.6x the CPU for the same vectors."""
        return Encoder(
            batch_size=self.settings.embed_batch_size,
            threads=1,
            parallel=threads if threads is not None else self.settings.embed_threads,
        )

    def background_encoder(self) -> BackgroundEncoder | None:
        """The thread a serving process runs to encode fact-checks its index holds without a vector;
        None when matching is lexical only."""
        if self.matcher.encoder is None:
            return None
        from bot.usecases.embedding import BackgroundEncoder  # serving processes only (see index_vectors)

        return BackgroundEncoder(self.catalogue, self.batch_encoder())

    def index_vectors(self, *, reencode: bool = False, threads: int | None = None) -> IndexReport:
        """`claimbot index`: store a vector for every published fact-check lacking one."""
        # The batch encoding (and the starter file reader it needs) is imported by the processes that
        # encode fact-checks: `claimbot ask` and the chat workers never load it.
        from bot.usecases.embedding import index_vectors

        return index_vectors(self.engine, self.batch_encoder(threads), reencode=reencode)

    import_records = UseCase("catalogue", Catalogue.import_records)
    published = UseCase("catalogue", Catalogue.published)
    remove_starter = UseCase("starter", Starter.remove)

    # ---------------------------------------------------------------- browsing (bot/usecases/browsing.py)

    factcheck_page = UseCase("browsing", Browsing.page)
    find_factchecks = UseCase("browsing", Browsing.search)
    factcheck_detail = UseCase("browsing", Browsing.show)

    # ---------------------------------------------------------------- delivery (bot/usecases/delivery.py)

    claim_deliveries = UseCase("outbox", Outbox.claim_deliveries)
    renew_lease = UseCase("outbox", Outbox.renew_lease)
    delivered = UseCase("outbox", Outbox.delivered)
    delivery_failed = UseCase("outbox", Outbox.delivery_failed)
    outbox_backlog = UseCase("outbox", Outbox.backlog)
    record_sent = UseCase("outbox", Outbox.record_sent)
    sent_reply = UseCase("outbox", Outbox.sent_reply)
    mark_pinned = UseCase("outbox", Outbox.mark_pinned)

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
