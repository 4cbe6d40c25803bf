"""Sentence vectors computed once, in batches, off the paths that must be fast.

Imports and start-up never encode (bot/usecases/catalogue.py indexes a fact-check lexically until it
has a vector). Vectors are made here, stored with the revision they were computed from:

- `index_vectors`: `claimbot index`, every published fact-check lacking one, in id order;
  with `reencode`, also those whose only vectors are another model's (the one migration after a
  model change), whose old vectors it then drops.
- `store_starter_vectors`: the bundled starter fact-checks come with their vectors
  (bot/data/starter.vectors.npz, made by `python -m bot.usecases.embedding`), so a new database
  matches them by meaning at once.
- `BackgroundEncoder`: a thread in each serving process that works through the fact-checks its index
  holds without a vector: it takes vectors another process has stored, encodes the rest in batches
  and gives them to the index as each batch is done.
"""

from __future__ import annotations

import hashlib
import logging
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.importers import read_records, starter_path
from bot.matching import Encoder, MatchDocument
from bot.matching.semantic import MODEL_NAME, document_text
from bot.usecases.catalogue import Catalogue
from store import embeddings, factchecks
from store.db import session_scope
from store.models import FactCheck, FactCheckStatus

log = logging.getLogger(__name__)

# Vectors other processes stored, and fact-checks waiting for `--reencode`, are looked for this often.
RECHECK_SECONDS = 30.0


@dataclass
class IndexReport:
    encoded: int = 0
    dropped: int = 0  # vectors of other models deleted (--reencode)
    awaiting_reencode: int = 0  # fact-checks left with another model's vectors only
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.encoded / self.seconds if self.seconds > 0 else 0.0


