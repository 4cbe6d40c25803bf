"""A question from a person in a chat, and what the core made of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.factchecks import Candidate, FactCheckCard
from bot.domain.media import MediaFile, MediaNote


class OutcomeKind(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    QUEUED = "queued"
    # Nothing matched, nothing queued yet: the asker is offered to send it to the fact-checkers.
    UNMATCHED = "unmatched"
    CHITCHAT = "chitchat"  # a greeting, thanks, a help request...: answered with help, never queued
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
    # The asker's app language as the platform reports it (Telegram language_code, Discord locale).
    language_hint: str | None = None
    # A language the asker chose outright (`claimbot ask --lang`): it wins over the hint and the text.
    language: str | None = None
    media: MediaFile | None = None  # a photo or video sent with (or instead of) the text


@dataclass(frozen=True)
class LinkNote:
    """What a link in the question led to, for the reply to say (bot/usecases/links.py)."""

    url: str
    # review: the link is the fact-check; appearance, firstAppearance, sameAs: where the claim was seen;
    # page: the page's own text matched; unmatched, unreadable, not_web: nothing found.
    via: str
    page_text: str = ""  # the page's title or description that matched
    error: str = ""  # why the page could not be read


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    request_id: int | None = None
    fact_check: FactCheckCard | None = None
    candidates: tuple[Candidate, ...] = ()
    review_item_id: int | None = None
    # True when this event was already handled (a redelivered update): adapters send nothing again.
    duplicate: bool = False
    reason: str | None = (
        None  # why a question was refused (empty, too_long, throttled, blocked, link); chit-chat's kind
    )
    link: LinkNote | None = None  # the question was, or held, a link
    # A pasted article answered from several of its sentences: the fact-checks after the first.
    more_answers: tuple[Candidate, ...] = ()
    # Of a pasted article: the sentence that matched, or the one that would go to the fact-checkers.
    excerpt: str | None = None
    # Every candidate the matcher weighed, with its real score (`candidates` holds those worth showing).
    considered: tuple[Candidate, ...] = ()
    language: str = "en"  # the language to reply in (bot.i18n.negotiate)
    media: MediaNote | None = None  # the question was, or held, a photo or video

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None
