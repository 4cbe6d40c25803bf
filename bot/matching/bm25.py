"""An incremental Okapi BM25 index over integer slots.

Postings are compact `array('i')` pairs per term (slot ids, term frequencies): 300k fact-checks with
~30 terms each stay in the low hundreds of MB, and adding or removing a document touches only its own
terms.  IDF and the average length are read at query time, so nothing is ever rebuilt in bulk.
Scoring converts each query term's postings to numpy once per query: C-speed, no Python loop per
posting.

An index can sit on a base: the postings of a memory-mapped segment (segment.py), slots 0 .. S-1,
with this process's own additions numbered from S. A base slot that is removed is only masked (its
terms' document frequencies and its length are taken off the totals), so scores, document
frequencies and idf are exactly those of an index holding the same slots in memory.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .segment import Segment

K1 = 1.2
B = 0.75


class BM25Index:
    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, tuple[array, array]] = {}
        self._lengths = array("f")
        self._live = array("b")
        self._slot_terms: list[tuple[str, ...] | None] = []
        self._free: list[int] = []
        self._total_length = 0.0
        self._count = 0
        self._lengths_np: np.ndarray | None = None
        self._idf_cache = _IdfTable(self)  # cleared by every add/remove: N and df change
        self._base: Segment | None = None
        self._offset = 0  # slots below are the base's
        self._base_dead: set[int] = set()
        self._base_dead_df: Counter[int] = Counter()  # term id -> masked base slots holding it
        self._base_length = 0.0  # of the live base slots
        self._base_dead_array: np.ndarray | None = None

    def attach(self, segment: Segment) -> None:
        """Use the segment's postings as the base (on an empty index)."""
        if self._count or self._lengths:
            raise ValueError("attach a base to an empty index")
        self._base = segment
        self._offset = segment.slots
        self._base_length = float(np.asarray(segment.a["slot_len"], dtype=np.float64).sum())
        self._idf_cache.clear()

    def __len__(self) -> int:
        return self._count + self._offset - len(self._base_dead)

    @property
    def capacity(self) -> int:
        return self._offset + len(self._lengths)

    def add(self, terms: list[str]) -> int:
        """Index a bag of terms; returns its slot id."""
        return self._offset + self._add(terms)

    def _add(self, terms: list[str]) -> int:
        counts = Counter(terms)
        if self._free:
            slot = self._free.pop()
            self._lengths[slot] = len(terms)
            self._live[slot] = 1
            self._slot_terms[slot] = tuple(counts)
        else:
            slot = len(self._lengths)
            self._lengths.append(len(terms))
            self._live.append(1)
            self._slot_terms.append(tuple(counts))
        for term, tf in counts.items():
            posting = self._postings.get(term)
            if posting is None:
                posting = self._postings[term] = (array("i"), array("i"))
            posting[0].append(slot)
            posting[1].append(tf)
        self._total_length += len(terms)
        self._count += 1
        self._lengths_np = None
        self._idf_cache.clear()
        return slot

    def remove(self, slot: int) -> None:
        if slot < self._offset:
            self._remove_base(slot)
        else:
            self._remove(slot - self._offset)

    def _remove_base(self, slot: int) -> None:
        if self._base is None or slot in self._base_dead:
            return
        self._base_dead.add(slot)
        self._base_dead_df.update(self._base.slot_term_ids(slot).tolist())
        self._base_length -= float(self._base.a["slot_len"][slot])
        self._base_dead_array = None
        self._idf_cache.clear()

    def _remove(self, slot: int) -> None:
        terms = self._slot_terms[slot]
        if terms is None:
            return
        for term in terms:
            slots, tfs = self._postings[term]
            i = slots.index(slot)
            # Order within a posting list does not matter: swap the last entry in (O(1) delete).
            slots[i] = slots[-1]
            tfs[i] = tfs[-1]
            slots.pop()
            tfs.pop()
            if not slots:
                del self._postings[term]
        self._total_length -= self._lengths[slot]
        self._lengths[slot] = 0
        self._live[slot] = 0
        self._slot_terms[slot] = None
        self._free.append(slot)
        self._count -= 1
        self._lengths_np = None
        self._idf_cache.clear()

    def df(self, term: str) -> int:
        posting = self._postings.get(term)
        count = len(posting[0]) if posting else 0
        if self._base is not None:
            tid = self._base.term_id.get(term)
            if tid is not None:
                count += int(self._base.df[tid]) - self._base_dead_df.get(tid, 0)
        return count

    def idf(self, term: str) -> float:
        """BM25 idf (Lucene's non-negative form); unseen terms weigh as a df=0 term would."""
        return self._idf_cache[term]

    def _compute_idf(self, term: str) -> float:
        n = max(len(self), 1)
        df = self.df(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def idf_lookup(self) -> Callable[[str], float]:
        """`idf` as a dict look-up (a C call once a term has been seen): the rerank asks for the idf of
        every term of ~100 candidates' phrasings per question."""
        return self._idf_cache.__getitem__

    def vocabulary(self) -> list[str]:
        """Every term some live slot holds."""
        if self._base is None:
            return list(self._postings)
        base = self._base
        live = base.df.copy()
        for tid, dead in self._base_dead_df.items():
            live[tid] -= dead
        words = [base.vocab[i] for i in np.flatnonzero(live > 0)]
        return words + [t for t in self._postings if t not in base.term_id or live[base.term_id[t]] <= 0]

    def max_idf(self) -> float:
        """idf of a term seen nowhere: the scale for "how specific is this word"."""
        n = max(len(self), 1)
        return math.log(1.0 + (n + 0.5) / 0.5)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every slot (dead slots score 0), base slots first."""
        out = np.zeros(self.capacity, dtype=np.float32)
        count = len(self)
        if not count:
            return out
        avgdl = (self._total_length + self._base_length) / count or 1.0
        query = Counter(query_terms)
        if self._base is not None:
            self._score_base(query, avgdl, out)
        if not self._count:
            return out
        if self._lengths_np is None:
            self._lengths_np = np.frombuffer(self._lengths, dtype=np.float32).copy()
        norm_all = self.k1 * (1.0 - self.b + self.b * self._lengths_np / avgdl)
        own = out[self._offset :]
        for term, qtf in query.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            slots = np.array(posting[0], dtype=np.int64)
            tfs = np.array(posting[1], dtype=np.float32)
            weight = self.idf(term) * qtf
            own[slots] += weight * tfs * (self.k1 + 1.0) / (tfs + norm_all[slots])
        return out

    def _score_base(self, query: Counter[str], avgdl: float, out: np.ndarray) -> None:
        base = self._base
        assert base is not None
        lengths = base.a["slot_len"]
        for term, qtf in query.items():
            tid = base.term_id.get(term)
            if tid is None or not base.df[tid]:
                continue
            slots, tfs = base.postings(tid)
            # The same float32 arithmetic as for this process's own slots, on the posting's slots only.
            norm = self.k1 * (1.0 - self.b + self.b * lengths[slots] / avgdl)
            weight = self.idf(term) * qtf
            out[slots] += weight * tfs * (self.k1 + 1.0) / (tfs + norm)
        if self._base_dead:
            if self._base_dead_array is None:
                self._base_dead_array = np.fromiter(self._base_dead, dtype=np.int64)
            out[self._base_dead_array] = 0.0


class _IdfTable(dict[str, float]):
    """term -> idf, computed on first look-up."""

    def __init__(self, index: BM25Index) -> None:
        super().__init__()
        self._index = index

    def __missing__(self, term: str) -> float:
        value = self[term] = self._index._compute_idf(term)
        return value