def index_vectors(
    engine: Engine,
    encoder: Encoder,
    *,
    reencode: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IndexReport:
    """Encode and store a vector for every published fact-check that lacks one for its revision."""
    report = IndexReport()
    started = time.perf_counter()
    after_id = 0
    # Fact-checks per read and write: the encoder sorts the chunk's texts by token count, so a larger
    # one pads less, and the batches of its last stretch leave fewer cores idle.
    chunk = max(encoder.batch_size * 64, 1024)
    while True:
        with session_scope(engine) as session:
            rows = embeddings.pending(
                session, encoder.name, after_id=after_id, limit=chunk, reencode=reencode, with_fields=True
            )
        if not rows:
            break
        docs = [MatchDocument(r.id, r.claim, r.title, r.summary) for r in rows]
        vectors, fields = encoder.encode_fact_checks(docs)
        with session_scope(engine) as session:
            embeddings.save(
                session,
                encoder.name,
                [(r.id, r.revision, v, f) for r, v, f in zip(rows, vectors, fields, strict=True)],
            )
        report.encoded += len(rows)
        after_id = rows[-1].id
        if progress is not None:
            progress(report.encoded)
    with session_scope(engine) as session:
        if reencode:
            report.dropped = embeddings.drop_other_models(session, encoder.name)
        else:
            report.awaiting_reencode = len(embeddings.awaiting_reencode(session, encoder.name))
    report.seconds = time.perf_counter() - started
    return report


def starter_vectors_path() -> Path:
    return Path(str(files("bot") / "data" / "starter.vectors.npz"))


def _text_digest(claim: str, title: str) -> str:
    return hashlib.sha256(document_text(MatchDocument(0, claim, title)).encode()).hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def store_starter_vectors(engine: Engine, path: Path | None = None) -> int:
    """Store the bundled vectors of the starter fact-checks whose text is still the one encoded (and
    their field vectors when the bundle has them and the summary is the one encoded too)."""
    path = path or starter_vectors_path()
    if not path.exists():
        return 0
    bundle = np.load(path)
    if str(bundle["model"]) != MODEL_NAME:
        return 0  # another model's: the starter set is encoded like any other fact-check
    fields = bundle["fields"] if "fields" in bundle else [None] * len(bundle["urls"])
    summaries = bundle["summaries"] if "summaries" in bundle else [""] * len(bundle["urls"])
    shipped = {
        (str(url), str(digest)): (vector, field_vectors, str(summary))
        for url, digest, vector, field_vectors, summary in zip(
            bundle["urls"], bundle["digests"], bundle["vectors"], fields, summaries, strict=True
        )
    }
    with session_scope(engine) as session:
        facts = session.exec(
            select(
                FactCheck.id,
                FactCheck.url,
                FactCheck.revision,
                FactCheck.claim,
                FactCheck.title,
                FactCheck.summary,
            ).where(col(FactCheck.url).in_([url for url, _ in shipped]))
        ).all()
        rows = []
        for fact_check_id, url, revision, claim, title, summary in facts:
            found = shipped.get((url, _text_digest(claim, title or "")))
            if found is not None and fact_check_id is not None:
                vector, field_vectors, encoded_summary = found
                same = field_vectors is not None and _digest(summary or "") == encoded_summary
                rows.append((fact_check_id, revision, vector, field_vectors if same else None))
        embeddings.save(session, MODEL_NAME, rows)
    return len(rows)


def write_starter_vectors(path: Path | None = None) -> int:
    """Encode the bundled starter fact-checks into `path` (run after changing bot/data/starter.jsonl)."""
    from bot.domain import FactCheckRecord
    from bot.importers._common import importable

    # As stored: an import cleans the text first, and the digest is checked against the stored text.
    records = [r for r in map(importable, read_records(starter_path())) if isinstance(r, FactCheckRecord)]
    docs = [MatchDocument(0, r.claim, r.title, r.summary) for r in records]
    vectors, fields = Encoder().encode_fact_checks(docs)
    np.savez(
        path or starter_vectors_path(),
        model=np.array(MODEL_NAME),
        urls=np.array([r.url for r in records]),
        digests=np.array([_text_digest(r.claim, r.title) for r in records]),
        vectors=vectors,
        fields=fields.astype(np.float16),
        summaries=np.array([_digest(r.summary) for r in records]),
    )
    return len(records)


class BackgroundEncoder:
    """The serving process's encoder thread: `start()`, then `stop()` on shutdown.

    Several workers may run one each on the same database: each takes its batches in a random order
    and first looks for vectors the others have stored, so they rarely encode the same fact-check.
    """

    def __init__(
        self, catalogue: Catalogue, encoder: Encoder, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        self.catalogue = catalogue
        self.encoder = encoder
        self.recheck_seconds = recheck_seconds
        self.encoded = 0  # by this thread, for the log and tests
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._told_reencode = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="claimbot-encoder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stops after the batch in hand (seconds at most)."""
        self._stop.set()
        self.catalogue.vectors_wanted.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.catalogue.vectors_wanted.clear()
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the thread must outlive a database hiccup
                log.exception("background encoding failed; retrying")
            self.catalogue.vectors_wanted.wait(self.recheck_seconds)

    def run_once(self) -> int:
        """One pass over the fact-checks indexed without a vector; returns how many it encoded."""
        pending = self.catalogue.pending_vectors()
        if not pending:
            return 0
        model = self.encoder.name
        with session_scope(self.catalogue.engine) as session:
            waiting = embeddings.awaiting_reencode(session, model, pending)
        if waiting and len(waiting) != self._told_reencode:
            log.warning(
                "%d fact-checks have vectors of another model only; run `claimbot index --reencode`",
                len(waiting),
            )
        self._told_reencode = len(waiting)
        todo = [i for i in pending if i not in waiting]
        random.shuffle(todo)  # another worker on the same database likely starts elsewhere
        encoded = 0
        self._take_stored({i: pending[i] for i in waiting})
        for start in range(0, len(todo), self.encoder.batch_size):
            if self._stop.is_set():
                break
            batch = {i: pending[i] for i in todo[start : start + self.encoder.batch_size]}
            encoded += self._encode(batch)
        self.encoded += encoded
        return encoded

    def _take_stored(self, revisions: dict[int, int]) -> set[int]:
        """Vectors another process stored for these revisions, given to the index; returns their ids."""
        if not revisions:
            return set()
        with session_scope(self.catalogue.engine) as session:
            stored = embeddings.load_with_fields(session, self.encoder.name, revisions)
        self.catalogue.apply_vectors({i: (revisions[i], v, f) for i, (v, f) in stored.items()})
        return set(stored)

    def _encode(self, revisions: dict[int, int]) -> int:
        revisions = {i: r for i, r in revisions.items() if i not in self._take_stored(revisions)}
        if not revisions:
            return 0
        with session_scope(self.catalogue.engine) as session:
            # The text as stored now: the revision read with it is the one the vector is saved under.
            rows = [
                row
                for row in factchecks.iter_index_rows(session, ids=revisions)
                if row.status == FactCheckStatus.PUBLISHED
            ]
        if not rows:
            return 0
        docs = [MatchDocument(r.id, r.claim, r.title, r.summary) for r in rows]
        vectors, fields = self.encoder.encode_fact_checks(docs)
        with session_scope(self.catalogue.engine) as session:
            embeddings.save(
                session,
                self.encoder.name,
                [(r.id, r.revision, v, f) for r, v, f in zip(rows, vectors, fields, strict=True)],
            )
        self.catalogue.apply_vectors(
            {r.id: (r.revision, v, f) for r, v, f in zip(rows, vectors, fields, strict=True)}
        )
        return len(rows)


if __name__ == "__main__":
    written = write_starter_vectors(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"encoded {written} starter fact-checks")
