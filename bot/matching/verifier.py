"""The learned "same claim?" check: a calibrated logistic model over the top candidate's evidence.

Ranking decides which fact-check comes first; this decides whether it may be *answered*. The hard
rules stay (a short question with a name or number the fact-check never mentions is never
answered, see Matcher.decide); within them, the verifier's probability must reach the threshold
that was chosen on development data (CheckThat dev and out-of-fold chat questions, never the sets
that are reported).

The weights ship as verifier.json next to this module (the command that fitted them is written in
the file); `claimbot matching fit` writes a refitted copy that the serving processes load instead
(CLAIMBOT_VERIFIER_WEIGHTS). Each mode has its own model: lexical-only questions carry no cosines.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import chain
from pathlib import Path

from rapidfuzz import fuzz, process

from .alignment import Alignment, same_word
from .model import Match
from .normalise import content_tokens, normalise

LEXICAL = (
    "score",  # the ranking model's calibrated score (rerank.ScoreModel)
    "margin",  # its lead over the runner-up
    "q_cov",
    "p_cov",
    "fuzz",
    "bm25_rel",
    "doc_q_cov",
    "claim_q_cov",
    "q_missing",
    "p_missing",
    "num_missing",
    "name_missing",
    "rules_ok",  # the stage-2 evidence rules would answer (thresholds.py)
    "q_len",  # distinct question terms / 20, capped at 1 (tweets are long, chat questions short)
    "align",  # idf-weighted share of question words aligned to a claim word (exact or near spelling)
    "num_conflict",  # both mention numbers and share none ("seven days" vs "seven years" stays lexical)
    "year_conflict",  # both mention a year and share none
    "unit_conflict",  # the same number of another unit: "seven days" vs "seven years" (a hard rule too)
    "order_swap",  # shared words in the opposite order
    "role_swap",  # shared *names* in the opposite order: who did what to whom (a hard rule too)
    # A chat question (fewer than 12 distinct terms) is answered only when the claim explains all of
    # it, while a tweet always says more than the claim: the same evidence weighs differently, so
    # these carry it for short questions only (0 for long texts).
    "short",
    "short_q_missing",
    "short_claim_q_cov",
    "short_align",
    "short_p_cov",
    "short_order_swap",
    # Word alignment (alignment.py): what a near miss changes, where coverage cannot tell.
    "unaligned_max",  # the most specific question word with no counterpart (misspellings forgiven)
    "unaligned_share",
    "claim_unaligned",  # share of the claim the question has no counterpart of
    "substituted",  # a question word standing where the claim has another word ("seven days")
    "substitution_idf",
    "pivot_swap",  # who did what to whom turned around a shared verb
    "code_conflict",  # "4g" against "5g"
    "name_missing_doc",  # a name the whole fact-check never mentions, summary included
    "runner_same",  # the runner-up is the same claim told by another fact-check (1) or another (0)
    "margin_unique",  # the margin, counted as full when the runner-up is the same claim
    "short_substituted",
    "short_unaligned_max",
    "block_swap",  # who did what to whom turned round with the verb reworded (a hard rule too)
    # A chat question's substitution of a word of the same kind ("cat" for "dog", "car" for "plane"):
    # what a near miss changes, which the put-back drift misses in a long question (one word of nine).
    "sister_substitution",
)
SEMANTIC = (
    *LEXICAL,
    "cos",  # question to the stored claim+title vector
    "cos_rel",
    "cos_margin",  # lead in cosine over the runner-up
    "cos_claim",
    "cos_title",
    "cos_summary",
    "cos_phrasing",  # the best phrasing (a moderator's alias when that matched)
    "short_cos",
    "short_cos_claim",
    "cos_margin_unique",
    # 1 - cosine of the question and the question with a substituted word put back as the claim
    # says it ("booze" -> "alcohol" hardly moves it, "dog" -> "baby" does), the largest of the most
    # specific SWAPS_ENCODED; 0 when nothing is substituted or for a long text.
    "substitution_drift",
    # ... and a credit for a substitution that hardly moves it (SYNONYM_DRIFT - drift, at least 0):
    # a synonym, mostly. On tune out of fold it adds 9 paraphrases at the same near misses
    # (benchmarks/VERIFIER.md; 0.065-0.12 gave 137-138, 0.05 135).
    "synonym_credit",
)
FEATURES = {"lexical": LEXICAL, "semantic": SEMANTIC}
WEIGHTS_FILE = "verifier.json"
SHORT_TERMS = 12  # as thresholds.LONG_TEXT_TERMS: below it, a question; above, a pasted text
ALIGN_CUTOFF = 85.0  # rapidfuzz ratio above which two words are taken as the same word misspelt
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
_PASSIVE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|got|get|gets|getting)\s+(?:\w+\s+){0,3}"
    # regular participles, and the irregular ones that do not end in -ed/-en ("spread by 5g")
    r"(?:\w+(?:ed|en)|spread|found|made|built|bought|caught|hit|shot|held|led|run|set|put|told|sold|"
    r"paid|won|done|struck|brought|sent|kept|shut|cut|hurt|bred|fed|taught|fought|sought|spent|lost)"
    r"\s+by\b",
    re.I,
)
# Cause and effect can be told either way round ("X shut the plant, causing a shortage" / "a
# shortage because X shut the plant"): no block swap is read where one side says so.
_CAUSAL = re.compile(
    r"\b(?:because|due to|owing to|caus(?:e|es|ed|ing)|since|so that|leads? to|led to|result(?:s|ed)? in|"
    r"as a result|after)\b",
    re.I,
)
MAX_UNSEEN_MISSING = 0.9  # q_missing (idf / max idf) of a word hardly ever seen: costs no chat paraphrase
WORDS_TURNED = 0.95  # order_swap of the same words turned around: costs no chat paraphrase
ROLE_SWAP = 0.5  # pivot_swap at which a short question is taken to swap who did what (a hard rule) ...
PURE_REORDER = 0.1  # ... when it is the claim's own words, hardly one more or fewer (unaligned shares)
# runner_same: the cosine (or, lexically, the term overlap) of the top claim and the runner-up's at
# which the two are taken as the same claim told twice (CheckThat holds many such pairs).
SAME_CLAIM_FROM, SAME_CLAIM_TO = 0.80, 0.95
SWAPS_ENCODED = 3  # substitutions put back and encoded per question (one batch)
SYNONYM_DRIFT = 0.1  # drift below which a substitution earns synonym_credit
_WORD = re.compile(r"[\w']+")
# Units an amount is counted in, each with the ways it is written (taken through the index's own
# stemming below, so that "centuries" and "century" meet).
_UNIT_SPELLINGS = {
    "second": "second seconds sec secs",
    "minute": "minute minutes min mins",
    "hour": "hour hours hr hrs",
    "day": "day days",
    "week": "week weeks wk wks",
    "month": "month months",
    "year": "year years yr yrs",
    "decade": "decade decades",
    "century": "century centuries",
    "millimetre": "millimetre millimetres millimeter millimeters mm",
    "centimetre": "centimetre centimetres centimeter centimeters cm",
    "metre": "metre metres meter meters",
    "kilometre": "kilometre kilometres kilometer kilometers km",
    "inch": "inch inches",
    "foot": "foot feet ft",
    "yard": "yard yards",
    "mile": "mile miles",
    "gram": "gram grams",
    "kilogram": "kilogram kilograms kilo kilos kg",
    "pound": "pound pounds lb lbs",
    "ton": "ton tons tonne tonnes",
    "ounce": "ounce ounces oz",
    "litre": "litre litres liter liters",
    "gallon": "gallon gallons",
    "degree": "degree degrees",
    "percent": "percent",
    "time": "time times",
    "dollar": "dollar dollars",
    "euro": "euro euros",
    "thousand": "thousand thousands",
    "million": "million millions",
    "billion": "billion billions",
    "trillion": "trillion trillions",
}
_UNITS = {
    term: unit
    for unit, spellings in _UNIT_SPELLINGS.items()
    for spelling in spellings.split()
    for term in content_tokens(normalise(spelling))[:1]
}


class VerifierWeightsError(ValueError):
    """Refitted weights that cannot be read: a message naming the file."""


@dataclass(frozen=True)
class Verifier:
    kind: str  # "lexical" or "semantic"
    intercept: float
    weights: Mapping[str, float]
    threshold: float  # answer at probability >= threshold (chosen on dev data)
    meta: Mapping[str, object] = field(default_factory=dict)
    # A chat question and a pasted tweet weigh the same evidence differently (a tweet always says
    # more than the claim): questions of fewer than SHORT_TERMS terms have a model of their own.
    short_intercept: float | None = None
    short_weights: Mapping[str, float] | None = None
    # ... and a threshold of their own, chosen on their own development examples: the tweets' rule
    # (at most 1% answered with the gold claim removed) says nothing of chat questions.
    short_threshold: float | None = None

    def _short(self, features: Mapping[str, float]) -> bool:
        has_model = self.short_weights is not None and self.short_intercept is not None
        return has_model and bool(features.get("short"))

    def probability(self, features: Mapping[str, float]) -> float:
        intercept, weights = self.intercept, self.weights
        if self._short(features):
            intercept, weights = self.short_intercept, self.short_weights  # type: ignore[assignment]
        z = intercept + sum(w * features.get(name, 0.0) for name, w in weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def threshold_for(self, features: Mapping[str, float]) -> float:
        """The probability at which this question (a chat question or a long text) is answered."""
        if self.short_threshold is not None and self._short(features):
            return self.short_threshold
        return self.threshold

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "intercept": round(self.intercept, 6),
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "threshold": round(self.threshold, 4),
        }
        if self.short_weights is not None and self.short_intercept is not None:
            short: dict[str, object] = {
                "intercept": round(self.short_intercept, 6),
                "weights": {k: round(v, 6) for k, v in self.short_weights.items()},
            }
            if self.short_threshold is not None:
                short["threshold"] = round(self.short_threshold, 4)
            out["short"] = short
        return {**out, **self.meta}


def load_verifiers(path: Path | None = None) -> dict[str, Verifier]:
    """Both modes' verifiers from `path` (a refit) or the shipped verifier.json.

    A refit file that cannot be read is an operator's mistake: it raises with the path, rather than
    silently answering with other weights.
    """
    if path is not None:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise VerifierWeightsError(f"cannot read verifier weights {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise VerifierWeightsError(f"verifier weights {path}: not a JSON object")
    else:
        shipped = resources.files(__package__).joinpath(WEIGHTS_FILE)
        if not shipped.is_file():
            return {}  # no verifier: Matcher.decide keeps the stage-2 rules
        raw = json.loads(shipped.read_text(encoding="utf-8"))
    try:
        return {kind: parse(kind, raw[kind]) for kind in FEATURES if kind in raw}
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifierWeightsError(f"verifier weights {path or WEIGHTS_FILE}: {exc!r}") from None


def parse(kind: str, model: Mapping[str, object]) -> Verifier:
    weights = model["weights"]
    if not isinstance(weights, Mapping):
        raise ValueError(f"verifier {kind}: weights must be an object")
    meta = {k: v for k, v in model.items() if k not in ("intercept", "weights", "threshold", "short")}
    short = model.get("short")
    if short is not None and not (isinstance(short, Mapping) and isinstance(short.get("weights"), Mapping)):
        raise ValueError(f"verifier {kind}: short must be an object with weights")
    return Verifier(
        kind=kind,
        intercept=float(model["intercept"]),  # type: ignore[arg-type]
        weights={str(k): float(v) for k, v in weights.items()},
        threshold=float(model["threshold"]),  # type: ignore[arg-type]
        meta=meta,
        short_intercept=None if short is None else float(short["intercept"]),
        short_weights=None if short is None else {str(k): float(v) for k, v in short["weights"].items()},
        # a refit written before questions had a threshold of their own: the one threshold for all
        short_threshold=None if short is None or "threshold" not in short else float(short["threshold"]),
    )


def hard_rules(features: Mapping[str, float]) -> bool:
    """The rules no probability overrides, for a question (a long pasted text always says more than
    the claim, so they do not apply to one): no name and no number the fact-check never mentions, no
    number the claim gives in another unit ("seven days" against "seven years"),
    no word the catalogue has hardly ever seen that the claim lacks ("councilman"), and no swap of
    who did what to whom, the verb shared or reworded ("did ICE agents detain a NYC cop")."""
    if not features.get("short", 0.0):
        return True
    # A word is missing only when nothing in the claim is that word, misspelt or written apart
    # ("licence" / "license", "chickfila" / "Chick-fil-A"), and a swap needs a pivot between the
    # swapped words ("did trump endorse the pope"): "flat earth?" for "the earth is flat" is none.
    # A reworded statement moves words around a verb too ("alzheimer's cure found at stanford"), so
    # only the claim's own words turned around count as a swap: "did romney endorse biden".
    swapped = (
        features.get("pivot_swap", 0.0) >= ROLE_SWAP
        and features.get("unaligned_share", 0.0) <= PURE_REORDER
        and features.get("claim_unaligned", 0.0) <= PURE_REORDER
    )
    return not (
        features.get("name_missing_doc", features.get("name_missing", 0.0))
        or features.get("num_missing", 0.0)
        or features.get("code_conflict", 0.0)
        or features.get("unaligned_max", 0.0) >= MAX_UNSEEN_MISSING
        or swapped
        or features.get("block_swap", 0.0)
        or features.get("unit_conflict", 0.0)
    )


# --- features ---------------------------------------------------------------------------------


def alignment(query_terms: Sequence[str], weights: Mapping[str, float], claim_terms: Sequence[str]) -> float:
    """Idf-weighted share of question words that have a counterpart in the claim (same word, or the
    same word misspelt); unlike q_cov it forgives "hydroxycloroquine" for "hydroxychloroquine"."""
    distinct = set(query_terms)
    total = sum(weights.get(t, 0.0) for t in distinct)
    if total <= 0 or not claim_terms:
        return 0.0
    claim = set(claim_terms)
    covered = 0.0
    for term in distinct:
        if term in claim or (
            len(term) >= 4
            and process.extractOne(term, claim, scorer=fuzz.ratio, score_cutoff=ALIGN_CUTOFF) is not None
        ):
            covered += weights.get(term, 0.0)
    return covered / total


def passive(text: str) -> bool:
    """ "arrested *by* a police officer": the doer comes after the deed."""
    return _PASSIVE.search(text) is not None


_POSSESSOR = re.compile(r"\b(\w+)['\u2019]s\s+(\w+(?:\s+\w+){0,2})", re.I)


def possessive_reordered(question: str, claim: str) -> str:
    """The question with "X's Y" written "Y of X" where the claim says it that way ("china's great
    wall" / "the Great Wall of China"), so that reading who did what from the order of the words
    does not take the possessor for a moved role. Other questions come back as they are: "did
    biden's dog bite trump" against "Trump's dog bit Biden" keeps its order, and its swap."""
    claim_lower = claim.casefold()
    for found in _POSSESSOR.finditer(question):
        owner = found.group(1)
        words = list(re.finditer(r"\w+", found.group(2)))
        following = [w.group() for w in words]
        head = re.escape(following[0].casefold())
        said = re.search(
            rf"\b{head}\b((?:\s+\w+){{0,3}}?)\s+of\s+(?:the\s+)?{re.escape(owner.casefold())}\b", claim_lower
        )
        if said is None:
            continue
        span = {following[0].casefold(), *said.group(1).split()}
        taken = 1
        while taken < len(following) and following[taken].casefold() in span:
            taken += 1
        end = found.start(2) + words[taken - 1].end()
        return f"{question[: found.start()]}{' '.join(following[:taken])} of {owner}{question[end:]}"
    return question


def causal(*texts: str) -> bool:
    """One of the texts tells a cause and its effect ("because", "causing"), in either order."""
    return any(_CAUSAL.search(text) is not None for text in texts)


def order_swap(query_terms: Sequence[str], claim_terms: Sequence[str], flipped: bool = False) -> float:
    """Share of pairs of shared words that appear in the opposite order in question and claim.

    "did an ICE agent arrest a police officer" against "a police officer arrested an ICE agent"
    shares its words but swaps who did what; a paraphrase mostly keeps the order, or turns it
    around with a passive ("an ICE agent was arrested by a police officer"): `flipped` when one of
    the two is passive and the other not.
    """
    claim_pos: dict[str, int] = {}
    for i, term in enumerate(claim_terms):
        claim_pos.setdefault(term, i)
    seen: set[str] = set()
    positions = []
    for term in query_terms:
        if term in claim_pos and term not in seen:
            seen.add(term)
            positions.append(claim_pos[term])
    pairs = discordant = 0
    for i in range(len(positions)):
        for j in range(i + 1, len(positions)):
            pairs += 1
            discordant += positions[i] > positions[j]
    if not pairs:
        return 0.0
    return (pairs - discordant) / pairs if flipped else discordant / pairs


def entities(terms: Sequence[str], names: frozenset[str]) -> list[str]:
    """The names among `terms`, a run of name words ("new york city") counted once, by its first."""
    out, previous = [], False
    for term in terms:
        is_name = term in names
        if is_name and not previous:
            out.append(term)
        previous = is_name
    return out


def number_conflicts(query_terms: Sequence[str], claim_terms: Sequence[str]) -> tuple[float, float]:
    """(numbers on both sides and none shared, years on both sides and none shared)."""
    q_num = {t for t in query_terms if t.isdigit()}
    c_num = {t for t in claim_terms if t.isdigit()}
    q_year = {t for t in q_num if _YEAR.match(t)}
    c_year = {t for t in c_num if _YEAR.match(t)}
    return float(bool(q_num and c_num and not q_num & c_num)), float(
        bool(q_year and c_year and not q_year & c_year)
    )


def unit_conflict(query_terms: Sequence[str], fact_check_terms: Iterable[Sequence[str]]) -> float:
    """1 when a number the question gives with a unit is given by the fact-check (its matched
    phrasing, claim, title or summary, as index terms each) only with other units ("7 day" against
    "7 year", "4.6 billion" against "4.6 million"): the fact-check's own number, another amount.
    Index terms are stemmed and stop words gone, so a unit is the term after its number. The
    fact-check's terms are read only when the question gives an amount (few do)."""
    asked = _units(query_terms)
    if not asked:
        return 0.0
    told: dict[str, set[str]] = {}
    for terms in fact_check_terms:
        for number, units in _units(terms).items():
            told.setdefault(number, set()).update(units)
    return float(any(told[n].isdisjoint(units) for n, units in asked.items() if n in told))


def _units(terms: Sequence[str]) -> dict[str, set[str]]:
    """Each number among `terms` -> the units it is given in."""
    out: dict[str, set[str]] = {}
    for number, unit in zip(terms, terms[1:], strict=False):
        if number.isdigit() and unit in _UNITS:
            out.setdefault(number, set()).add(_UNITS[unit])
    return out


def lexical_features(
    best: Match,
    runner_up: Match | None,
    query_terms: Sequence[str],
    weights: Mapping[str, float],
    claim_terms: Sequence[str],
    rules_ok: bool,
    *,
    found: Alignment,
    flipped: bool = False,
    names: frozenset[str] = frozenset(),
    runner_same: float = 0.0,
    fact_check_texts: Sequence[str] = (),
) -> dict[str, float]:
    """The verifier's lexical features of the top candidate (claim_terms in their written order;
    found: the question aligned to them, by the caller, which has the texts that tell a passive or a
    cause; runner_same: how much the runner-up is the same claim; fact_check_texts: the fact-check's
    claim, title and summary)."""
    s = best.signals
    num_conflict, year_conflict = number_conflicts(query_terms, claim_terms)
    short = float(s.get("q_terms", 0.0) < SHORT_TERMS)
    aligned = alignment(query_terms, weights, claim_terms)
    swapped = order_swap(query_terms, claim_terms, flipped)
    roles = order_swap(*(entities(terms, names) for terms in (query_terms, claim_terms)), flipped)
    margin = best.score - (runner_up.score if runner_up is not None else 0.0)
    substituted = float(bool(found.substitutions))
    return {
        "score": best.score,
        "margin": margin,
        **{k: s.get(k, 0.0) for k in LEXICAL[2:12]},
        "name_missing_doc": s.get("name_missing_doc", s.get("name_missing", 0.0)),
        "rules_ok": float(rules_ok),
        "q_len": min(s.get("q_terms", 0.0) / 20.0, 1.0),
        "align": aligned,
        "num_conflict": num_conflict,
        "year_conflict": year_conflict,
        "unit_conflict": unit_conflict(
            query_terms, chain([claim_terms], (content_tokens(normalise(t)) for t in fact_check_texts if t))
        ),
        "order_swap": swapped,
        "role_swap": roles,
        "short": short,
        "short_q_missing": short * s.get("q_missing", 0.0),
        "short_claim_q_cov": short * s.get("claim_q_cov", 0.0),
        "short_align": short * aligned,
        "short_p_cov": short * s.get("p_cov", 0.0),
        "short_order_swap": short * swapped,
        "unaligned_max": found.unaligned_max,
        "unaligned_share": found.unaligned_share,
        "claim_unaligned": found.claim_unaligned_share,
        "substituted": substituted,
        "substitution_idf": found.substitution_idf,
        "sister_substitution": found.sister_substitution,
        "pivot_swap": found.pivot_swap,
        "code_conflict": found.code_conflict,
        "runner_same": runner_same,
        "margin_unique": margin + (1.0 - margin) * runner_same,
        "short_substituted": short * substituted,
        "short_unaligned_max": short * found.unaligned_max,
        "block_swap": found.block_swap,
    }


def settled_without_drift(
    verifier: Verifier | None, features: Mapping[str, float]
) -> tuple[float, bool] | None:
    """(The probability bound that already decides, whether it is an upper bound) when no
    substitution drift could change the decision: the highest the drift allows when the question
    cannot be answered (the hard rules stop it, or even no drift leaves it under the threshold), the
    lowest when it is answered whatever the drift. None when the put-back questions must be
    encoded to decide.

    The probability is linear in the drift on either side of SYNONYM_DRIFT (the credit's kink), so
    its extremes over every possible drift (a cosine distance, 0 to 2) are at 0, the kink or 2."""
    if verifier is None:
        return None
    probabilities = []
    for drift in (0.0, SYNONYM_DRIFT, 2.0):
        trial = {**features, "substitution_drift": drift, "synonym_credit": max(SYNONYM_DRIFT - drift, 0.0)}
        probabilities.append(verifier.probability(trial))
    threshold = verifier.threshold_for(features)
    if not hard_rules(features) or max(probabilities) < threshold:
        return max(probabilities), True
    if min(probabilities) >= threshold:
        return min(probabilities), False
    return None


def same_claim(similarity: float) -> float:
    """How much a runner-up with this similarity to the top claim is the same claim, in [0, 1]."""
    return min(max((similarity - SAME_CLAIM_FROM) / (SAME_CLAIM_TO - SAME_CLAIM_FROM), 0.0), 1.0)


def _surface(text: str, term: str) -> str | None:
    """The word of `text` whose index term is `term` ("booze" for "booz"), as written."""
    return next((w for w in _WORD.findall(text) if content_tokens(normalise(w)) == [term]), None)


def swapped_questions(
    text: str, phrasing: str, substitutions: Sequence[tuple[str, str]], idf: Mapping[str, float]
) -> list[str]:
    """The question with each of its most specific substituted words replaced by the claim's word
    in that place: a synonym leaves the sentence where it was, a changed who/what moves it. The
    sentence model reads the word in its context, which the words' own vectors do not (tune:
    cosine 0.93 for paraphrases, 0.82 for near misses; the words alone 0.36 and 0.31)."""
    out = []
    for q_term, c_term in sorted(substitutions, key=lambda pair: -idf.get(pair[0], 0.0))[:SWAPS_ENCODED]:
        q_word, c_word = _surface(text, q_term), _surface(phrasing, c_term)
        if q_word and c_word:
            out.append(re.sub(rf"(?<![\w']){re.escape(q_word)}(?![\w'])", c_word, text, count=1))
    return out


def respelled_question(
    text: str, unseen: Collection[str], corrections: Mapping[str, str], phrasing: str
) -> str:
    """The question with each word the catalogue has never seen ("vacines") written as the matched
    claim writes it ("vaccines"), when the claim has that word misspelt or as the index corrected
    it. The sentence model reads a misspelling as other word pieces ("vacines cause autisim?" has
    cosine 0.32 with "Vaccines cause autism"); a word the catalogue knows is left as written, so a
    near miss's own word ("brothel" for "brother") is never made the claim's."""
    claim_words: dict[str, str] = {}
    for word in _WORD.findall(phrasing):
        terms = content_tokens(normalise(word))
        if len(terms) == 1:
            claim_words.setdefault(terms[0], word)

    def respell(found: re.Match[str]) -> str:
        word = found.group(0)
        terms = content_tokens(normalise(word))
        if len(terms) != 1 or terms[0] not in unseen:
            return word
        term = terms[0]
        target = corrections.get(term)
        if target not in claim_words:
            target = next((c for c in claim_words if same_word(term, c)), None)
        return claim_words[target] if target is not None else word

    return _WORD.sub(respell, text)


def semantic_features(
    best: Match,
    runner_up: Match | None,
    fields: Mapping[str, float],
    runner_same: float = 0.0,
    substitution_drift: float | None = None,
) -> dict[str, float]:
    """Cosines: the stored vector's (from match signals) and each field's of the top candidate;
    substitution_drift: None when no substitution was put back. (The substituted words' own cosine
    was a feature until round 4: out of fold it added nothing, 142 vs 143 of 262 tune paraphrases,
    and cost a model run on a fifth of the questions.)"""
    cos = best.signals.get("cos", 0.0)
    other = runner_up.signals.get("cos", 0.0) if runner_up is not None else 0.0
    short = float(best.signals.get("q_terms", 0.0) < SHORT_TERMS)
    per_field = {f"cos_{name}": fields.get(name, cos) for name in ("claim", "title", "summary", "phrasing")}
    return {
        "cos": cos,
        "cos_rel": best.signals.get("cos_rel", 0.0),
        "cos_margin": cos - other,
        **per_field,
        "short_cos": short * cos,
        "short_cos_claim": short * per_field["cos_claim"],
        # A runner-up telling the same claim makes a small lead no reason to doubt (0.3: a clear lead).
        "cos_margin_unique": (cos - other) + max(0.3 - (cos - other), 0.0) * runner_same,
        "substitution_drift": substitution_drift or 0.0,
        "synonym_credit": 0.0 if substitution_drift is None else max(SYNONYM_DRIFT - substitution_drift, 0.0),
    }
