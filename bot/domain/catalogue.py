"""The catalogue as moderators browse it: a page of fact-checks, a search hit, one card in full."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.factchecks import FactCheckCard


@dataclass(frozen=True)
class CataloguePage:
    """One page of the stored fact-checks, newest first, with how many match the filters in all."""

    items: tuple[FactCheckCard, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class SearchHit:
    """A fact-check found for a moderator's words: by the matcher (with its score) or by its text."""

    fact_check: FactCheckCard
    score: float | None  # the matcher's calibrated score; None for a hit on the stored text
    found_by: str  # "matcher" or "text"


@dataclass(frozen=True)
class FactCheckDetail:
    """A fact-check with everything stored about it that a moderator reads before linking it."""

    card: FactCheckCard
    aliases: tuple[str, ...]
    body: str | None
    created_at: str
    updated_at: str
