"""A stored report as chat shows it in full: its summary and numbered sections with [n] citations,
the source list and the follow-up questions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.factchecks import SourceLink
from bot.domain.records import ReportSection


@dataclass(frozen=True)
class FullReport:
    fact_check_id: int
    title: str
    checked: str  # "Checked on February 2, 2026 by Factually"
    sections: tuple[ReportSection, ...]
    sources: tuple[SourceLink, ...]
    follow_ups: tuple[str, ...]
