"""Word alignment of a question to the claim it matched: what the verifier reads beyond coverage.

A near miss mostly keeps the claim's words and changes one ("seven *days*", "tie a *dog* to a
ceiling fan", "is the *moon* flat") or turns who did what around ("did an ICE agent arrest a police
officer"); a paraphrase rewords more but keeps the roles. Coverage alone sees neither, so this
module aligns the two term lists (same word, the same word misspelt, a compound written apart,
"chickfila" / "chick fil a", or in a chat question a word of one sense, "booze" / "alcohol") and
reports:

- the question words left without a counterpart, and how specific the most specific one is;
- *substitutions*: a question word without a counterpart standing where the claim has a word of
  its own (between the same aligned neighbours) - the pattern of a changed who/what/where/when;
  in a chat question, whether one of them puts a word of the same kind in place ("a *cat*" for "a
  dog", "a *car* crash" for "a plane crash");
- *pivot swaps*: two shared words on opposite sides of a third shared word (the verb, mostly) in
  the claim, and both crossed over in the question;
- codes with digits that disagree ("4g" / "5g").

Terms are the matcher's index terms (normalised, stop words dropped, stemmed), in written order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from .synonyms import same_kind, same_sense

ALIGN_CUTOFF = 85.0  # rapidfuzz ratio above which two words are taken as the same word misspelt
LONG_CUTOFF = 80.0  # the same for words of 6+ letters, where one letter is less ("licence", "license")
MIN_FUZZY = 4  # shorter words must match exactly ("4g" and "5g" are not a misspelling)
MIN_RUN = 2  # shared words on each side of a block swap
MAX_PIVOT_TERMS = 16  # bounds the triple count (a pasted text aligns hundreds of pairs)


def same_word(a: str, b: str) -> bool:
    """The same word, or the same word misspelt (index terms)."""
    if a == b:
        return True
    if len(a) < MIN_FUZZY or len(b) < MIN_FUZZY or any(c.isdigit() for c in a + b):
        return False
    return fuzz.ratio(a, b) >= (LONG_CUTOFF if min(len(a), len(b)) >= 6 else ALIGN_CUTOFF)


def _compound(term: str, terms: Sequence[str]) -> list[int]:
    """Positions of 2-3 adjacent `terms` that, written together, are `term` ("chickfila")."""
    if len(term) < 6:
        return []
    for width in (2, 3):
        for start in range(len(terms) - width + 1):
            joined = "".join(terms[start : start + width])
            # "ballpark" for "baseball park": the compound's head written together
            if (abs(len(joined) - len(term)) <= 2 and same_word(term, joined)) or joined.endswith(term):
                return list(range(start, start + width))
    return []


def counterparts(source: Sequence[str], target: Sequence[str], senses: bool = False) -> list[int | None]:
    """For each source term, the position in `target` of its counterpart (None when it has none);
    with `senses`, a word of the same sense counts too (synonyms.py)."""
    exact: dict[str, int] = {}
    for i, term in enumerate(target):
        exact.setdefault(term, i)
    out: list[int | None] = []
    for term in source:
        if term in exact:
            out.append(exact[term])
            continue
        found = next((i for i, other in enumerate(target) if same_word(term, other)), None)
        if found is None:
            parts = _compound(term, target)
            found = parts[0] if parts else None
        if found is None and senses:
            found = next((i for i, other in enumerate(target) if same_sense(term, other)), None)
        out.append(found)
    # The other direction of a compound: "ball park" in the question for "ballpark" in the claim.
    for start in range(len(source) - 1):
        if out[start] is None or out[start + 1] is None:
            pair = source[start] + source[start + 1]
            hit = next(
                (
                    i
                    for i, other in enumerate(target)
                    if len(other) >= 6 and abs(len(other) - len(pair)) <= 2 and same_word(pair, other)
                ),
                None,
            )
            if hit is not None:
                out[start] = out[start + 1] = hit
    return out


@dataclass(frozen=True)
class Alignment:
    unaligned_max: float  # idf / max idf of the most specific question word with no counterpart
    unaligned_share: float  # idf-weighted share of question words with no counterpart
    claim_unaligned_share: float  # idf-weighted share of claim words the question has no counterpart of
    substitutions: tuple[tuple[str, str], ...]  # (question word, claim word) standing in the same place
    substitution_idf: float  # idf / max idf of the most specific substituted question word
    sister_substitution: float  # 1.0 when a substituted pair are words of one kind ("cat", "dog")
    pivot_swap: float  # share of (a, pivot, b) triples crossed over the pivot (0 when none)
    block_swap: float  # 1.0 when the words before and after the question's verb trade places in the claim
    code_conflict: float  # both sides have words with digits ("4g", "covid19") and share none


def align(
    query_terms: Sequence[str],
    claim_terms: Sequence[str],
    idf: Mapping[str, float],
    max_idf: float,
    flipped: bool = False,
    causal: bool = False,
    senses: bool = False,
) -> Alignment:
    """The alignment figures of a question against one claim phrasing (`flipped`: one of the two
    is passive, so its doer comes after the deed; `causal`: one of them says "because", "causing",
    which puts cause and effect either way round; `senses`: words of one sense are counterparts,
    and a substitution of a word of one kind is told, for a chat question only, since a pasted text
    has a word of some claim word's sense by chance: CheckThat dev, a tweet's same-topic negative
    went from 47% of its claim unaligned to 26%)."""
    max_idf = max_idf or 1.0
    q_to_c = counterparts(query_terms, claim_terms, senses)
    c_to_q = counterparts(claim_terms, query_terms, senses)

    def weight(term: str) -> float:
        return idf.get(term, max_idf)

    q_total = sum(weight(t) for t in set(query_terms)) or 1.0
    c_total = sum(weight(t) for t in set(claim_terms)) or 1.0
    q_loose = {t for t, c in zip(query_terms, q_to_c, strict=True) if c is None}
    c_loose = {t for t, q in zip(claim_terms, c_to_q, strict=True) if q is None}
    slots = _substitutions(query_terms, q_to_c, claim_terms, c_to_q)
    substitutions = tuple((term, max(slot, key=weight)) for term, slot in slots)
    return Alignment(
        unaligned_max=max((weight(t) for t in q_loose), default=0.0) / max_idf,
        unaligned_share=sum(weight(t) for t in q_loose) / q_total,
        claim_unaligned_share=sum(weight(t) for t in c_loose) / c_total,
        substitutions=substitutions,
        substitution_idf=max((weight(q) for q, _ in substitutions), default=0.0) / max_idf,
        # any word of the slot: "die in a car crash" has "died", "plane" in the claim's slot
        sister_substitution=float(senses and any(same_kind(t, c) for t, slot in slots for c in slot)),
        pivot_swap=pivot_swap(q_to_c, flipped),
        block_swap=block_swap(q_to_c, c_to_q, flipped or causal),
        code_conflict=code_conflict(query_terms, claim_terms),
    )


def _substitutions(
    query_terms: Sequence[str],
    q_to_c: Sequence[int | None],
    claim_terms: Sequence[str],
    c_to_q: Sequence[int | None],
) -> list[tuple[str, list[str]]]:
    """Question words without a counterpart that sit where the claim has words without one, with
    those words: between the claim positions of the nearest aligned question words before and after
    (at least one)."""
    out = []
    for i, term in enumerate(query_terms):
        if q_to_c[i] is not None:
            continue
        before = next((q_to_c[j] for j in range(i - 1, -1, -1) if q_to_c[j] is not None), None)
        after = next((q_to_c[j] for j in range(i + 1, len(query_terms)) if q_to_c[j] is not None), None)
        if before is None and after is None:
            continue
        low = -1 if before is None else before
        high = len(claim_terms) if after is None else after
        if low >= high:  # the neighbours are crossed over in the claim: no slot between them
            continue
        slot = [claim_terms[k] for k in range(low + 1, high) if c_to_q[k] is None]
        if before is None or after is None:
            slot = slot[-1:] if before is None else slot[:1]  # only the word next to the anchor
        if slot:
            out.append((term, slot))
    return out


def pivot_swap(q_to_c: Sequence[int | None], flipped: bool = False) -> float:
    """Share of triples of shared words (a, v, b), a before v before b in the claim, that the
    question writes b before v before a: "did trump endorse the pope" against "the pope endorsed
    trump". Reordering around no pivot ("flat earth?" for "the earth is flat", "autism from
    vaccines") is no swap. With `flipped` (one side passive) the kept order is the swap."""
    positions: list[int] = []
    seen: set[int] = set()
    for c in q_to_c:
        if c is not None and c not in seen:
            seen.add(c)
            positions.append(c)
    positions = positions[:MAX_PIVOT_TERMS]
    crossed = kept = 0
    n = len(positions)
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                a, v, b = positions[i], positions[j], positions[k]  # question order
                if a < v < b:
                    kept += 1
                elif a > v > b:
                    crossed += 1
    total = crossed + kept
    if not total:
        return 0.0
    return (kept if flipped else crossed) / total


