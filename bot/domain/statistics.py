"""The moderators' dashboard: questions per day by outcome, how long verdicts take, what is asked most.

Days are the moderator's days (a time zone given by the console), not UTC days. Everything here is a
detached value: the console renders it (adapters/web/charts.py) without going back to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class OutcomeGroup(StrEnum):
    """The five outcomes the dashboard tells apart; `OutcomeKind` has more than a chart can show."""

    ANSWERED = "answered"  # OutcomeKind.ANSWER (a suggestion picked later becomes one)
    SUGGESTED = "suggested"  # OutcomeKind.SUGGEST
    QUEUED = "queued"  # OutcomeKind.QUEUED: sent to the fact-checkers (a 👎 "wrong claim" too)
    CHITCHAT = "chitchat"  # OutcomeKind.CHITCHAT: greetings, thanks, help; answered with help
    OTHER = "other"  # unmatched and not (yet) sent, throttled, refused links and photos


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


# A change counts as up or down only when it is both a few questions and a good part of the last week:
# 1 against 0, or 11 against 10, is noise, and an arrow on every item would say nothing.
TREND_MIN_CHANGE = 2
TREND_MIN_RATIO = 0.2


def trend(asks: int, previous_asks: int) -> Trend:
    """Up, down or flat: this week's asks against the previous week's."""
    change = asks - previous_asks
    if abs(change) < TREND_MIN_CHANGE or abs(change) < TREND_MIN_RATIO * previous_asks:
        return Trend.FLAT
    return Trend.UP if change > 0 else Trend.DOWN


@dataclass(frozen=True)
class DayCount:
    """The questions asked on one of the moderator's days, by outcome."""

    day: date
    answered: int = 0
    suggested: int = 0
    queued: int = 0
    chitchat: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.suggested + self.queued + self.chitchat + self.other

    def count(self, outcome: OutcomeGroup) -> int:
        return int(getattr(self, outcome.value))


@dataclass(frozen=True)
class OutcomeShare:
    outcome: OutcomeGroup
    count: int
    share: float  # of all questions in the range, 0.0 to 1.0 (0.0 when there were none)


@dataclass(frozen=True)
class ClaimTrend:
    """How often a claim was asked in the last 7 days and in the 7 before."""

    asks: int
    previous_asks: int
    trend: Trend


@dataclass(frozen=True)
class TrendingClaim:
    """A claim among the week's most asked: a review item, or a fact-check that answered questions."""

    kind: str  # "review" (a review item's id) or "fact_check" (a fact-check's id)
    id: int
    text: str  # the item's first phrasing, or the fact-check's claim
    status: str  # the review item's status (open, drafted, answered, rejected), or the fact-check's
    asks: int
    previous_asks: int
    trend: Trend


@dataclass(frozen=True)
class FeedbackCount:
    """👍 and 👎 given in the range on one fact-check's answers (as the votes stand now)."""

    fact_check_id: int
    claim: str
    up: int
    down: int


@dataclass(frozen=True)
class Dashboard:
    start: date  # the first day, inclusive
    end: date  # the last day, inclusive
    time_zone: str  # an IANA name: the days are this zone's
    days: tuple[DayCount, ...]  # every day of the range in order, days without questions included
    shares: tuple[OutcomeShare, ...]  # one per OutcomeGroup, in its order
    by_platform: tuple[tuple[str, int], ...]  # questions per platform, most first
    by_language: tuple[tuple[str, int], ...]  # questions per reply language ("" when unknown), most first
    verdicts_published: int  # review items answered in the range (a verdict approved or a fact-check linked)
    median_time_to_verdict: timedelta | None  # from an item's first ask to that answer; None without any
    week_ending: datetime  # the end of the 7 days most_asked counts (UTC): the range's end, or now
    most_asked: tuple[TrendingClaim, ...]  # most asked in the 7 days before week_ending, first
    feedback: tuple[FeedbackCount, ...]  # fact-checks with votes in the range, most votes first

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)
