"""Was an answer helpful: the asker's vote, why a "no", and what moderators see counted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Vote(StrEnum):
    UP = "up"
    DOWN = "down"


class Reason(StrEnum):
    """Why an answer was not helpful. The numbers are the codes button data carries (see CODES)."""

    WRONG_CLAIM = "wrong_claim"  # the fact-check is about another claim: not an answer to this phrasing
    OUTDATED = "outdated"
    OTHER = "other"


# Button data carries small numbers, not names: a vote or a reason fits in one digit.
VOTE_CODES = {1: Vote.UP, 2: Vote.DOWN}
REASON_CODES = {1: Reason.WRONG_CLAIM, 2: Reason.OUTDATED, 3: Reason.OTHER}


@dataclass(frozen=True)
class FeedbackTally:
    """The votes on one fact-check's answers, for moderators."""

    fact_check_id: int
    claim: str
    up: int = 0
    down: int = 0
    wrong_claim: int = 0
    outdated: int = 0
    other: int = 0
    # Phrasings for which "wrong claim" holds this fact-check back from being the automatic answer.
    held_back: tuple[str, ...] = ()
