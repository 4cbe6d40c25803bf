"""The catalogue of fact-checks: imports, what is published, and this worker's match index.

The index is built from the store at start (`load_index`), follows other processes' changes
(`refresh_index`, woken by PostgreSQL NOTIFY in bot/delivery.py) and is brought in line at once with
this process's own changes (`reindex`, in the changing transaction).

Nothing here encodes: a fact-check is indexed with its stored vector when it has one for its
revision, and lexically otherwise until a background encoder (bot/usecases/embedding.py) or
`claimbot index` gives it one (`pending_vectors`, `apply_vectors`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
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
    load_verifiers,
    semantic_available,
)
from bot.usecases import media_import
from bot.usecases.notifications import enqueue_revision
from bot.usecases.starter import StarterGuard
from store import embeddings, factchecks, links
from store.db import session_scope
from store.models import FactCheck, FactCheckStatus, utcnow

log = logging.getLogger(__name__)

FACT_CHECKS_CHANNEL = "claimbot_factchecks"  # PostgreSQL NOTIFY channel: fact-checks changed
IMPORT_BATCH = 1000
# This process's own change to this many fact-checks at most (a verdict published, a claim revised) is
# encoded in the changing transaction, so it answers by meaning at once in every worker; imports never
# encode (they leave it to `claimbot index` and the background encoders).
INLINE_ENCODE = 8


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
        media: media_import.MediaSources | None = None,
    ) -> None:
        self.engine = engine
        self.matcher = matcher
        self.channel = channel  # where reindex() tells other workers (bot/delivery.py LISTENs)
        self.media = media  # reads the photos and videos imports name (MediaReview)
        self._index_lock = threading.Lock()
        self._indexed_until: datetime | None = None
        # Per fact-check, the updated_at of the row last applied: a follower that read a row before
        # this process changed it (say, a draft about to be approved) must not apply it afterwards.
        self._applied: dict[int, datetime] = {}
        # Published fact-checks indexed without a vector, with the revision indexed: what a background
        # encoder works through. `vectors_wanted` is set whenever one is added.
        self._pending: dict[int, int] = {}
        self.vectors_wanted = threading.Event()

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

    def reindex(self, session: Session, fact_check_ids: Iterable[int], *, encode: bool = True) -> None:
        """Bring the index in line with the store for these fact-checks (after this process changed them).

        With `encode`, a few published ones lacking a vector are encoded and stored here too."""
        wanted = set(fact_check_ids)
        rows = list(factchecks.iter_index_rows(session, ids=wanted))
        if encode and len(rows) <= INLINE_ENCODE:
            self._encode_inline(session, rows)
        with self._index_lock:
            self._index_rows(session, rows)
            for missing in wanted - {row.id for row in rows}:
                self.matcher.remove(missing)
                self._applied.pop(missing, None)
                self._pending.pop(missing, None)
        if wanted and session.get_bind().dialect.name == "postgresql":
            # Other workers LISTEN (bot/delivery.py); PostgreSQL delivers this when the transaction commits.
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self.channel})

    def _encode_inline(self, session: Session, rows: list[factchecks.IndexRow]) -> None:
        encoder = self.matcher.encoder
        published = [row for row in rows if row.status == FactCheckStatus.PUBLISHED]
        if encoder is None or not published:
            return
        stored = embeddings.load(session, encoder.name, {row.id: row.revision for row in published})
        missing = [row for row in published if row.id not in stored]
        if missing:
            vectors = encoder.encode_documents([MatchDocument(r.id, r.claim, r.title) for r in missing])
            embeddings.save(
                session, encoder.name, [(r.id, r.revision, v) for r, v in zip(missing, vectors, strict=True)]
            )

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
                self._pending.pop(row.id, None)
        docs = [MatchDocument(row.id, row.claim, row.title, row.summary, row.aliases) for row in published]
        encoder = self.matcher.encoder
        if encoder is None or not docs:
            self.matcher.upsert_many(docs)
            return len(docs)
        # Stored vectors only: encoding 14k claims takes minutes, so a fact-check without a vector for
        # its revision is matched lexically until the background encoder or `claimbot index` makes one.
        stored = embeddings.load(session, encoder.name, {row.id: row.revision for row in published})
        self.matcher.upsert_many(docs, [stored.get(row.id) for row in published])
        for row in published:
            if row.id in stored:
                self._pending.pop(row.id, None)
            else:
                self._pending[row.id] = row.revision
        if len(stored) < len(published):
            self.vectors_wanted.set()
        return len(docs)

    def pending_vectors(self) -> dict[int, int]:
        """Indexed published fact-checks still without a vector: id -> the revision indexed."""
        with self._index_lock:
            return dict(self._pending)

    def apply_vectors(self, vectors: dict[int, tuple[int, np.ndarray]]) -> int:
        """Give indexed fact-checks the vectors computed for a revision (id -> (revision, vector));
        one whose indexed revision has changed since is left for the next round. Returns how many."""
        with self._index_lock:
            current = {
                i: vector for i, (revision, vector) in vectors.items() if self._pending.get(i) == revision
            }
            applied = self.matcher.set_vectors(current)
            for i in current:
                self._pending.pop(i, None)
            return applied

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
                        enqueue_revision(session, factchecks.to_card(result.fact_check, []))
                    else:
                        report.skipped += 1
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
