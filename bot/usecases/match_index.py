"""This worker's match index: opened from its files, or built from the store, then kept in line.

With files (`IndexFiles`: beside a SQLite database, or CLAIMBOT_INDEX_DIR), a process maps the
current segment (bot/matching/segment.py) and reads from the store only what changed since it was
written: the change feed, rows whose updated_at is later than the segment's `until` (less
OVERLAP, for transactions that committed late). Before trusting the files it checks them against
the store: every row the segment saw and that has not changed since must be there, the same number
of rows with the same ids and the same latest change (`store.factchecks.fingerprint`). Files that
are missing, damaged, of another model or database, or that disagree are rebuilt from the store:
one full read, streamed into a new segment, which is then mapped like any other.

Changes made since (this process's, or other processes' through the feed) are kept in memory over
the mapped files; past REWRITE_AFTER of them a process writes a new generation (the old one's rows
copied, not re-read) and serves from it. `claimbot index` writes one after encoding. Other
processes switch to a newer generation at their next refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.matching import Matcher
from bot.matching.index_files import IndexFiles
from bot.matching.segment import Segment, SegmentError
from bot.usecases.index_build import agrees, document, embedding_state, from_micros, meta, micros, write_all
from store import embeddings, factchecks
from store.db import session_scope
from store.models import FactCheckStatus, utcnow

log = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=2)  # the change feed looks this far back: a transaction may commit late
REWRITE_AFTER = 500  # fact-checks changed since the files: past this, a worker writes a new generation
# This process's own change to this many fact-checks at most (a verdict published, a claim revised) is
# encoded in the changing transaction, so it answers by meaning at once in every worker; imports never
# encode (they leave it to `claimbot index` and the background encoders).
INLINE_ENCODE = 8


class MatchIndex:
    def __init__(
        self, engine: Engine, matcher: Matcher, channel: str, files: IndexFiles | None = None
    ) -> None:
        self.engine = engine
        self.matcher = matcher
        self.channel = channel  # where reindex() tells other workers (bot/delivery.py LISTENs)
        self.files = files
        self.database = engine.url.render_as_string(hide_password=True)
        self._lock = threading.Lock()
        # One refresh or generation write at a time (the poll loop and the LISTEN follower both refresh).
        self._following = threading.RLock()
        self._indexed_until: datetime | None = None
        # Per fact-check, the updated_at of the row last applied (beyond the files'): a follower that
        # read a row before this process changed it must not apply it afterwards.
        self._applied: dict[int, datetime] = {}
        self._revisions: dict[int, int] = {}  # published fact-checks indexed since the files
        # Published fact-checks indexed without a vector, with the revision indexed: what a background
        # encoder works through. `vectors_wanted` is set whenever one is added.
        self._pending: dict[int, int] = {}
        self.vectors_wanted = threading.Event()
        self._generation: str | None = None  # of the files served
        self._touched: set[int] | None = None  # fact-checks applied while a generation is written
        self._rejected: str | None = None  # a generation found unusable: not opened again
        # The stored vectors this index reflects (their count and newest row id, store/embeddings.py):
        # what the files are written with, so that a reader can tell vectors stored or dropped since.
        self._embeddings = (0, 0)
        self.full_reads = 0  # times this process read every fact-check row (the log, tests)

    # ---------------------------------------------------------------- start

    def load(self) -> int:
        """Open the index files (or build them), else build the index in memory; returns its size."""
        if self.files is not None:
            count = self._open_files()
            if count is None:
                count = self._build_files()
            if count is not None:
                if self.matcher.changed_count() >= REWRITE_AFTER:
                    self.write_files(wait=False)
                return count
        return self._load_in_memory()

    def _load_in_memory(self) -> int:
        started = utcnow()
        self.full_reads += 1
        with session_scope(self.engine) as session:
            rows = list(factchecks.iter_index_rows(session))
            with self._lock, self.matcher.batch():
                self.matcher.reset()
                self._reset_state(None)
                count = self._index_rows(session, rows)
                self._indexed_until = started
        return count

    def _usable(self, segment: Segment) -> str | None:
        """Why the segment cannot serve this process, or None."""
        meta, encoder = segment.meta, self.matcher.encoder
        if meta.get("database") != self.database:
            return f"written for {meta.get('database')}"
        if not isinstance(meta.get("until"), int):
            return "no change-feed position"
        if (
            encoder is not None
            and segment.dims
            and (segment.model != encoder.name or segment.dims != encoder.dimensions)
        ):
            return f"vectors of {segment.model}, not {encoder.name}"
        return None

    def _open_files(self) -> int | None:
        """Serve the current generation with the changes since; None when it cannot be trusted."""
        assert self.files is not None
        name = self.files.generation()
        if name is not None and name == self._rejected:
            return None  # found unusable before (or its deferred checksum failed): not opened again
        try:
            segment = self.files.open()
        except SegmentError as exc:
            self._rejected = name
            log.warning("the match index files cannot be used (%s); rebuilding them", exc)
            return None
        if segment is None:
            return None
        problem = self._usable(segment)
        if problem:
            self._rejected = segment.directory.name
            log.warning("the match index files in %s are %s; rebuilding them", self.files.directory, problem)
            return None
        started = utcnow()
        since = from_micros(int(segment.meta["until"])) - OVERLAP
        meta = segment.meta
        with session_scope(self.engine) as session:
            rows = list(factchecks.iter_index_rows(session, since=since))
            if not agrees(session, segment, rows, since):
                self._rejected = segment.directory.name
                log.warning("the match index files disagree with the database; rebuilding them")
                return None
            written = (int(meta.get("embedding_count") or 0), int(meta.get("embedding_max_id") or 0))
            stored_now = embedding_state(session, self.matcher.encoder)
            if self.matcher.encoder is not None and stored_now[0] < written[0]:
                # Vectors the files hold were dropped (a model change, `claimbot index --reencode`).
                self._rejected = segment.directory.name
                log.warning("vectors were dropped from the database since the match index files were written")
                return None
            with self._lock, self.matcher.batch():
                self.matcher.reset()
                self.matcher.attach(segment)
                self._reset_state(segment)
                self._index_rows(session, rows, skip_unchanged=True)
                self._embeddings = written
                if self.matcher.encoder is not None and stored_now[1] > written[1]:
                    if self._pending:
                        self._take_stored_locked(session)  # vectors stored since the files were written
                    self._embeddings = stored_now
                self._indexed_until = started
                self._generation = segment.directory.name
        if segment.deferred:
            threading.Thread(
                target=self._verify_later, args=(segment,), name="claimbot-index-check", daemon=True
            ).start()
        return len(self.matcher)

    def _verify_later(self, segment: Segment) -> None:
        """The large files' checksums, after the start: a damaged one is rebuilt at the next refresh."""
        problem = segment.verify_deferred()
        if problem is not None:
            log.warning("the match index files cannot be used (%s); rebuilding them", problem)
            self._rejected = segment.directory.name

    def _write_all(self, scratch: Path, started: datetime) -> None:
        self.full_reads += 1
        write_all(self.engine, self.matcher.encoder, scratch, started, self.database)

    def _build_files(self) -> int | None:
        """Read every row once into a new generation and serve it; None when the files cannot be written."""
        assert self.files is not None
        with self.files.lock(wait=True):
            # Another process may have built them while this one waited for the lock.
            count = self._open_files() if self.files.generation() != self._generation else None
            if count is not None:
                return count
            started = utcnow()
            scratch, name = self.files.scratch()
            try:
                self._write_all(scratch, started)
                self.files.publish(scratch, name)
            except OSError as exc:
                self.files.discard(scratch)
                log.warning("cannot write the match index files (%s); indexing in memory", exc)
                return None
        count = self._open_files()
        if count is None:
            log.warning("the match index files just written disagree with the database; indexing in memory")
        return count

    # ---------------------------------------------------------------- following changes

    def refresh(self) -> int:
        """Pick up fact-checks other processes added or changed since the last look; returns how many."""
        with self._following:
            return self._refresh()

    def _refresh(self) -> int:
        since = self._indexed_until
        if since is None:
            return self.load()
        newer = self.files.generation() if self.files is not None else None
        if self._rejected is not None and self._rejected == self._generation:
            self.load()  # the files served failed their deferred check: rebuilt from the store
        elif newer not in (None, self._generation, self._rejected) and self._open_files() is None:
            self._rejected = newer  # another process's generation this one cannot serve: not tried again
        started = utcnow()
        with session_scope(self.engine) as session:
            rows = list(factchecks.iter_index_rows(session, since=since - OVERLAP))
            with self._lock:
                self._index_rows(session, rows, skip_unchanged=True)
                self._indexed_until = started
        if self.files is not None and self.matcher.changed_count() >= REWRITE_AFTER:
            self.write_files(wait=False)
        return len(rows)

    def reindex(self, session: Session, fact_check_ids: Iterable[int], *, encode: bool = True) -> None:
        """Bring the index in line with the store for these fact-checks (after this process changed them).

        With `encode`, a few published ones lacking a vector are encoded and stored here too."""
        wanted = set(fact_check_ids)
        rows = list(factchecks.iter_index_rows(session, ids=wanted))
        if encode and len(rows) <= INLINE_ENCODE:
            self._encode_inline(session, rows)
        with self._lock:
            self._index_rows(session, rows)
            for missing in wanted - {row.id for row in rows}:
                self.matcher.remove(missing)
                self._applied.pop(missing, None)
                self._pending.pop(missing, None)
                self._revisions.pop(missing, None)
                if self._touched is not None:
                    self._touched.add(missing)
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
            docs = [document(r) for r in missing]
            vectors, fields = encoder.encode_documents(docs), encoder.encode_fields(docs)
            embeddings.save(
                session,
                encoder.name,
                [(r.id, r.revision, v, f) for r, v, f in zip(missing, vectors, fields, strict=True)],
            )

    def _reset_state(self, segment: Segment | None) -> None:
        self._applied.clear()
        self._revisions.clear()
        self._pending.clear()
        if segment is not None and self.matcher.encoder is not None:
            rows = (
                np.flatnonzero(np.asarray(segment.a["has_vector"], dtype=bool) == 0) if segment.dims else None
            )
            if rows is None:
                rows = np.arange(segment.docs)
            ids = segment.a["doc_ids"][rows].tolist()
            self._pending.update(zip(ids, segment.a["doc_revisions"][rows].tolist(), strict=True))
            if self._pending:
                self.vectors_wanted.set()

    def _applied_at(self, fact_check_id: int) -> int | None:
        """updated_at (µs) of the row this index holds for a fact-check, if it holds one."""
        applied = self._applied.get(fact_check_id)
        if applied is not None:
            return micros(applied)
        base = self.matcher.base
        if base is None:
            return None
        ids, updated = base.rows_seen()
        i = int(np.searchsorted(ids, fact_check_id))
        return int(updated[i]) if i < len(ids) and ids[i] == fact_check_id else None

    def _index_rows(
        self, session: Session, rows: list[factchecks.IndexRow], *, skip_unchanged: bool = False
    ) -> int:
        """Upsert published rows into the matcher (with stored embeddings), remove the others.

        A row older than the one applied is stale and left out; with `skip_unchanged`, so is the very
        row applied (the change feed overlaps)."""
        kept = []
        for row in rows:
            applied = self._applied_at(row.id) if row.updated_at is not None else None
            if applied is not None:
                at = micros(row.updated_at)  # type: ignore[arg-type]
                if at < applied or (skip_unchanged and at == applied):
                    continue
            kept.append(row)
        rows = kept
        if self._touched is not None:
            self._touched.update(row.id for row in rows)
        for row in rows:
            if row.updated_at is not None:
                self._applied[row.id] = row.updated_at
        published = [row for row in rows if row.status == FactCheckStatus.PUBLISHED]
        for row in rows:
            if row.status != FactCheckStatus.PUBLISHED:
                self.matcher.remove(row.id)
                self._pending.pop(row.id, None)
                self._revisions.pop(row.id, None)
        for row in published:
            self._revisions[row.id] = row.revision
        docs = [document(row) for row in published]
        encoder = self.matcher.encoder
        if encoder is None or not docs:
            self.matcher.upsert_many(docs)
            return len(docs)
        # Stored vectors only: encoding 14k claims takes minutes, so a fact-check without a vector for
        # its revision is matched lexically until the background encoder or `claimbot index` makes one.
        stored = embeddings.load_with_fields(
            session, encoder.name, {row.id: row.revision for row in published}
        )
        self.matcher.upsert_many(
            docs,
            [stored[row.id][0] if row.id in stored else None for row in published],
            [stored[row.id][1] if row.id in stored else None for row in published],
        )
        for row in published:
            if row.id in stored:
                self._pending.pop(row.id, None)
            else:
                self._pending[row.id] = row.revision
        if len(stored) < len(published):
            self.vectors_wanted.set()
        return len(docs)

    def _take_stored_locked(self, session: Session) -> None:
        encoder = self.matcher.encoder
        assert encoder is not None
        stored = embeddings.load_with_fields(session, encoder.name, dict(self._pending))
        self.matcher.set_vectors(
            {i: v for i, (v, _) in stored.items()}, {i: f for i, (_, f) in stored.items()}
        )
        for i in stored:
            self._pending.pop(i, None)

    # ---------------------------------------------------------------- vectors

    def pending_vectors(self) -> dict[int, int]:
        """Indexed published fact-checks still without a vector: id -> the revision indexed."""
        with self._lock:
            return dict(self._pending)

    def apply_vectors(self, vectors: dict[int, tuple]) -> int:
        """Give indexed fact-checks the vectors computed for a revision (id -> (revision, vector[,
        fields])); one whose indexed revision has changed since is left for the next round."""
        with self._lock:
            current = {i: value for i, value in vectors.items() if self._pending.get(i) == value[0]}
            applied = self.matcher.set_vectors(
                {i: value[1] for i, value in current.items()},
                {i: value[2] for i, value in current.items() if len(value) > 2},
            )
            for i in current:
                self._pending.pop(i, None)
            if self._touched is not None:
                self._touched.update(current)
            return applied

    # ---------------------------------------------------------------- writing a generation

    def save(self) -> str | None:
        """`claimbot index`: the index as it is now, written as the current generation (when it
        differs from the files); returns the generation served."""
        if self.files is None:
            return None
        if self._indexed_until is None:
            self.load()
        elif self.matcher.encoder is not None and self._pending:
            with session_scope(self.engine) as session, self._lock:
                self._take_stored_locked(session)  # what `claimbot index` just stored
                self._embeddings = embedding_state(session, self.matcher.encoder)
        return self.write_files(wait=True)

    def write_files(self, *, wait: bool) -> str | None:
        """Write the files' current rows plus this process's changes as a new generation and serve
        from it. Without `wait`, gives up when another process is writing. Returns the generation."""
        files = self.files
        if files is None:
            return None
        # A process writing the files only (as index_build.write_all): a reading one never imports it.
        from bot.matching.segment_writer import write_changes

        with self._following, files.lock(wait=wait) as held:
            if not held:
                return None
            if files.generation() not in (None, self._generation):
                self._open_files()  # someone else was quicker: serve theirs (it may be enough)
            with self._lock:
                changes = self.matcher.changes()
                if not changes.docs and not changes.base_vectors and changes.base is not None:
                    return self._generation
                rows = self._rows_seen_locked()
                revisions = dict(self._revisions)
                until = self._indexed_until or utcnow()
                self._touched = set()
                state = self._embeddings
            encoder = self.matcher.encoder
            scratch, name = files.scratch()
            try:
                write_changes(
                    scratch,
                    changes,
                    revisions,
                    rows,
                    meta(until, self.database, state),
                    dims=encoder.dimensions if encoder else 0,
                    model=encoder.name if encoder else None,
                )
                final = files.publish(scratch, name)
                segment = Segment.open(final, verify=False)  # written just now, by this process
            except (OSError, SegmentError, ValueError) as exc:
                files.discard(scratch)
                with self._lock:
                    self._touched = None
                log.warning("cannot write the match index files (%s); serving from memory", exc)
                return None
            with self._lock, self.matcher.batch():
                touched, self._touched = self._touched or set(), None
                self.matcher.reset()
                self.matcher.attach(segment)
                self._reset_state(segment)
                self._generation = name
                if touched:  # changed while the files were written: as the store has them now
                    with session_scope(self.engine) as session:
                        self._index_rows(session, list(factchecks.iter_index_rows(session, ids=touched)))
                        for missing in touched - set(self._applied):
                            self.matcher.remove(missing)
        return name

    def _rows_seen_locked(self) -> tuple[np.ndarray, np.ndarray]:
        """Every fact-check row this index reflects, ascending by id, with its updated_at (µs)."""
        own_ids = np.fromiter(self._applied, dtype=np.int64, count=len(self._applied))
        own_updated = np.fromiter(
            (micros(v) for v in self._applied.values()), dtype=np.int64, count=len(own_ids)
        )
        base = self.matcher.base
        if base is not None:
            ids, updated = base.rows_seen()
            keep = ~np.isin(ids, own_ids)
            own_ids = np.concatenate([np.asarray(ids)[keep], own_ids])
            own_updated = np.concatenate([np.asarray(updated)[keep], own_updated])
        order = np.argsort(own_ids, kind="stable")
        return own_ids[order], own_updated[order]
