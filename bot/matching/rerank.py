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

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

from rapidfuzz import fuzz

from .entities import name_forms

LEXICAL_FEATURES = (
    "q_cov",
    "p_cov",
    "fuzz",
    "bm25_rel",
    "doc_q_cov",
    "q_missing",
    "p_missing",
    "num_missing",
)
SEMANTIC_FEATURES = (*LEXICAL_FEATURES, "cos", "cos_rel")
FEATURES = {"lexical": LEXICAL_FEATURES, "semantic": SEMANTIC_FEATURES}


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One way the fact-check's claim is written, pre-processed once at upsert.

    Terms are a sorted tuple, not a set: at 300k fact-checks sets cost ~1 GB more, and only the
    ~50-100 candidates of a query ever need set lookups.
    """

    text: str
    kind: str  # "claim", "title", "summary", "alias"
    terms: tuple[str, ...]


def make_phrasing(text: str, kind: str, terms: list[str]) -> Phrasing:
    return Phrasing(text=text, kind=kind, terms=tuple(sorted(set(terms))))


def weighted_overlap(query: dict[str, float], terms: set[str] | frozenset[str]) -> tuple[float, float]:
    """(share of the query weight covered by terms, covered weight)."""
    total = sum(query.values())
    if total <= 0:
        return 0.0, 0.0
    covered = sum(w for t, w in query.items() if t in terms)
    return covered / total, covered


@dataclass(frozen=True)
class Query:
    """What the rerank needs of a question, computed once per match()."""

    weights: dict[str, float]  # idf of each distinct term
    string: str  # sorted distinct terms, for rapidfuzz
    numbers: frozenset[str]
    names: frozenset[str]  # terms the stored fact-checks write as names (entities.py)
    max_idf: float  # idf of an unseen term: scales "how specific is this word" into [0, 1]

    @functools.cached_property
    def name_forms(self) -> tuple[frozenset[str], ...]:
        """Each name with the other words a fact-check may mention it by ("iranian" for "iran")."""
        return tuple(name_forms(name) for name in sorted(self.names))

    @functools.cached_property
    def total(self) -> float:
        return sum(self.weights.values())


def phrasing_features(
    query: Query, phrasing: Phrasing, idf: Callable[[str], float]
) -> tuple[float, float, float]:
    """(q_cov, p_cov, fuzz) of one phrasing."""
    terms = phrasing.terms
    if not terms:
        return 0.0, 0.0, 0.0
    # weighted_overlap's sums, in its order (so the same floats), without its per-call total.
    total = query.total
    covered = 0.0
    q_cov = 0.0
    if total > 0:
        present = set(terms)
        covered = sum([w for t, w in query.weights.items() if t in present])
        q_cov = covered / total
    p_total = sum(map(idf, terms))
    p_cov = covered / p_total if p_total > 0 else 0.0
    similarity = fuzz.token_set_ratio(query.string, " ".join(terms)) / 100.0
    return q_cov, min(p_cov, 1.0), similarity


def candidate_signals(
    query: Query, phrasings: Sequence[Phrasing], idf: Callable[[str], float]
) -> tuple[dict[str, float], Phrasing | None]:
    """The lexical signals of one fact-check and the phrasing that matched best."""
    best, best_phrasing, best_key = (0.0, 0.0, 0.0), None, -1.0
    for phrasing in phrasings:
        features = phrasing_features(query, phrasing, idf)
        if sum(features) > best_key:
            best_key, best, best_phrasing = sum(features), features, phrasing
    all_terms = set().union(*(p.terms for p in phrasings))
    # The summary discusses context the claim is not about ("arrests of protesters"), so what the
    # fact-check is *about* is read from the claim, title and aliases only.
    claim_terms = set().union(*(p.terms for p in phrasings if p.kind != "summary"))
    missing_q = max((w for t, w in query.weights.items() if t not in claim_terms), default=0.0)
    missing_p = 0.0
    if best_phrasing is not None:
        missing_p = max((idf(t) for t in best_phrasing.terms if t not in query.weights), default=0.0)
    signals = {
        "q_terms": float(len(query.weights)),
        "q_cov": best[0],
        "p_cov": best[1],
        "fuzz": best[2],
        "doc_q_cov": weighted_overlap(query.weights, all_terms)[0],
        "claim_q_cov": weighted_overlap(query.weights, claim_terms)[0],
        # the most specific question word the claim never mentions (idf / max idf) ...
        "q_missing": missing_q / query.max_idf,
        # ... and the most specific word of the matched phrasing the question lacks
        "p_missing": missing_p / query.max_idf,
        # a number in the question that the fact-check never mentions ("180 people", "2019")
        "num_missing": float(bool(query.numbers - all_terms)),
        # a name in the question (Biden, Colorado) that the claim never mentions
        "name_missing": float(any(forms.isdisjoint(claim_terms) for forms in query.name_forms)),
        # ... and one the whole fact-check, summary included, never mentions (the verifier's hard
        # rule: "did nasa fake the landings" names what the moon-landing summary discusses)
        "name_missing_doc": float(any(forms.isdisjoint(all_terms) for forms in query.name_forms)),
    }
    return signals, best_phrasing


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
