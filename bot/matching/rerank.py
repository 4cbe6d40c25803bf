"""Features of a (question, fact-check) pair and the calibrated score built from them.

BM25 finds candidates but its raw score grows with question length and is not comparable across
questions.  The features here are bounded and length-independent, so one logistic function of them
gives a probability-like score that thresholds can be set on:

- ``q_cov``:  idf-weighted share of the question's terms found in the phrasing (does the fact-check
  talk about everything the question mentions?  "councilman" missing from a claim about an officer
  pulls this down),
- ``p_cov``:  idf-weighted share of the phrasing's terms found in the question (does the question
  mention what the claim is about?),
- ``fuzz``:   rapidfuzz token_set_ratio of the two term strings (catches spelling variants and order),
- ``bm25_rel``: the candidate's BM25 relative to the best candidate of this question (ranking signal),
- ``margin``: how far ahead of the runner-up the candidate's pre-score is (an ambiguous question
  is not an answer).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources

from rapidfuzz import fuzz

LEXICAL_FEATURES = ("q_cov", "p_cov", "fuzz", "bm25_rel", "doc_q_cov", "q_missing", "p_missing")
SEMANTIC_FEATURES = (*LEXICAL_FEATURES, "cos", "cos_rel")
FEATURES = {"lexical": LEXICAL_FEATURES, "semantic": SEMANTIC_FEATURES}


@dataclass(frozen=True)
class Phrasing:
    """One way the fact-check's claim is written, pre-processed once at upsert."""

    text: str
    kind: str  # "claim", "title", "summary", "alias"
    terms: frozenset[str]
    term_string: str  # sorted unique terms joined by spaces, for rapidfuzz


def make_phrasing(text: str, kind: str, terms: list[str]) -> Phrasing:
    unique = frozenset(terms)
    return Phrasing(text=text, kind=kind, terms=unique, term_string=" ".join(sorted(unique)))


def weighted_overlap(query: dict[str, float], terms: frozenset[str]) -> tuple[float, float]:
    """(share of the query weight covered by terms, covered weight)."""
    total = sum(query.values())
    if total <= 0:
        return 0.0, 0.0
    covered = sum(w for t, w in query.items() if t in terms)
    return covered / total, covered


def phrasing_features(
    query: dict[str, float], query_string: str, phrasing: Phrasing, idf: dict[str, float]
) -> tuple[float, float, float]:
    """(q_cov, p_cov, fuzz) of one phrasing."""
    if not phrasing.terms:
        return 0.0, 0.0, 0.0
    q_cov, covered = weighted_overlap(query, phrasing.terms)
    p_total = sum(idf[t] for t in phrasing.terms)
    p_cov = covered / p_total if p_total > 0 else 0.0
    similarity = fuzz.token_set_ratio(query_string, phrasing.term_string) / 100.0
    return q_cov, min(p_cov, 1.0), similarity


@dataclass(frozen=True)
class ScoreModel:
    """Logistic model over FEATURES; coefficients ship as weights.json next to this module."""

    intercept: float
    weights: dict[str, float]

    def score(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, kind: str) -> ScoreModel:
        """The model fitted for `kind` ("lexical" or "semantic") from weights.json."""
        raw = json.loads(resources.files(__package__).joinpath("weights.json").read_text())
        if kind not in raw:
            kind = "lexical"
        model = raw[kind]
        return cls(
            intercept=float(model["intercept"]), weights={k: float(v) for k, v in model["weights"].items()}
        )
