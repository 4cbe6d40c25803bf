"""Words of one sense: "booze" and "alcohol", "ammo" and "ammunition", "bought" and "buy".

A paraphrase mostly rewords with a synonym, a near miss with a word of the same kind ("a cop" for
"a paramedic", "a cat" for "a dog"), and a sentence model's cosines hardly tell the two apart. WordNet
does: synonyms share a synset, while sister terms only share the kind above them. So this module
answers both: `same_sense` (the aligner counts such a word as the claim's own) and `same_kind` (the
verifier reads a substitution of such a word as a changed who or what). The pairs and the kinds come
from Princeton WordNet 3.0 (licence in WORDNET_LICENSE beside this file), built once by
benchmarks/export_synonyms.py as index terms (normalise.stem) in each word's two leading senses.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

PAIRS_FILE = Path(__file__).with_name("synonyms.txt.gz")
KINDS_FILE = Path(__file__).with_name("kinds.txt.gz")


@dataclass(frozen=True)
class Sense:
    synset: int  # WordNet's offset of the sense
    kinds: frozenset[int]  # the kinds above it, only those deep enough to be specific ("carnivore")


@cache
def _pairs() -> frozenset[str]:
    """Each pair as one "a b" line, a < b (the file's own lines)."""
    lines = gzip.decompress(PAIRS_FILE.read_bytes()).decode("utf-8").splitlines()
    return frozenset(lines[1:])  # the first line says where the pairs come from


def same_sense(a: str, b: str) -> bool:
    """Whether index terms `a` and `b` are words of one sense, or one names the kind of the other."""
    return a != b and (f"{a} {b}" if a < b else f"{b} {a}") in _pairs()


@cache
def _kind_lines() -> dict[str, str]:
    """Noun term -> the rest of its line in the file (a field of ids per sense), read as needed:
    parsing all 40,000 up front took 0.4 s, which `claimbot ask` would pay on its first question."""
    lines = gzip.decompress(KINDS_FILE.read_bytes()).decode("utf-8").splitlines()[1:]
    return dict(line.split("\t", 1) for line in lines)


@lru_cache(maxsize=4096)  # bounded: the terms come from askers' questions
def senses(term: str) -> tuple[Sense, ...]:
    """The leading noun senses of index term `term` (none when WordNet has no such noun)."""
    fields = _kind_lines().get(term)
    if fields is None:
        return ()
    out = []
    for field in fields.split("\t"):
        synset, *kinds = map(int, field.split())
        out.append(Sense(synset, frozenset(kinds)))
    return tuple(out)


def same_kind(a: str, b: str) -> bool:
    """Whether nouns `a` and `b` are sister terms: two senses of theirs share a specific kind and
    neither is the other's kind or sense ("cat" and "dog"; not "cat" and "feline", nor "cat" and "cat")."""
    left, right = senses(a), senses(b)
    if a == b or any(x.synset == y.synset for x in left for y in right):
        return False
    return any(
        x.kinds & y.kinds and x.synset not in y.kinds and y.synset not in x.kinds for x in left for y in right
    )
