"""A fact-check as replies and adapters see it: a detached snapshot, with its sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.ratings import Verdict
from bot.domain.records import ClaimAppearance


@dataclass(frozen=True)
class SourceLink:
    outlet: str
    url: str | None
    position: int = 0
    title: str = ""


@dataclass(frozen=True)
class FactCheckCard:
    """A detached snapshot of a fact-check: what replies and adapters need, no database session."""

    id: int
    url: str
    claim: str
    title: str
    summary: str
    verdict: Verdict
    rating_text: str
    rating_confirmed: bool
    publisher: str
    checked_at: date | None
    sources: tuple[SourceLink, ...]
    revision: int
    status: str
    origin: str = "local"
    # Where the claim appeared; filled only where it is shown (the ClaimReview export), else empty.
    appearances: tuple[ClaimAppearance, ...] = ()
    # A report stored in full (sections or a body): chat can show it when there is no page to link.
    has_report: bool = False

    @property
    def report_url(self) -> str | None:
        return self.url if self.url.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class Candidate:
    """A fact-check the matcher found for a text, with its score and why it matched."""

    fact_check: FactCheckCard
    score: float
    phrasing: str = ""
    signals: dict[str, float] = field(default_factory=dict)
