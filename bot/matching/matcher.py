"""The matcher: BM25 (+ optional embedding) candidates, feature rerank, calibrated score, decision.

What is indexed, and how it is kept (in memory, or over a memory-mapped segment any process wrote),
is holdings.py's; this module ranks it for a question and decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from .alignment import align
from .holdings import Holdings
from .model import Match, MatchDocument, Thresholds
from .normalise import content_tokens, is_chitchat, normalise, spelled_out, strip_noise
from .rerank import Query, ScoreModel, candidate_signals
from .thresholds import (
    ANSWER_MARGIN,
    ANSWER_MAX_MISSING_IDF,
    ANSWER_MIN_CLAIM_COVERAGE,
    ANSWER_MIN_QUERY_COVERAGE,
    DEFAULT_THRESHOLDS,
    LONG_TEXT_ANSWER,
    LONG_TEXT_MIN_CLAIM_COVERAGE,
    LONG_TEXT_TERMS,
    SEMANTIC_THRESHOLDS,
    SUGGEST_MARGIN,
)
from .verifier import (
    Verifier,
    causal,
    hard_rules,
    lexical_features,
    load_verifiers,
    passive,
    possessive_reordered,
    respelled_question,
    same_claim,
    semantic_features,
    settled_without_drift,
    swapped_questions,
)

if TYPE_CHECKING:
    from .semantic import Encoder


@dataclass(frozen=True)
class Wording:
    """How a question is written, for the sentence model: a chat question (fewer than
    LONG_TEXT_TERMS terms) or a pasted text, the terms the catalogue has never seen, and the known
    words the spelling correction put in place of some of them."""

    chat: bool
    unseen: frozenset[str]
    corrections: dict[str, str]

    def for_encoder(self, text: str) -> str:
        """The text the sentence model reads: a chat question with its abbreviations and slang
        written out (tune out of fold: 207 -> 211 of 264 paraphrases); a pasted text as written,
        since tweets spelled out ranked worse (CheckThat test P@1 0.943 -> 0.933)."""
        text = strip_noise(text)
        return spelled_out(text) if self.chat else text


CANDIDATE_SLOTS = 200  # BM25 slots looked at (aliases make several slots per fact-check)
CANDIDATES = 50  # fact-checks reranked from BM25 (and as many again from embeddings)
SPELLING_CUTOFF = 80.0  # rapidfuzz ratio for mapping an unknown question word onto a known one
MAX_CORRECTIONS = 3  # bounds the per-query cost of spelling correction (one vocabulary scan each)
FIELD_CACHE = 2048  # fact-checks whose per-field vectors (claim, title, summary, phrasing) are kept
FIELDS = ("claim", "title", "summary")  # the stored per-field vectors, in this order


class Matcher(Holdings):
    """Thread-safe: match() may run while another thread upserts (one RLock around the index).

    With an `encoder` (see bot.matching.semantic), questions are also embedded and fact-checks that
    have a vector (given to upsert or set_vectors, or encoded by upsert when no vectors are given)
    are ranked by cosine too; one given a None vector is matched lexically until it has one.
    """

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        encoder: Encoder | None = None,
        lexical_thresholds: Thresholds | None = None,
        verifiers: Mapping[str, Verifier] | None = None,
    ) -> None:
        # The two score models are calibrated apart, so each has its own default thresholds.
        if thresholds is None:
            thresholds = DEFAULT_THRESHOLDS if encoder is None else SEMANTIC_THRESHOLDS
        self.thresholds = thresholds
        # A best match scored without a cosine (its fact-check has no vector yet) is decided on these.
        self.lexical_thresholds = lexical_thresholds or (
            thresholds if encoder is None else DEFAULT_THRESHOLDS
        )
        super().__init__(encoder)
        self._lexical_model = ScoreModel.load("lexical")
        self._semantic_model = ScoreModel.load("semantic")
        # The answer decision (verifier.py): the shipped weights unless a refit is handed in.
        self.verifiers = dict(load_verifiers() if verifiers is None else verifiers)

    # --- queries --------------------------------------------------------------------------------

    def match(self, text: str, top_k: int = 5, *, exact: bool = False) -> list[Match]:
        """Best fact-checks for a question, best first, one per fact-check, at most top_k.

        The top match's verifier probability may be a bound that already decides (the signal
        "verifier_bound": 1 for an upper bound, -1 for a lower one) when encoding the question with
        a substituted word put back could not change the answer; `exact` computes it always (a
        refit learns from the features, a moderator reads the figure)."""
        if top_k <= 0 or not text or not text.strip() or is_chitchat(text):
            return []
        query_terms = content_tokens(normalise(text))
        if not query_terms:
            return []
        with self._lock:
            terms = self._correct_spelling(query_terms)
            wording = Wording(
                # counted after spelling correction, as the verifier counts a chat question's terms
                len(set(terms)) < LONG_TEXT_TERMS,
                frozenset(t for t in query_terms if not self._index.df(t)),
                {t: fixed for t, fixed in zip(query_terms, terms, strict=True) if fixed != t},
            )
        query_vector = None
        if self.encoder is not None and len(self._vectors):
            # Outside the lock: encoding is the slow part (~10 ms) and touches no index state.
            query_vector = self.encoder.encode([wording.for_encoder(text)])[0]
        with self._lock:
            results, query = self._match_locked(terms, query_vector)
            top = self._entry(results[0].fact_check_id).doc if results else None
            runner = self._entry(results[1].fact_check_id).doc if len(results) > 1 else None
        if top is not None:
            self._verify(results, query, terms, top, runner, query_vector, text, exact, wording)
        return results[:top_k]

    def _verify(
        self,
        results: list[Match],
        query: Query,
        query_terms: list[str],
        doc: MatchDocument,
        runner: MatchDocument | None,
        query_vector: np.ndarray | None,
        text: str,
        exact: bool,
        wording: Wording,
    ) -> None:
        """The verifier's probability and the features behind it, into the top match's signals."""
        best, runner_up = results[0], (results[1] if len(results) > 1 else None)
        kind = "semantic" if query_vector is not None and "cos" in best.signals else "lexical"
        verifier = self.verifiers.get(kind)
        claim_terms = content_tokens(normalise(best.phrasing))
        flipped = passive(text) != passive(best.phrasing)
        query_terms = _reordered_terms(text, best.phrasing, query_terms)
        with self._lock:
            idf = {t: self._index.idf(t) for t in claim_terms}
            max_idf = self._index.max_idf()
        found = align(
            query_terms,
            claim_terms,
            {**idf, **query.weights},
            max_idf,
            flipped,
            causal(text, best.phrasing),
            senses=len(query.weights) < LONG_TEXT_TERMS,
        )
        runner_same = 0.0 if runner is None else same_claim(self._claim_similarity(doc, runner))
        features = lexical_features(
            best,
            runner_up,
            query_terms,
            query.weights,
            claim_terms,
            _answerable(best, results[1:2]),
            flipped=flipped,
            names=query.names,
            found=found,
            runner_same=runner_same,
            fact_check_texts=(doc.claim, doc.title, doc.summary),
        )
        bound = None  # (probability, is an upper bound) when the put-back was not encoded
        if kind == "semantic" and query_vector is not None:
            read, read_runner = best, runner_up  # the top two as the cosines below read them
            if wording.unseen and self.encoder is not None:
                spelled = respelled_question(text, wording.unseen, wording.corrections, best.phrasing)
                if spelled != text:
                    query_vector, read, read_runner = self._respelled(wording.for_encoder(spelled), results)
                    text = spelled
            fields = self._field_vectors(doc, best.phrasing)
            cosines = {name: float(np.einsum("i,i->", vec, query_vector)) for name, vec in fields.items()}
            features.update(semantic_features(read, read_runner, cosines, runner_same))
            swapped = []
            if features["short"] and self.encoder is not None:  # a tweet always rewords more
                swapped = swapped_questions(text, best.phrasing, found.substitutions, query.weights)
            # The put-back questions cost a model run, the slowest part of most questions that have
            # them, and most are decided whatever their drift (`benchmarks/drift_shortcut.py`).
            bound = None if exact or not swapped else settled_without_drift(verifier, features)
            if swapped and bound is None:
                vectors = self.encoder.encode([wording.for_encoder(t) for t in swapped])
                drift = max(1.0 - float(np.einsum("i,i->", v, query_vector)) for v in vectors)
                features.update(semantic_features(read, read_runner, cosines, runner_same, drift))
            elif bound is not None:
                del features["substitution_drift"], features["synonym_credit"]  # not measured
        # All of them, not only those the weights use: they are what a refit learns from.
        best.signals.update({f"v_{k}": round(v, 4) for k, v in features.items()})
        if verifier is not None:
            if bound is not None:
                probability, upper = bound
                best.signals["verifier_bound"] = 1.0 if upper else -1.0
            else:
                probability = verifier.probability(features)
            best.signals["verifier"] = round(probability, 4)
            best.signals["verifier_threshold"] = verifier.threshold_for(features)

    def _respelled(self, encoded: str, results: list[Match]) -> tuple[np.ndarray, Match, Match | None]:
        """The question's vector as the claim spells it, and the top two matches as the verifier
        reads them with it: their cosines, and the top one's against the best of the candidates.
        The ranking stays the one the question as written gave."""
        assert self.encoder is not None
        vector = self.encoder.encode([encoded])[0]
        with self._lock:
            cosines = {
                m.fact_check_id: c
                for m in results
                if "cos" in m.signals and (c := self._vectors.cosine(m.fact_check_id, vector)) is not None
            }
        top_cos = max(cosines.values(), default=0.0)

        def seen(match: Match) -> Match:
            if match.fact_check_id not in cosines:
                return match
            cos = cosines[match.fact_check_id]
            return replace(match, signals={**match.signals, "cos": cos, "cos_rel": cos - top_cos})

        return vector, seen(results[0]), seen(results[1]) if len(results) > 1 else None

    def _claim_similarity(self, doc: MatchDocument, other: MatchDocument) -> float:
        """How alike two fact-checks' claims are: their stored vectors' cosine, else term overlap."""
        a, b = self.vector(doc.fact_check_id), self.vector(other.fact_check_id)
        if a is not None and b is not None:
            return float(np.einsum("i,i->", a, b))
        terms = [" ".join(sorted(set(content_tokens(normalise(d.claim or d.title))))) for d in (doc, other)]
        return fuzz.token_set_ratio(*terms) / 100.0

    def _field_vectors(self, doc: MatchDocument, phrasing: str) -> dict[str, np.ndarray]:
        """Vectors of the claim, title, summary and matched phrasing: stored with the fact-check's
        vector when it has them (`claimbot index` computes them), else encoded (outside the lock) and
        cached. A text met twice (the phrasing is the claim) is encoded once."""
        texts = {"claim": doc.claim, "title": doc.title, "summary": doc.summary, "phrasing": phrasing}
        wanted = {name: text for name, text in texts.items() if text and text.strip()}
        out: dict[str, np.ndarray] = {}
        missing: dict[str, list[str]] = {}  # text -> the fields it is
        with self._lock:
            stored = self._stored_fields_locked(doc.fact_check_id)
            known: dict[str, np.ndarray] = {}
            if stored is not None:
                for i, name in enumerate(FIELDS):
                    if name in wanted:
                        known.setdefault(wanted[name], stored[i])
            for name, text in wanted.items():
                key = (doc.fact_check_id, text)
                if text in known:
                    out[name] = known[text]
                elif key in self._fields:
                    self._fields.move_to_end(key)
                    out[name] = self._fields[key]
                else:
                    missing.setdefault(text, []).append(name)
        if missing and self.encoder is not None:
            vectors = self.encoder.encode([strip_noise(text) for text in missing])
            with self._lock:
                for (text, names), vector in zip(missing.items(), vectors, strict=True):
                    for name in names:
                        out[name] = vector
                    self._fields[(doc.fact_check_id, text)] = vector
                while len(self._fields) > FIELD_CACHE:
                    self._fields.popitem(last=False)
        return out

    def _correct_spelling(self, query_terms: list[str]) -> list[str]:
        """Map question words the index has never seen onto the closest indexed word ("vacine")."""
        # In the question's order, not a set's: which words are corrected (at most MAX_CORRECTIONS)
        # must not depend on the process's hash seed, or two workers could answer differently.
        distinct = dict.fromkeys(query_terms)
        unknown = [t for t in distinct if len(t) >= 5 and t.isalpha() and not self._index.df(t)]
        if not unknown:
            return query_terms
        if self._vocabulary is None:
            self._vocabulary = {}
            for word in self._index.vocabulary():
                self._vocabulary.setdefault(word[:1], []).append(word)
            self._corrections = {}
        fixes = {}
        for term in unknown[:MAX_CORRECTIONS]:
            if term not in self._corrections:
                # Typos rarely hit the first letter; scanning only words that share it keeps this
                # step from dominating query time on a large index (300k fact-checks, 66k words).
                found = process.extractOne(
                    term, self._vocabulary.get(term[:1], ()), scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF
                )
                self._corrections[term] = found[0] if found is not None else None
            if self._corrections[term] is not None:
                fixes[term] = self._corrections[term]
        return [fixes.get(t, t) for t in query_terms]

    def _bm25_candidates(self, query_terms: list[str]) -> dict[int, float]:
        scores = self._index.scores(query_terms)
        if not len(scores):
            return {}
        # Most slots share no word with the question: rank only those that do.
        nonzero = np.flatnonzero(scores)
        n = min(CANDIDATE_SLOTS, len(nonzero))
        if n == 0:
            return {}
        top = nonzero[np.argpartition(-scores[nonzero], n - 1)[:n]] if n < len(nonzero) else nonzero
        best: dict[int, float] = {}
        for slot in top[np.argsort(-scores[top])]:
            value = float(scores[slot])
            if value <= 0:
                break
            owner = self._owner(int(slot))
            if owner >= 0 and owner not in best:
                best[owner] = value
                if len(best) >= CANDIDATES:
                    break
        return best

    def _match_locked(
        self, query_terms: list[str], query_vector: np.ndarray | None
    ) -> tuple[list[Match], Query]:
        """Every candidate for the question's terms (spelling corrected), best first, with the
        question as the rerank saw it."""
        bm25 = self._bm25_candidates(query_terms)
        cosines: dict[int, float] = {}
        if query_vector is not None:
            cosines = self._vectors.search(query_vector, CANDIDATES)
            for fact_check_id in bm25:
                if fact_check_id not in cosines:
                    cos = self._vectors.cosine(fact_check_id, query_vector)
                    if cos is not None:
                        cosines[fact_check_id] = cos
        candidates = set(bm25) | set(cosines)
        top_bm25 = max(bm25.values(), default=1.0)
        top_cos = max(cosines.values(), default=0.0)
        distinct = set(query_terms)
        query = Query(
            weights={t: self._index.idf(t) for t in distinct},
            string=" ".join(sorted(distinct)),
            numbers=frozenset(t for t in distinct if t.isdigit()),
            names=frozenset(t for t in distinct if self._names.is_name(t, self._index.df(t))),
            max_idf=self._index.max_idf(),
        )
        results: list[Match] = []
        idf = self._index.idf_lookup()
        for fact_check_id in candidates:
            entry = self._entry(fact_check_id)
            signals, phrasing = candidate_signals(query, entry.phrasings, idf)
            score_bm25 = bm25.get(fact_check_id, 0.0)
            signals["bm25"] = round(score_bm25, 4)
            signals["bm25_rel"] = score_bm25 / top_bm25 if top_bm25 > 0 else 0.0
            model = self._lexical_model
            if fact_check_id in cosines:
                # A fact-check stored without a vector keeps the lexical model's score rather than
                # being ranked as if its cosine were 0.
                model = self._semantic_model
                signals["cos"] = cosines[fact_check_id]
                signals["cos_rel"] = cosines[fact_check_id] - top_cos
            text = phrasing.text if phrasing is not None else entry.doc.claim
            results.append(Match(fact_check_id, model.score(signals), text, signals))
        results.sort(key=lambda m: (-m.score, -m.signals["bm25"], m.fact_check_id))
        return results, query

    def decide(self, matches: list[Match]) -> str:
        """The outcome for a match() result: "answer", "suggest" or "queued"."""
        if not matches:
            return "queued"
        best = matches[0]
        thresholds = self.thresholds if "cos" in best.signals else self.lexical_thresholds
        probability = best.signals.get("verifier")
        if _word_for_word(best) and _answerable(best, matches[1:]):
            return "answer"  # the stored claim, or a phrasing a moderator linked, asked as it stands
        if probability is not None:
            # The learned check decides, inside the hard rules.
            if probability >= best.signals.get("verifier_threshold", 1.0) and hard_rules_allow(best):
                return "answer"
        elif best.score >= thresholds.answer and _answerable(best, matches[1:]):
            return "answer"
        if best.score >= thresholds.suggest:
            return "suggest"
        return "queued"


def worth_showing(matches: list[Match], thresholds: Thresholds) -> list[Match]:
    """The matches worth offering as suggestions: above the suggest floor, close to the best one."""
    if not matches:
        return []
    floor = max(thresholds.suggest, matches[0].score - SUGGEST_MARGIN)
    return [m for m in matches if m.score >= floor]


WHOLE = 1.0 - 1e-9  # a coverage that is all of it, up to the last bits of a float sum


def _word_for_word(best: Match) -> bool:
    """The same words in the same order (fuzz alone ignores order: "did trump endorse the pope")."""
    signals = best.signals
    # Coverage is a ratio of float sums taken in the order of the question's terms, which follows the
    # hash seed: the stored claim asked word for word gives 1.0 in one process and
    # 0.9999999999999999 in the next, so "all of it" is compared with a tolerance.
    same_words = all(signals.get(name, 0.0) >= WHOLE for name in ("fuzz", "q_cov", "p_cov"))
    same_order = signals.get("v_order_swap", 1.0) == 0.0 and signals.get("v_role_swap", 1.0) == 0.0
    return same_words and same_order


def _reordered_terms(text: str, claim: str, query_terms: list[str]) -> list[str]:
    """The question's terms (spelling corrected) in the order the claim would put them ("china's
    great wall" read as "great wall of china"), for who-did-what read from the order of words."""
    reordered = possessive_reordered(text, claim)
    if reordered is text:
        return query_terms
    written, moved = content_tokens(normalise(text)), content_tokens(normalise(reordered))
    if len(written) != len(query_terms) or sorted(written) != sorted(moved):
        return query_terms
    corrected = dict(zip(written, query_terms, strict=True))
    return [corrected[t] for t in moved]


