"""Moderators' work: who acts on the review queue, a review item as they see it, an approval's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.factchecks import Candidate, FactCheckCard
from bot.domain.media import ReviewMedia


@dataclass(frozen=True)
class Actor:
    """Someone acting on the review queue: a moderator, or someone trying to be one."""

    platform: str
    user_id: str
    community: str = "default"
    # Set by an adapter that has checked platform-side rights (chat admin, Discord role).
    platform_admin: bool = False

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class ReviewSummary:
    id: int
    text: str
    status: str
    ask_count: int
    first_asked_at: datetime
    last_asked_at: datetime
    subscribers: int
    suggestions: tuple[Candidate, ...] = ()
    draft: FactCheckCard | None = None
    fact_check: FactCheckCard | None = None
    drafted_by: str | None = None
    reject_reason: str | None = None
    phrasings: tuple[str, ...] = ()
    media: ReviewMedia | None = None  # the photo or video asked about (issue 16)


@dataclass(frozen=True)
class ApprovalResult:
    published: bool
    fact_check: FactCheckCard  # what was published, or the draft as it stands
    notified: int = 0
    waiting_for: str | None = None  # why it is not published yet
    # No revision was named, or the draft changed since the one named: show the approver `fact_check`
    # (the current draft) and let them approve its revision.
    review_again: bool = False
