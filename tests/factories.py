"""Test data built in one place."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import FactCheckCard, SourceLink, Verdict


def fact_check_card(**changes: Any) -> FactCheckCard:
    """A published fact-check card with plausible values; keyword arguments replace any of them."""
    values: dict[str, Any] = {
        "id": 1,
        "url": "https://example.org/report",
        "claim": "A New York City police officer arrested an ICE agent",
        "title": "Did an NYPD officer arrest an ICE agent?",
        "summary": "No record shows it; the viral clip was AI-generated.",
        "verdict": Verdict.FALSE,
        "rating_text": "False",
        "rating_confirmed": True,
        "publisher": "AFP",
        "checked_at": date(2026, 2, 2),
        "sources": (SourceLink("AFP", "https://afp.example/a", 1),),
        "revision": 1,
        "status": "published",
    }
    values.update(changes)
    return FactCheckCard(**values)