def block_swap(q_to_c: Sequence[int | None], c_to_q: Sequence[int | None], turned: bool = False) -> float:
    """1.0 when the question's shared words fall in two runs, split by a word of its own (the verb),
    that stand the other way round in the claim, split there too by a word of the claim's own: "did
    ICE agents *detain* a New York City cop" against "a New York City police officer *arrested* an
    ICE agent". Who did what to whom turned round with the verb reworded, which pivot_swap cannot
    see (it needs the verb shared). Reordering with nothing between the runs ("flat earth?" for
    "the earth is flat") is none, and a passive on one side ("an ICE agent was detained by ...") or
    a cause told after its effect ("a shortage because the plant shut") turns the order round by
    itself: `turned` counts no swap."""
    if turned:
        return 0.0
    aligned = [(i, c) for i, c in enumerate(q_to_c) if c is not None]
    for k in range(len(aligned) - 1):
        (i, _), (j, _) = aligned[k], aligned[k + 1]
        if j - i < 2:  # no word of the question's own between the two runs
            continue
        left = {c for _, c in aligned[: k + 1]}
        right = {c for _, c in aligned[k + 1 :]}
        # Two words a side: a doer and a done-to ("ICE agent", "New York City"), not a topic put
        # first ("covid vaccines ... microchips", "dead people voted for Doug Jones").
        if len(left) < MIN_RUN or len(right) < MIN_RUN or left & right or max(right) >= min(left):
            continue
        # the claim has a word of its own between the runs (its verb), not only a join
        if any(c_to_q[p] is None for p in range(max(right) + 1, min(left))):
            return 1.0
    return 0.0


def code_conflict(query_terms: Sequence[str], claim_terms: Sequence[str]) -> float:
    """1.0 when both sides write codes with digits in them ("4g", "5g", "covid19") and share none."""

    def codes(terms: Sequence[str]) -> set[str]:
        return {t for t in terms if any(c.isdigit() for c in t) and any(c.isalpha() for c in t)}

    q, c = codes(query_terms), codes(claim_terms)
    return float(bool(q and c and not q & c))
