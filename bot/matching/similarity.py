"""Similarity of two questions, for clustering queued questions onto one review item."""

from __future__ import annotations

from rapidfuzz import fuzz

from .normalise import content_tokens, normalise


def question_similarity(a: str, b: str) -> float:
    """In [0, 1]: two phrasings of one claim score >= 0.72, unrelated questions < 0.5.

    Works on normalised, stemmed terms, so framing ("is it true that"), abbreviations and simple
    synonyms do not count as differences.  Dice overlap of the term sets carries most of the weight;
    a sorted-token fuzzy ratio adds credit for misspellings that exact term overlap misses.
    """
    ta, tb = content_tokens(normalise(a)), content_tokens(normalise(b))
    sa, sb = set(ta), set(tb)
    if not sa or not sb:
        return 1.0 if not sa and not sb and normalise(a) == normalise(b) else 0.0
    dice = 2 * len(sa & sb) / (len(sa) + len(sb))
    sorted_ratio = fuzz.token_sort_ratio(" ".join(sorted(sa)), " ".join(sorted(sb))) / 100.0
    return max(dice, 0.6 * dice + 0.4 * sorted_ratio)
