"""The core's own nouns. Adapters translate platform objects into these at the edge and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.ratings import Verdict


class OutcomeKind(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    QUEUED = "queued"
    REFUSED = "refused"  # empty, too long, throttled or blocked: nothing matched, nothing queued


@dataclass(frozen=True)
class Asker:
    """A person asking; `user_id` is the platform's id, stored only as a salted hash."""

    platform: str
    user_id: str
    name: str | None = None


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str
    is_private: bool = True


@dataclass(frozen=True)
class Question:
    text: str
    asker: Asker
    chat: ChatRef
    message_id: str | None = None
    # The platform's id for the event, so a redelivered update is handled once.
    event_key: str | None = None


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

    @property
    def report_url(self) -> str | None:
        return self.url if self.url.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class Candidate:
    fact_check: FactCheckCard
    score: float
    phrasing: str = ""
    signals: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    request_id: int | None = None
    fact_check: FactCheckCard | None = None
    candidates: tuple[Candidate, ...] = ()
    review_item_id: int | None = None
    # True when this event was already handled (a redelivered update): adapters send nothing again.
    duplicate: bool = False
    reason: str | None = None  # why a question was refused: empty, too_long, throttled, blocked

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None