def hard_rules_allow(best: Match) -> bool:
    """verifier.hard_rules on the verifier features match() wrote into the signals."""
    signals = best.signals
    return hard_rules({k[2:]: v for k, v in signals.items() if k.startswith("v_")})


def _answerable(best: Match, others: list[Match]) -> bool:
    """The evidence rules an answer needs beyond its score (see thresholds.py for the figures)."""
    signals = best.signals
    runner_up = others[0].score if others else 0.0
    if best.score - runner_up < ANSWER_MARGIN:
        return False
    consistent = not signals.get("name_missing", 0.0) and not signals.get("num_missing", 0.0)
    # A question: the fact-check covers everything it asks, and it touches the claim's substance.
    if (
        consistent
        and signals.get("claim_q_cov", 0.0) >= ANSWER_MIN_QUERY_COVERAGE
        and signals.get("q_missing", 1.0) < ANSWER_MAX_MISSING_IDF
        and signals.get("p_cov", 0.0) >= ANSWER_MIN_CLAIM_COVERAGE
    ):
        return True
    # A long pasted text (a tweet, a forwarded message) says more than the claim, so the rule above
    # cannot hold: it is answered when it contains most of the claim, or on a near-certain score
    # (the score model was fitted on exactly such texts).
    if signals.get("q_terms", 0.0) >= LONG_TEXT_TERMS:
        return (consistent and signals.get("p_cov", 0.0) >= LONG_TEXT_MIN_CLAIM_COVERAGE) or (
            best.score >= LONG_TEXT_ANSWER
        )
    return False
