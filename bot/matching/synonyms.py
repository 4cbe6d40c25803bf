"""Words of one sense: "booze" and "alcohol", "ammo" and "ammunition", "bought" and "buy".

A paraphrase mostly rewords with a synonym, a near miss with a word of the same kind ("a cop" for
"a paramedic", "a cat" for "a dog"), and a sentence model's cosines hardly tell the two apart. WordNet
does: synonyms share a synset, while sister terms only share the kind above them. The pairs come
from Princeton WordNet 3.0 (licence in WORDNET_LICENSE beside this file), built once by
benchmarks/export_synonyms.py as index terms (normalise.stem) in each word's two leading senses.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

PAIRS_FILE = Path(__file__).with_name("synonyms.txt.gz")


@cache
def _pairs() -> frozenset[str]:
    """Each pair as one "a b" line, a < b (the file's own lines)."""
    lines = gzip.decompress(PAIRS_FILE.read_bytes()).decode("utf-8").splitlines()
    return frozenset(lines[1:])  # the first line says where the pairs come from


def same_sense(a: str, b: str) -> bool:
    """Whether index terms `a` and `b` are words of one sense, or one names the kind of the other."""
    return a != b and (f"{a} {b}" if a < b else f"{b} {a}") in _pairs()
