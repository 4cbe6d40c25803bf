"""What a matcher has indexed: fact-checks added, replaced and removed, their vectors, and the base.

The index is this process's own, in memory, optionally over a base: a memory-mapped segment
(segment.py) written by any process. `attach` a segment to an empty matcher; upserts and removals
then mask the base's copy (base.py) and keep the new one in memory, and `changes()` hands both to
the writer of the next segment (segment_writer.py). A base fact-check is read from the files only
when it is a candidate, so opening costs milliseconds and the pages are shared between processes.
matcher.py ranks what is held here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import numpy as np

from .base import Base
from .bm25 import BM25Index
from .documents import Entry, Prepared, prepare
from .entities import EntityLexicon
from .model import MatchDocument
from .vectors import VectorStore, unit

if TYPE_CHECKING:
    from .segment import Segment
    from .segment_writer import Changes
    from .semantic import Encoder


class Holdings:
    """Thread-safe: every change and every read of the index holds one RLock."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder
        self._lock = threading.RLock()
        self._index = BM25Index()
        self._vectors = VectorStore()
        self._names = EntityLexicon()
        self._entries: dict[int, Entry] = {}  # this process's own (all of them without a base)
        self._slot_owner: list[int] = []  # own slot - base slots -> fact_check_id (-1 when free)
        self._base: Base | None = None  # a segment's fact-checks, served from the files (base.py)
        # Per-field vectors stored with a fact-check's vector (claim, title, summary; float16 values).
        self._stored_fields: dict[int, np.ndarray] = {}
        # Per-field vectors of recent top candidates: encoded on first need, dropped on upsert.
        self._fields: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        # For spelling correction, rebuilt lazily: indexed words by first letter, and corrections made.
        self._vocabulary: dict[str, list[str]] | None = None
        self._corrections: dict[str, str | None] = {}

    # --- updates --------------------------------------------------------------------------------

    def upsert(
        self,
        doc: MatchDocument,
        vector: np.ndarray | Sequence[float] | None = None,
        fields: np.ndarray | None = None,
    ) -> None:
        """Add or replace one fact-check; visible to the next match()."""
        self.upsert_many([doc], None if vector is None else [vector], None if fields is None else [fields])

    def upsert_many(
        self,
        docs: Iterable[MatchDocument],
        vectors: np.ndarray | Sequence[np.ndarray | Sequence[float] | None] | None = None,
        fields: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        """Bulk add/replace; `vectors`, when given, align with `docs` (None entries allowed), and so do
        `fields`: each fact-check's claim, title and summary vectors (3, dims), which spare encoding
        them when it is the best match."""
        docs = list(docs)
        if not docs:
            return
        if vectors is not None and len(vectors) != len(docs):
            raise ValueError("vectors must align with docs")
        if fields is not None and len(fields) != len(docs):
            raise ValueError("fields must align with docs")
        if vectors is None and self.encoder is not None:
            vectors = self.encoder.encode_documents(docs)
            encode_fields = getattr(self.encoder, "encode_fields", None)  # a test's encoder may lack it
            fields = list(encode_fields(docs)) if encode_fields is not None else None
        # Normalising is the expensive part and needs no lock; the index work is cheap appends.
        prepared = [prepare(doc) for doc in docs]
        with self._lock:
            for i, (doc, parts) in enumerate(zip(docs, prepared, strict=True)):
                self._remove_locked(doc.fact_check_id)
                self._add_locked(doc, parts)
                self._drop_fields_locked(doc.fact_check_id)
                if vectors is not None and vectors[i] is not None:
                    self._vectors.set(doc.fact_check_id, np.asarray(vectors[i], dtype=np.float32))
                    if fields is not None and fields[i] is not None:
                        self._stored_fields[doc.fact_check_id] = _as_stored(fields[i])
            self._vocabulary = None

    def set_vectors(
        self, vectors: dict[int, np.ndarray], fields: Mapping[int, np.ndarray | None] | None = None
    ) -> int:
        """Give indexed fact-checks their vectors (computed after they were upserted), and their field
        vectors when given; returns how many were indexed. A fact-check not in the index is left out."""
        fields = fields or {}
        with self._lock:
            count = 0
            for fact_check_id, vector in vectors.items():
                if fact_check_id in self:
                    self._vectors.set(fact_check_id, np.asarray(vector, dtype=np.float32))
                    stored = fields.get(fact_check_id)
                    if stored is not None:
                        self._stored_fields[fact_check_id] = _as_stored(stored)
                    if self._base is not None and fact_check_id not in self._entries:  # read-only files
                        self._base.vectors[fact_check_id] = (
                            unit(vector),
                            self._stored_fields.get(fact_check_id),
                        )
                    count += 1
            return count

    def has_vector(self, fact_check_id: int) -> bool:
        return fact_check_id in self._vectors

    def remove(self, fact_check_id: int) -> None:
        with self._lock:
            self._remove_locked(fact_check_id)
            self._drop_fields_locked(fact_check_id)
            self._vocabulary = None

    def documents(self) -> list[MatchDocument]:
        """A snapshot of every indexed fact-check (a refit reads the moderators' aliases here)."""
        with self._lock:
            own = [entry.doc for entry in self._entries.values()]
            return own if self._base is None else self._base.documents() + own

    # --- the files ------------------------------------------------------------------------------

    def attach(self, segment: Segment) -> None:
        """Serve the segment's fact-checks (memory-mapped) under this process's own changes; on an
        empty matcher only."""
        with self._lock:
            if self._entries or self._base is not None:
                raise ValueError("attach a segment to an empty matcher")
            self._index.attach(segment)
            self._vectors.attach(segment)
            self._names.attach(segment.term_id, segment.a["name_votes"])
            self._base = Base(segment)
            self._vocabulary = None

    @property
    def base(self) -> Segment | None:
        return self._base.segment if self._base is not None else None

    def reset(self) -> None:
        """Forget every indexed fact-check (and the base): an empty matcher with the same settings."""
        with self._lock:
            self._index = BM25Index()
            self._vectors = VectorStore()
            self._names = EntityLexicon()
            self._entries.clear()
            self._slot_owner.clear()
            self._base = None
            self._stored_fields.clear()
            self._fields.clear()
            self._vocabulary = None
            self._corrections = {}

    def batch(self) -> AbstractContextManager[bool]:
        """Hold it to make several changes at once (a reset, an attach and upserts): a match() waits."""
        return self._lock

    def changes(self) -> Changes:
        """What the next segment holds beyond the base's rows still current (segment_writer.py)."""
        from .segment_writer import Changes  # for writing the files only: a reading process never does

        with self._lock:
            base = self._base
            docs = [
                (entry.doc, self._vectors.get(i), self._stored_fields.get(i))
                for i, entry in sorted(self._entries.items())
            ]
            if base is None:
                return Changes(None, np.zeros(0, dtype=np.int64), docs, {})
            return Changes(base.segment, base.kept(), docs, dict(base.vectors))

    def own_count(self) -> int:
        """Fact-checks changed or added since the base (all of them without one)."""
        return len(self._entries) + (len(self._base.dead) if self._base is not None else 0)

    def changed_count(self) -> int:
        """What the next segment would hold beyond the base: own fact-checks and vectors given since."""
        return self.own_count() + (len(self._base.vectors) if self._base is not None else 0)

    def vector(self, fact_check_id: int) -> np.ndarray | None:
        """The stored vector of one fact-check, if it has one."""
        with self._lock:
            return self._vectors.get(fact_check_id)

    def __len__(self) -> int:
        return len(self._entries) + (len(self._base) if self._base is not None else 0)

    def __contains__(self, fact_check_id: object) -> bool:
        return fact_check_id in self._entries or (
            self._base is not None and self._base.row(fact_check_id) >= 0
        )

    def _entry(self, fact_check_id: int) -> Entry:
        """The indexed fact-check: this process's own, or read from the base."""
        entry = self._entries.get(fact_check_id)
        if entry is None and self._base is not None:
            entry = self._base.entry(fact_check_id)
        if entry is None:
            raise KeyError(fact_check_id)
        return entry

    def _owner(self, slot: int) -> int:
        offset = self._base.slots if self._base is not None else 0
        if slot >= offset:
            return self._slot_owner[slot - offset]
        assert self._base is not None
        return self._base.owner(slot)

    def _add_locked(self, doc: MatchDocument, prepared: Prepared) -> None:
        slots = tuple(self._index.add(terms) for terms in prepared.slot_terms)
        offset = self._base.slots if self._base is not None else 0
        for slot in slots:
            own = slot - offset
            if own >= len(self._slot_owner):
                self._slot_owner.extend([-1] * (own + 1 - len(self._slot_owner)))
            self._slot_owner[own] = doc.fact_check_id
        self._names.add(prepared.capitalised, prepared.lowercase)
        self._entries[doc.fact_check_id] = Entry(
            doc, slots, prepared.phrasings, prepared.capitalised, prepared.lowercase
        )

    def _remove_locked(self, fact_check_id: int) -> None:
        self._stored_fields.pop(fact_check_id, None)
        entry = self._entries.pop(fact_check_id, None)
        if entry is None and self._base is not None:
            entry = self._base.kill(fact_check_id)
        self._vectors.remove(fact_check_id)
        if entry is None:
            return
        offset = self._base.slots if self._base is not None else 0
        self._names.remove(entry.capitalised, entry.lowercase)
        for slot in entry.slots:
            self._index.remove(slot)
            if slot >= offset:
                self._slot_owner[slot - offset] = -1

    def _stored_fields_locked(self, fact_check_id: int) -> np.ndarray | None:
        stored = self._stored_fields.get(fact_check_id)
        if stored is not None or fact_check_id in self._entries or self._base is None:
            return stored
        return self._base.fields(fact_check_id)

    def _drop_fields_locked(self, fact_check_id: int) -> None:
        for key in [k for k in self._fields if k[0] == fact_check_id]:
            del self._fields[key]


def _as_stored(fields: np.ndarray) -> np.ndarray:
    """Field vectors as the files keep them (float16), so a cosine is the same from memory or a file."""
    return np.asarray(fields, dtype=np.float16).astype(np.float32)
