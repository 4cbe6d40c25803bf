"""What the matcher derives from one fact-check's text: index terms per BM25 slot, rerank phrasings and
the terms written as names. Computed once per fact-check revision (normalising is the expensive part
of indexing), then kept in memory (matcher.py) or in the index files (segment.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import name_evidence
from .model import MatchDocument
from .normalise import content_tokens, normalise
from .rerank import Phrasing, make_phrasing

KINDS = ("claim", "title", "summary", "alias")


@dataclass(slots=True)
class Entry:
    """One indexed fact-check as the matcher ranks it."""

    doc: MatchDocument
    slots: tuple[int, ...]  # its BM25 slots
    phrasings: tuple[Phrasing, ...]
    capitalised: tuple[str, ...]  # terms written as names here (see entities.py)
    lowercase: tuple[str, ...]  # terms written as ordinary words here


@dataclass(frozen=True, slots=True)
class Prepared:
    slot_terms: tuple[list[str], ...]  # one BM25 slot each: claim+title+summary, then each alias
    phrasings: tuple[Phrasing, ...]
    phrasing_texts: tuple[int, ...]  # which of texts() each phrasing was made from
    capitalised: tuple[str, ...]  # terms written as names here (see entities.py)
    lowercase: tuple[str, ...]  # terms written as ordinary words here


def texts(doc: MatchDocument) -> list[str]:
    """The document's texts in a fixed order: claim, title, summary, then its aliases."""
    return [doc.claim, doc.title, doc.summary, *doc.aliases]


def prepare(doc: MatchDocument) -> Prepared:
    """Index terms of the main document and of each alias, and the rerank phrasings."""
    main_terms: list[str] = []
    phrasings: list[Phrasing] = []
    sources: list[int] = []
    for number, (kind, text) in enumerate(
        (("claim", doc.claim), ("title", doc.title), ("summary", doc.summary))
    ):
        if text and text.strip():
            terms = content_tokens(normalise(text))
            main_terms.extend(terms)
            if terms:
                phrasings.append(make_phrasing(text, kind, terms))
                sources.append(number)
    slots = [main_terms] if main_terms else []
    for number, alias in enumerate(doc.aliases, start=3):
        terms = content_tokens(normalise(alias))
        if terms:
            slots.append(terms)
            phrasings.append(make_phrasing(alias, "alias", terms))
            sources.append(number)
    capitalised, lowercase = name_evidence([doc.claim, doc.summary], doc.aliases)
    return Prepared(
        tuple(slots), tuple(phrasings), tuple(sources), tuple(sorted(capitalised)), tuple(sorted(lowercase))
    )
