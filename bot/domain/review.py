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


@dataclass(frozen=True)
class QueueEntry:
    """One cluster of the review queue as the web console lists it: where and in what it was asked.
    (Its trend is the dashboard's: `ClaimService.review_trends`.)"""

    review: ReviewSummary
    platforms: tuple[str, ...]
    languages: tuple[str, ...]
    media_kind: str | None  # "image" or "video" when the question was a photo or video


@dataclass(frozen=True)
class QueuePage:
    entries: tuple[QueueEntry, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did (or tried) what, to what, when."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    allowed: bool
    detail: str | None


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ConsoleLink:
    """A single-use sign-in link to the web console, as issued: the token is shown once, never stored."""

    url: str
    token: str
    expires_at: datetime
