"""An incremental Okapi BM25 index over integer slots.

Postings are compact `array('i')` pairs per term (slot ids, term frequencies): 300k fact-checks with
~30 terms each stay in the low hundreds of MB, and adding or removing a document touches only its own
terms.  IDF and the average length are read at query time, so nothing is ever rebuilt in bulk.
Scoring converts each query term's postings to numpy once per query: C-speed, no Python loop per
posting.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter

import numpy as np

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
        self._idf_cache: dict[str, float] = {}  # cleared by every add/remove: N and df change

    def __len__(self) -> int:
        return self._count

    @property
    def capacity(self) -> int:
        return len(self._lengths)

    def add(self, terms: list[str]) -> int:
        """Index a bag of terms; returns its slot id."""
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
        return len(posting[0]) if posting else 0

    def idf(self, term: str) -> float:
        """BM25 idf (Lucene's non-negative form); unseen terms weigh as a df=0 term would."""
        value = self._idf_cache.get(term)
        if value is None:
            n = max(self._count, 1)
            df = self.df(term)
            value = self._idf_cache[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return value

    def vocabulary(self) -> list[str]:
        return list(self._postings)

    def max_idf(self) -> float:
        """idf of a term seen nowhere: the scale for "how specific is this word"."""
        n = max(self._count, 1)
        return math.log(1.0 + (n + 0.5) / 0.5)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every slot (dead slots score 0)."""
        out = np.zeros(len(self._lengths), dtype=np.float32)
        if not self._count:
            return out
        if self._lengths_np is None:
            self._lengths_np = np.frombuffer(self._lengths, dtype=np.float32).copy()
        avgdl = self._total_length / self._count or 1.0
        norm_all = self.k1 * (1.0 - self.b + self.b * self._lengths_np / avgdl)
        for term, qtf in Counter(query_terms).items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            slots = np.array(posting[0], dtype=np.int64)
            tfs = np.array(posting[1], dtype=np.float32)
            weight = self.idf(term) * qtf
            out[slots] += weight * tfs * (self.k1 + 1.0) / (tfs + norm_all[slots])
        return out
