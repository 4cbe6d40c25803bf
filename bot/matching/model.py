"""Value types of the matching API."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MatchDocument:
    """What the matcher knows of one fact-check."""

    fact_check_id: int
    claim: str
    title: str = ""
    summary: str = ""
    aliases: tuple[str, ...] = ()  # moderator-added phrasings: count as phrasings of the fact-check


@dataclass(frozen=True)
class Match:
    fact_check_id: int
    score: float  # calibrated, in [0, 1]
    phrasing: str  # the text (claim/title/alias) that matched best
    signals: dict[str, float] = field(default_factory=dict)  # why this matched: features, in [0, 1] mostly


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
