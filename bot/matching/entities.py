"""Which index terms are names, learnt from how the stored fact-checks capitalise them.

"Did the Pope endorse Biden?" against "Pope Francis endorsed Donald Trump": every word but one is
covered, and the one that is not is a name.  A question naming someone or somewhere the fact-check
never mentions is about a different claim, however well the rest fits, so it is never *answered*
(it can still be suggested).  Rather than a name list, the matcher counts, per term, in how many
fact-checks it appears capitalised mid-sentence; a term written that way in most of the
fact-checks that contain it is a name.  Titles are skipped: Snopes-style titles are in Title Case.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from .normalise import STOPWORDS, stem, strip_noise

# A capitalised word that does not start a sentence: preceded by a lower-case word or a comma.
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z0-9,;:]\s)([A-Z][a-z]+(?:['\u2019][a-z]+)?|[A-Z]{2,}(?![a-z]))")
_POSSESSIVE = re.compile(r"['\u2019]s$")

ENTITY_SHARE = 0.5  # capitalised in at least this share of the fact-checks containing the term


def capitalised_terms(texts: Iterable[str]) -> frozenset[str]:
    """Index terms written with a capital mid-sentence in any of the texts."""
    found = set()
    for text in texts:
        for word in _MID_SENTENCE_CAPITAL.findall(strip_noise(text)):
            word = _POSSESSIVE.sub("", word).casefold().replace("'", "").replace("\u2019", "")
            if word not in STOPWORDS:
                found.add(stem(word))
    return frozenset(found)


class EntityLexicon:
    def __init__(self) -> None:
        self._capitalised: Counter[str] = Counter()  # term -> number of fact-checks writing it capitalised
        # A segment's counts (segment.py), which `_capitalised` then corrects (it goes negative for a
        # base fact-check that changed or went).
        self._base_ids: Mapping[str, int] = {}
        self._base_counts: Sequence[int] = ()

    def attach(self, term_id: Mapping[str, int], counts: Sequence[int]) -> None:
        self._base_ids, self._base_counts = term_id, counts

    def add(self, terms: Iterable[str]) -> None:
        self._capitalised.update(terms)

    def remove(self, terms: Iterable[str]) -> None:
        self._capitalised.subtract(terms)

    def is_name(self, term: str, document_frequency: int) -> bool:
        count = self._capitalised.get(term, 0)
        tid = self._base_ids.get(term)
        if tid is not None:
            count += int(self._base_counts[tid])
        return count > 0 and count >= ENTITY_SHARE * max(document_frequency, 1)
