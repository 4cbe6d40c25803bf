"""The in-memory matcher: BM25 candidates, feature rerank, calibrated score, decision."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .bm25 import BM25Index
from .model import Match, MatchDocument, Thresholds
from .normalise import content_tokens, is_chitchat, normalise
from .rerank import Phrasing, ScoreModel, make_phrasing, phrasing_features, weighted_overlap
from .thresholds import (
    ANSWER_MARGIN,
    ANSWER_MAX_MISSING_IDF,
    ANSWER_MIN_QUERY_COVERAGE,
    DEFAULT_THRESHOLDS,
)

CANDIDATE_SLOTS = 200  # BM25 slots looked at (aliases make several slots per fact-check)
CANDIDATES = 50  # fact-checks reranked


@dataclass
class _Entry:
    doc: MatchDocument
    slots: list[int]
    phrasings: list[Phrasing]
    terms: frozenset[str]


class Matcher:
    def __init__(self, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.thresholds = thresholds
        self._lock = threading.RLock()
        self._index = BM25Index()
        self._entries: dict[int, _Entry] = {}
        self._slot_owner: list[int] = []  # slot -> fact_check_id (-1 when free)
        self._model = ScoreModel.load()

    # --- updates --------------------------------------------------------------------------------

    def upsert(self, doc: MatchDocument) -> None:
        """Add or replace one fact-check; visible to the next match()."""
        prepared = _prepare(doc)
        with self._lock:
            self._remove_locked(doc.fact_check_id)
            self._add_locked(doc, *prepared)

    def upsert_many(self, docs: Iterable[MatchDocument]) -> None:
        # Normalising is the expensive part and needs no lock; the index work is cheap appends.
        prepared = [(doc, *_prepare(doc)) for doc in docs]
        with self._lock:
            for doc, main_terms, alias_terms, phrasings in prepared:
                self._remove_locked(doc.fact_check_id)
                self._add_locked(doc, main_terms, alias_terms, phrasings)

    def remove(self, fact_check_id: int) -> None:
        with self._lock:
            self._remove_locked(fact_check_id)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, fact_check_id: object) -> bool:
        return fact_check_id in self._entries

    def _add_locked(
        self,
        doc: MatchDocument,
        main_terms: list[str],
        alias_terms: list[list[str]],
        phrasings: list[Phrasing],
    ) -> None:
        slots = [self._index.add(terms) for terms in [main_terms, *alias_terms] if terms]
        for slot in slots:
            if slot >= len(self._slot_owner):
                self._slot_owner.extend([-1] * (slot + 1 - len(self._slot_owner)))
            self._slot_owner[slot] = doc.fact_check_id
        terms = frozenset().union(*(p.terms for p in phrasings)) if phrasings else frozenset()
        self._entries[doc.fact_check_id] = _Entry(doc=doc, slots=slots, phrasings=phrasings, terms=terms)

    def _remove_locked(self, fact_check_id: int) -> None:
        entry = self._entries.pop(fact_check_id, None)
        if entry is None:
            return
        for slot in entry.slots:
            self._index.remove(slot)
            self._slot_owner[slot] = -1

    # --- queries --------------------------------------------------------------------------------

    def match(self, text: str, top_k: int = 5) -> list[Match]:
        """Best fact-checks for a question, best first, one per fact-check, at most top_k."""
        if top_k <= 0 or not text or not text.strip() or is_chitchat(text):
            return []
        query_norm = normalise(text)
        query_terms = content_tokens(query_norm)
        if not query_terms:
            return []
        with self._lock:
            return self._match_locked(query_terms, top_k)

    def _match_locked(self, query_terms: list[str], top_k: int) -> list[Match]:
        scores = self._index.scores(query_terms)
        if not len(scores):
            return []
        n = min(CANDIDATE_SLOTS, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        best_bm25: dict[int, float] = {}
        for slot in top[np.argsort(-scores[top])]:
            value = float(scores[slot])
            if value <= 0:
                break
            owner = self._slot_owner[slot]
            if owner >= 0 and owner not in best_bm25:
                best_bm25[owner] = value
                if len(best_bm25) >= CANDIDATES:
                    break
        if not best_bm25:
            return []
        top_bm25 = max(best_bm25.values())

        idf = {t: self._index.idf(t) for t in set(query_terms)}
        query_weights = dict(idf)
        query_string = " ".join(sorted(idf))
        max_idf = self._index.max_idf()
        results: list[Match] = []
        for fact_check_id, bm25 in best_bm25.items():
            entry = self._entries[fact_check_id]
            for phrasing in entry.phrasings:
                for t in phrasing.terms:
                    if t not in idf:
                        idf[t] = self._index.idf(t)
            best: tuple[float, float, float] = (0.0, 0.0, 0.0)
            best_phrasing = entry.phrasings[0].text if entry.phrasings else entry.doc.claim
            best_key = -1.0
            for phrasing in entry.phrasings:
                q_cov, p_cov, similarity = phrasing_features(query_weights, query_string, phrasing, idf)
                key = q_cov + p_cov + similarity
                if key > best_key:
                    best_key, best, best_phrasing = key, (q_cov, p_cov, similarity), phrasing.text
            doc_q_cov, _ = weighted_overlap(query_weights, entry.terms)
            missing = [w for t, w in query_weights.items() if t not in entry.terms]
            signals = {
                "bm25": round(bm25, 4),
                "bm25_rel": bm25 / top_bm25,
                "q_cov": best[0],
                "p_cov": best[1],
                "fuzz": best[2],
                "doc_q_cov": doc_q_cov,
                # the most specific question word the fact-check never mentions (idf / max idf)
                "q_missing": max(missing, default=0.0) / max_idf,
            }
            score = self._model.score(signals)
            results.append(Match(fact_check_id, score, best_phrasing, signals))
        results.sort(key=lambda m: (-m.score, -m.signals["bm25"], m.fact_check_id))
        return results[:top_k]

    def decide(self, matches: list[Match]) -> str:
        """The outcome for a match() result: "answer", "suggest" or "queued"."""
        if not matches:
            return "queued"
        best = matches[0]
        top = best.score
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        if (
            top >= self.thresholds.answer
            # two fact-checks that fit about equally well: let the asker choose rather than guess
            and top - runner_up >= ANSWER_MARGIN
            # the fact-check must speak to everything specific the question asks about
            and best.signals.get("doc_q_cov", 0.0) >= ANSWER_MIN_QUERY_COVERAGE
            and best.signals.get("q_missing", 1.0) < ANSWER_MAX_MISSING_IDF
        ):
            return "answer"
        if top >= self.thresholds.suggest:
            return "suggest"
        return "queued"


def _prepare(doc: MatchDocument) -> tuple[list[str], list[list[str]], list[Phrasing]]:
    """Index terms of the main document and of each alias, and the rerank phrasings."""
    main_terms: list[str] = []
    phrasings: list[Phrasing] = []
    for kind, text in (("claim", doc.claim), ("title", doc.title), ("summary", doc.summary)):
        if text and text.strip():
            terms = content_tokens(normalise(text))
            main_terms.extend(terms)
            if terms:
                phrasings.append(make_phrasing(text, kind, terms))
    alias_terms = []
    for alias in doc.aliases:
        terms = content_tokens(normalise(alias))
        if terms:
            alias_terms.append(terms)
            phrasings.append(make_phrasing(alias, "alias", terms))
    return main_terms, alias_terms, phrasings
