"""Similarity of two questions, for clustering queued questions onto one review item."""

from __future__ import annotations

import re

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


RESTATES_AT = 0.6  # share of a summary's terms already in the claim; checked on CheckThat! rows (tests)
# Words that turn a summary into a finding about the claim (a denial, a correction, a label) when the
# claim itself does not hold them: "It's an amusing story, but the band was not named for …".
FINDING_CUES = frozenset(
    {
        "not",
        "no",
        "never",
        "nor",
        "false",
        "fake",
        "fakes",
        "hoax",
        "hoaxes",
        "fabricated",
        "satire",
        "satirical",
        "parody",
        "debunked",
        "misleading",
        "untrue",
        "unproven",
        "unfounded",
        "myth",
        "isn't",
        "wasn't",
        "weren't",
        "aren't",
        "didn't",
        "doesn't",
        "don't",
        "won't",
        "hasn't",
        "haven't",
        "but",
        "however",
        "although",
        "though",
        "actually",
        "instead",
    }
)
_WORD = re.compile(r"[a-z']+")


def restates(summary: str, claims: list[str]) -> bool:
    """True when a summary only says the claim again: most of its content terms are the claim's.

    Token overlap on stemmed content terms, as a share of the summary's own terms, so that a finding
    which names the claim and adds what was found ("No, the photo shows a 2012 flood") is not taken
    for a restatement. A summary with no content terms restates nothing.
    """
    said = set(content_tokens(normalise(summary)))
    if not said:
        return False
    cues = FINDING_CUES & set(_WORD.findall(summary.lower().replace("’", "'")))
    if cues - set(_WORD.findall(" ".join(claims).lower().replace("’", "'"))):
        return False
    known: set[str] = set()
    for claim in claims:
        known |= set(content_tokens(normalise(claim)))
    return len(said & known) / len(said) >= RESTATES_AT
