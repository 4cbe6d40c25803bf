"""Which index terms are names, learnt from how the stored fact-checks capitalise them.

"Did the Pope endorse Biden?" against "Pope Francis endorsed Donald Trump": every word but one is
covered, and the one that is not is a name.  A question naming someone or somewhere the fact-check
never mentions is about a different claim, however well the rest fits, so it is never *answered*
(it can still be suggested).  Rather than a name list, the matcher counts, per term, in how many
fact-checks it appears capitalised mid-sentence; a term written that way in most of the
fact-checks that contain it is a name.  Titles are skipped: Snopes-style titles are in Title Case.
A fact-check writing the term in lower case mid-sentence counts against it: "Tower", "River" and
"War" are capitalised in "Trump Tower", "the Mississippi River", "World War II", but "cell towers"
and "the river" say they are ordinary words, which a question may use without naming anything.

A name is mentioned by its demonym too: "Iran" by "an Iranian base", "Scotland" by "a breed of
Scottish cow" (`name_forms`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from .normalise import STOPWORDS, stem, strip_noise

# A capitalised word that does not start a sentence: preceded by a lower-case word or a comma.
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z0-9,;:]\s)([A-Z][a-z]+(?:['\u2019][a-z]+)?|[A-Z]{2,}(?![a-z]))")
# A lower-case word in the same place; not the first part of a contraction ("don't").
_MID_SENTENCE_LOWER = re.compile(r"(?<=[a-z0-9,;:]\s)([a-z]{2,})\b(?!['\u2019])")
_POSSESSIVE = re.compile(r"['\u2019]s$")

ENTITY_SHARE = 0.5  # capitalised in at least this share of the fact-checks containing the term
_stem = lru_cache(maxsize=1 << 16)(stem)  # a catalogue's words repeat: stem each once


def name_evidence(texts: Iterable[str], aliases: Iterable[str] = ()) -> tuple[frozenset[str], frozenset[str]]:
    """Index terms written with a capital mid-sentence in any of the texts or aliases, and those
    written in lower case there in the texts (not the aliases: askers' phrasings are often all in
    lower case, "did a nyc cop arrest ice")."""
    capitals: set[str] = set()
    lowers: set[str] = set()
    for text in texts:
        text = strip_noise(text)
        capitals.update(_MID_SENTENCE_CAPITAL.findall(text))
        lowers.update(_MID_SENTENCE_LOWER.findall(text))
    for alias in aliases:
        capitals.update(_MID_SENTENCE_CAPITAL.findall(strip_noise(alias)))
    names = {_POSSESSIVE.sub("", w).casefold().replace("'", "").replace("\u2019", "") for w in capitals}
    return (
        frozenset(_stem(w) for w in names if w not in STOPWORDS),
        frozenset(_stem(w) for w in lowers if w not in STOPWORDS),
    )


# How a place's name turns into the word for its people, on index terms (stemmed): Kenya/Kenyan,
# China/Chinese ("chines"), Italy/Italian, Germany/German; Iran/Iranian, Israel/Israeli,
# Japan/Japanese; Scotland/Scottish, England/English. Irregular ones (Spain/Spanish) are left out.
# The endings are kept to those that do not turn an ordinary word into a people's: "germ" is not
# "German", "Scott" not "Scottish", "chin" not "Chinese".
_AFTER_VOWEL = ("an", "ian", "es")  # on the name less its last vowel: cub-an, ital-ian, chin-es
_AFTER_CONSONANT = ("ian", "i")  # iran-ian, israel-i
_LAND_ENDINGS = ("", "tish", "lish")  # Scot(s), Scottish, English
MIN_STEM = 3  # the shortest shared part: "chin" + "es", "eng" + "lish"
MIN_CONSONANT_ES = 5  # japan-es(e), sudan-es(e); not "chin"


@lru_cache(maxsize=4096)
def _demonyms(place: str) -> frozenset[str]:
    forms: set[str] = set()
    if place[-1:] in "aeiouy":
        forms.add(place + "n")  # kenya-n, america-n
        base = place[:-1]
        if len(base) > MIN_STEM:
            forms |= {base + end for end in _AFTER_VOWEL}
            if place.endswith("y"):
                forms.add(base)  # Germany / German
    elif place:
        forms |= {place + end for end in _AFTER_CONSONANT}
        if len(place) >= MIN_CONSONANT_ES:
            forms.add(place + "es")
    if place.endswith("land") and len(place) - 4 >= MIN_STEM:
        forms |= {place[:-4] + end for end in _LAND_ENDINGS}
    forms.discard(place)
    return frozenset(forms)


@lru_cache(maxsize=4096)
def _places(demonym: str) -> frozenset[str]:
    """The terms whose _demonyms include this one (Iran for "iranian"), found by taking the
    endings off again."""
    candidates = {demonym + "y", demonym + "land"}
    for end in ("n", *_AFTER_VOWEL, *_AFTER_CONSONANT, "es", *_LAND_ENDINGS):
        if end and demonym.endswith(end):
            base = demonym[: -len(end)]
            candidates |= {base, base + "land", *(base + vowel for vowel in "aeiouy")}
    return frozenset(t for t in candidates if t != demonym and demonym in _demonyms(t))


def name_forms(name: str) -> frozenset[str]:
    """The terms by which a fact-check mentions a name: itself, the word for the place's people
    ("iranian" for "iran") and the place of people named ("iran" for "iranian")."""
    if len(name) <= MIN_STEM:
        return frozenset((name,))
    return frozenset((name, *_demonyms(name), *_places(name)))


class EntityLexicon:
    def __init__(self) -> None:
        # term -> fact-checks writing it capitalised, less those writing it in lower case
        self._votes: Counter[str] = Counter()
        # A segment's counts (segment.py), which `_votes` then corrects (for a base fact-check that
        # changed or went).
        self._base_ids: Mapping[str, int] = {}
        self._base_counts: Sequence[int] = ()

    def attach(self, term_id: Mapping[str, int], counts: Sequence[int]) -> None:
        self._base_ids, self._base_counts = term_id, counts

    def add(self, capitalised: Iterable[str], lowercase: Iterable[str]) -> None:
        self._votes.update(capitalised)
        self._votes.subtract(lowercase)

    def remove(self, capitalised: Iterable[str], lowercase: Iterable[str]) -> None:
        self._votes.subtract(capitalised)
        self._votes.update(lowercase)

    def is_name(self, term: str, document_frequency: int) -> bool:
        count = self._votes.get(term, 0)
        tid = self._base_ids.get(term)
        if tid is not None:
            count += int(self._base_counts[tid])
        return count > 0 and count >= ENTITY_SHARE * max(document_frequency, 1)
