"""A notification taken from the outbox, with everything an adapter needs to render and send it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.factchecks import FactCheckCard
from bot.domain.review import ReviewSummary


@dataclass(frozen=True)
class Delivery:
    """One notification an adapter must deliver, with everything it needs to render it."""

    id: int
    kind: str  # answer, edit, review
    target: str
    fact_check: FactCheckCard | None
    review: ReviewSummary | None
    attempts: int  # this claim's number, too: what the worker holds the lease under (store/outbox.py)
    language: str = "en"  # the asker's, remembered when the notification was queued
