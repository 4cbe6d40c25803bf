"""The catalogue of fact-checks: imports, what is published, and this worker's match index.

The index (bot/usecases/match_index.py) is opened from its files or built from the store at start
(`load_index`), follows other processes' changes (`refresh_index`, woken by PostgreSQL NOTIFY in
bot/delivery.py) and is brought in line at once with this process's own changes (`reindex`, in the
changing transaction).

Nothing here encodes: a fact-check is indexed with its stored vector when it has one for its
revision, and lexically otherwise until a background encoder (bot/usecases/embedding.py) or
`claimbot index` gives it one (`pending_vectors`, `apply_vectors`).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.domain import REVIEW_ORIGIN, Candidate, FactCheckCard, FactCheckRecord, ImportReport, RecordError
from bot.matching import (
    DEFAULT_THRESHOLDS,
    SEMANTIC_THRESHOLDS,
    Encoder,
    Match,
    Matcher,
    Thresholds,
    load_verifiers,
    semantic_available,
)
from bot.matching.index_files import IndexFiles
from bot.usecases import media_import
from bot.usecases.match_index import MatchIndex
from bot.usecases.notifications import enqueue_revisions
from bot.usecases.starter import StarterGuard
from store import factchecks, links
from store.db import session_scope
from store.models import FactCheck, FactCheckStatus

log = logging.getLogger(__name__)

FACT_CHECKS_CHANNEL = "claimbot_factchecks"  # PostgreSQL NOTIFY channel: fact-checks changed
IMPORT_BATCH = 1000


def index_files(settings: Settings, engine: Engine) -> IndexFiles | None:
    """Where this database's match index files live: CLAIMBOT_INDEX_DIR, else beside a SQLite file
    (`claimbot.db.index/`); None (an index in memory only) for PostgreSQL without the setting, an
    in-memory SQLite database, or CLAIMBOT_INDEX_FILES=false."""
    if not settings.index_files:
        return None
    if settings.index_dir is not None:
        return IndexFiles(settings.index_dir)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return IndexFiles(Path(f"{database}.index"))
    return None


def make_matcher(settings: Settings) -> Matcher:
    """Lexical plus sentence embeddings by default; lexical only with CLAIMBOT_SEMANTIC=false."""
    encoder = None
    if settings.semantic:
        if semantic_available():
            encoder = Encoder()  # loads nothing until the first question meets a stored vector
        else:
            log.warning("onnxruntime or the model package is missing; matching lexically")

    def thresholds(base: Thresholds) -> Thresholds:
        return Thresholds(
            answer=settings.answer_threshold or base.answer,
            suggest=settings.suggest_threshold or base.suggest,
        )

    semantic = DEFAULT_THRESHOLDS if encoder is None else SEMANTIC_THRESHOLDS
    # A refit (`claimbot matching fit`) replaces the shipped verifier weights when named.
    verifiers = load_verifiers(settings.verifier_weights) if settings.verifier_weights else None
    return Matcher(
        thresholds(semantic),
        encoder=encoder,
        lexical_thresholds=thresholds(DEFAULT_THRESHOLDS),
        verifiers=verifiers,
    )


class Catalogue:
    def __init__(
        self,
        engine: Engine,
        matcher: Matcher,
        channel: str = FACT_CHECKS_CHANNEL,
        files: IndexFiles | None = None,
        media: media_import.MediaSources | None = None,
    ) -> None:
        self.engine = engine
        self.matcher = matcher
        self.channel = channel  # where reindex() tells other workers (bot/delivery.py LISTENs)
        self.media = media  # reads the photos and videos imports name (MediaReview)
        self.index = MatchIndex(engine, matcher, channel, files)

    def is_empty(self) -> bool:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(FactCheck)).one() == 0

    def load_starter(self) -> ImportReport:
        """Fill a new database with the bundled starter fact-checks."""
        from bot.importers import read_records, starter_path

        return self.import_records(read_records(starter_path()), index=False)

    # ---------------------------------------------------------------- the match index (match_index.py)

    def load_index(self) -> int:
        """Open the index files, or build the index from the store (published fact-checks, aliases)."""
        return self.index.load()

    def refresh_index(self) -> int:
        """Pick up fact-checks other processes added or changed since the last look; returns how many."""
        return self.index.refresh()

    def reindex(self, session: Session, fact_check_ids: Iterable[int], *, encode: bool = True) -> None:
        """Bring the index in line with the store for these fact-checks (after this process changed them)."""
        self.index.reindex(session, fact_check_ids, encode=encode)

    def save_index(self) -> str | None:
        """Write the index files as the index is now (`claimbot index`); the generation, or None."""
        return self.index.save()

    def pending_vectors(self) -> dict[int, int]:
        """Indexed published fact-checks still without a vector: id -> the revision indexed."""
        return self.index.pending_vectors()

    def apply_vectors(self, vectors: dict[int, tuple]) -> int:
        """Give indexed fact-checks the vectors computed for a revision: id -> (revision, vector, fields)."""
        return self.index.apply_vectors(vectors)

    @property
    def vectors_wanted(self) -> threading.Event:
        return self.index.vectors_wanted

    # ---------------------------------------------------------------- import and the published list

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
        with Session(self.engine) as session:
            starter = StarterGuard.load(session, self.matcher.thresholds)

        def flush() -> None:
            if not batch:
                return
            with session_scope(self.engine) as session:
                if postgres:
                    # Imports are idempotent by URL: a batch lost to a server crash is re-imported,
                    # so there is no need to wait for each commit to reach the disk.
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                # MediaReviews: a fact-check stored already only gains media (bot/usecases/media_import.py).
                prepared = media_import.prepare(session, batch)
                report.skipped += len(prepared.skipped)
                upserted = prepared.records
                results = factchecks.upsert_records(session, upserted, protected_origins=(REVIEW_ORIGIN,))
                session.flush()
                report.media += media_import.store(session, prepared, results)
                for record in prepared.protected:
                    report.skipped += 1
                    report.notices.append(RecordError(record.file, record.line, _protected(record.url)))
                revised = []
                for record, result in zip(upserted, results, strict=True):
                    if result.protected:
                        report.skipped += 1
                        report.notices.append(RecordError(record.file, record.line, _protected(record.url)))
                    elif result.created:
                        report.added += 1
                    elif result.changed:
                        report.updated += 1
                        # A re-imported fact-check that changed is a revision: edit what was sent.
                        assert result.fact_check is not None
                        revised.append(factchecks.to_card(result.fact_check, []))
                    else:
                        report.skipped += 1
                enqueue_revisions(session, revised)
                withdrawn: list[int] = []
                if starter is not None:
                    # A newsroom's own fact-check on a starter claim replaces ours (bot/usecases/starter.py).
                    pairs = zip(upserted, results, strict=True)
                    changed = [(r, res.fact_check_id) for r, res in pairs if res.changed]
                    for record, starter_id in starter.supersede(session, changed):
                        note = f"withdrew the starter fact-check #{starter_id}: this one is on the same claim"
                        report.notices.append(RecordError(record.file, record.line, note))
                        withdrawn.append(starter_id)
                if index:
                    # Matchable lexically at once; the vectors come from `claimbot index` or a
                    # serving worker's background encoder.
                    changed = [r.fact_check_id for r in results if r.changed]
                    self.reindex(session, changed + withdrawn, encode=False)
            batch.clear()

        # What the process held before the import outlives it: the collector's full passes, which an
        # import's allocations set off every few thousand records, leave it out until the import ends
        # (they took ~10% of the CPU of a 14k-record import in a fresh process).
        gc.freeze()
        # The record checks of the import readers: imported by a process that writes fact-checks, not by
        # every one that builds a Catalogue (`claimbot ask`, the chat workers).
        from bot.importers._common import importable

        try:
            analyzed_at = 0
            for record in records:
                item = record if isinstance(record, RecordError) else importable(record)
                if isinstance(item, RecordError):
                    report.errors.append(item)
                    continue
                if item.media and self.media is not None:  # files read, URLs fetched, before the transaction
                    item, problems = self.media.resolve(item)
                    report.errors.extend(problems)
                batch.append(item)
                if len(batch) >= IMPORT_BATCH:
                    flush()
                    if postgres and report.added - analyzed_at >= 50_000:
                        self._analyze()  # keeps the URL look-up on its index as the table grows
                        analyzed_at = report.added
            flush()
        finally:
            gc.unfreeze()
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
            seen = links.appearances_of(session, cards)
            return [replace(cards[i], appearances=tuple(seen.get(i, ()))) for i in ids if i in cards]


def _protected(url: str) -> str:
    return f"skipped: {url[:80]} is the review workflow's; imports never change it"


def candidates(
    session: Session, matches: Sequence[Match], *, published_only: bool = True
) -> tuple[Candidate, ...]:
    """The matched fact-checks as candidates, in match order, leaving out those no longer stored.

    `published_only`: only published fact-checks reach askers, whatever a worker's index holds for a moment.
    """
    cards = factchecks.get_cards(session, [m.fact_check_id for m in matches])
    if published_only:
        cards = {i: card for i, card in cards.items() if card.status == FactCheckStatus.PUBLISHED}
    return tuple(
        Candidate(cards[m.fact_check_id], m.score, m.phrasing, dict(m.signals))
        for m in matches
        if m.fact_check_id in cards
    )
