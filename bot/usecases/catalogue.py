"""The catalogue of fact-checks: imports, what is published, and this worker's match index.

The index is built from the store at start (`load_index`), follows other processes' changes
(`refresh_index`, woken by PostgreSQL NOTIFY in bot/delivery.py) and is brought in line at once with
this process's own changes (`reindex`, in the changing transaction).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.domain import REVIEW_ORIGIN, Candidate, FactCheckCard, FactCheckRecord, ImportReport, RecordError
from bot.importers._common import importable
from bot.matching import (
    DEFAULT_THRESHOLDS,
    SEMANTIC_THRESHOLDS,
    Encoder,
    Match,
    MatchDocument,
    Matcher,
    Thresholds,
    semantic_available,
)
from bot.usecases.notifications import enqueue_revision
from store import embeddings, factchecks, links
from store.db import session_scope
from store.models import FactCheck, FactCheckStatus, utcnow

log = logging.getLogger(__name__)

FACT_CHECKS_CHANNEL = "claimbot_factchecks"  # PostgreSQL NOTIFY channel: fact-checks changed
IMPORT_BATCH = 1000


def make_matcher(settings: Settings) -> Matcher:
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


class Catalogue:
    def __init__(self, engine: Engine, matcher: Matcher, channel: str = FACT_CHECKS_CHANNEL) -> None:
        self.engine = engine
        self.matcher = matcher
        self.channel = channel  # where reindex() tells other workers (bot/delivery.py LISTENs)
        self._index_lock = threading.Lock()
        self._indexed_until: datetime | None = None
        # Per fact-check, the updated_at of the row last applied: a follower that read a row before
        # this process changed it (say, a draft about to be approved) must not apply it afterwards.
        self._applied: dict[int, datetime] = {}

    def is_empty(self) -> bool:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(FactCheck)).one() == 0

    def load_starter(self) -> ImportReport:
        """Fill a new database with the bundled starter fact-checks."""
        from bot.importers import read_records, starter_path

        return self.import_records(read_records(starter_path()), index=False)

    # ---------------------------------------------------------------- the match index

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

    def reindex(self, session: Session, fact_check_ids: Iterable[int]) -> None:
        """Bring the index in line with the store for these fact-checks (after this process changed them)."""
        wanted = set(fact_check_ids)
        rows = list(factchecks.iter_index_rows(session, ids=wanted))
        with self._index_lock:
            self._index_rows(session, rows)
            for missing in wanted - {row.id for row in rows}:
                self.matcher.remove(missing)
                self._applied.pop(missing, None)
        if wanted and session.get_bind().dialect.name == "postgresql":
            # Other workers LISTEN (bot/delivery.py); PostgreSQL delivers this when the transaction commits.
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self.channel})

    def _index_rows(self, session: Session, rows: list[factchecks.IndexRow]) -> int:
        """Upsert published rows into the matcher (with stored embeddings), remove the others."""
        rows = [row for row in rows if not self._is_stale(row)]
        for row in rows:
            if row.updated_at is not None:
                self._applied[row.id] = row.updated_at
        published = [row for row in rows if row.status == FactCheckStatus.PUBLISHED]
        for row in rows:
            if row.status != FactCheckStatus.PUBLISHED:
                self.matcher.remove(row.id)
        docs = [MatchDocument(row.id, row.claim, row.title, row.summary, row.aliases) for row in published]
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

    def _is_stale(self, row: factchecks.IndexRow) -> bool:
        applied = self._applied.get(row.id)
        return applied is not None and row.updated_at is not None and row.updated_at < applied

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
                        enqueue_revision(session, factchecks.to_card(result.fact_check, []))
                    else:
                        report.skipped += 1
                if index:
                    self.reindex(session, [r.fact_check_id for r in results if r.changed])
            batch.clear()

        for record in records:
            item = record if isinstance(record, RecordError) else importable(record)
            if isinstance(item, RecordError):
                report.errors.append(item)
                continue
            batch.append(item)
            if len(batch) >= IMPORT_BATCH:
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
            seen = links.appearances_of(session, cards)
            return [replace(cards[i], appearances=tuple(seen.get(i, ()))) for i in ids if i in cards]


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
