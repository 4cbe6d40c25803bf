"""Every table of the store, in one module (sqlmodel's way)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class FactCheckStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETRACTED = "retracted"


class ReviewStatus(StrEnum):
    OPEN = "open"
    DRAFTED = "drafted"  # a verdict is written and waits for approval
    ANSWERED = "answered"  # linked to a fact-check or its verdict published
    REJECTED = "rejected"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class FactCheck(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(index=True, unique=True, max_length=2048)
    claim: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rating: str = Field(default="Unrated", max_length=40)
    rating_text: str = Field(default="", max_length=500)
    # False when the verdict was derived by a rule rather than given by a person or publisher.
    rating_confirmed: bool = True
    publisher: str = Field(default="", max_length=300)
    checked_at: date | None = None
    language: str = Field(default="en", max_length=16)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    follow_ups: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list
    # A report's summary and numbered sections: JSON [{"number", "heading", "text"}], [n] markers kept.
    sections: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default=FactCheckStatus.PUBLISHED, max_length=16, index=True)
    origin: str = Field(default="local", max_length=40)  # local, import, external
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    position: int = 0
    outlet: str = Field(default="", max_length=300)
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    url: str | None = Field(default=None, max_length=2048)


class Alias(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("fact_check_id", "text"),)
    id: int | None = Field(default=None, primary_key=True)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=1000)
    added_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ClaimLink(SQLModel, table=True):
    """A link that finds a fact-check: its own URL (kind "review") and where the claim appeared.

    `key` is bot.domain.links.link_key of `url`, so shares of one page (www., mobile, AMP, tracking
    parameters) find the same rows.
    """

    id: int | None = Field(default=None, primary_key=True)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    key: str = Field(index=True, max_length=2048)
    url: str = Field(max_length=2048)
    kind: str = Field(default="review", max_length=20)  # review, appearance, firstAppearance, sameAs


class ReviewItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    community: str = Field(default="default", max_length=100, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))  # the first phrasing asked
    status: str = Field(default=ReviewStatus.OPEN, max_length=16, index=True)
    ask_count: int = 1
    first_asked_at: datetime = Field(default_factory=utcnow)
    last_asked_at: datetime = Field(default_factory=utcnow, index=True)
    fact_check_id: int | None = Field(default=None, foreign_key="factcheck.id")
    # The verdict being written: a draft FactCheck, approved later.
    draft_fact_check_id: int | None = Field(default=None, foreign_key="factcheck.id")
    drafted_by: str | None = Field(default=None, max_length=200)
    reject_reason: str | None = Field(default=None, max_length=1000)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = None
    # A photo or video asked about: near-identical forwards fold onto this item by its PDQ hash, and
    # moderators are shown a copy of the first message that carried it.
    media_kind: str | None = Field(default=None, max_length=10)
    media_hashes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # PDQ, hex
    # "platform:reference": Telegram chat_id:message_id, a Discord attachment URL (issue 16: 0008 widened it)
    media_ref: str | None = Field(default=None, max_length=2048)
    media_caption: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    media_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # read by OCR


class KnownMedia(SQLModel, table=True):
    """An image or video a fact-check is about, by its fingerprints (schema.org MediaReview).

    The file itself is not kept: its PDQ hashes match copies, its sha256 the very same file.
    """

    id: int | None = Field(default=None, primary_key=True)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)  # image or video
    authenticity: str | None = Field(default=None, max_length=40)  # MediaManipulationRatingEnumeration
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    content_url: str | None = Field(default=None, max_length=2048)
    hashes: str = Field(sa_column=Column(Text, nullable=False))  # PDQ hashes in hex, space-separated
    sha256: str = Field(default="", max_length=64, index=True)
    added_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Request(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "event_key", name="uq_request_event"),
        # Throttling counts recent questions per asker and per chat on every question.
        Index("ix_request_asker_recent", "platform", "asker_hash", "asked_at"),
        Index("ix_request_chat_recent", "platform", "chat_id", "asked_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    # The platform's id for the event (Telegram update_id, Discord interaction id): one request per event.
    event_key: str | None = Field(default=None, max_length=100)
    chat_id: str = Field(default="", max_length=100)
    message_id: str | None = Field(default=None, max_length=100)
    asker_hash: str = Field(max_length=64, index=True)
    reply_to: str | None = Field(default=None, max_length=200)  # what the platform needs to reach the asker
    text: str = Field(sa_column=Column(Text, nullable=False))
    asked_at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str | None = Field(default=None, max_length=16)
    fact_check_id: int | None = Field(default=None, foreign_key="factcheck.id")
    score: float | None = None
    review_item_id: int | None = Field(default=None, foreign_key="reviewitem.id", index=True)
    # Set once the platform accepted the reply: a redelivered event whose reply never went out is
    # answered again instead of being dropped as a duplicate.
    replied_at: datetime | None = None
    # The language the asker was answered in: follow-ups (buttons, notifications) keep it.
    language: str | None = Field(default=None, max_length=16)
    media_kind: str | None = Field(default=None, max_length=10)  # the question was a photo or video
    media_hashes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # PDQ, hex


class AnswerFeedback(SQLModel, table=True):
    """ "Was this helpful?" on one answer: one vote per request, changeable, by its asker only.

    Deleted with its request (forget, retention): the phrasing is the asker's words, normalised.
    """

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", unique=True, ondelete="CASCADE")
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=20)
    asker_hash: str = Field(max_length=64, index=True)
    vote: str = Field(max_length=8)  # up, down
    reason: str | None = Field(default=None, max_length=20)  # wrong_claim, outdated, other
    # The question's normalised text: "wrong claim" holds the fact-check back for this phrasing.
    phrasing: str = Field(max_length=1000, index=True)
    # Set when a moderator linked this phrasing to a fact-check: the "wrong claim" no longer holds back.
    cleared_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "asker_hash", "review_item_id", "fact_check_id", name="uq_subscription"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    asker_hash: str = Field(max_length=64, index=True)
    reply_to: str = Field(max_length=200)  # chat or user id to deliver to
    review_item_id: int | None = Field(default=None, foreign_key="reviewitem.id", index=True)
    fact_check_id: int | None = Field(default=None, foreign_key="factcheck.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="request.id")
    created_at: datetime = Field(default_factory=utcnow)
    language: str | None = Field(default=None, max_length=16)  # the asker's: notifications are in it


class SentReply(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id", name="uq_sent_reply"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True)
    revision: int = 1
    pinned: bool = False
    request_id: int | None = Field(default=None, foreign_key="request.id")
    sent_at: datetime = Field(default_factory=utcnow)
    language: str | None = Field(default=None, max_length=16)  # an edit keeps the answer's language


class Moderator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "user_id", "community", name="uq_moderator"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=100)
    community: str = Field(default="default", max_length=100)
    role: str = Field(default="moderator", max_length=20)  # moderator or admin
    added_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=200)
    allowed: bool = True
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Notification(SQLModel, table=True):
    """The outbox: what adapters must deliver (answers to subscribers, edits of sent replies)."""

    __table_args__ = (
        Index("ix_notification_pending", "platform", "status", "next_attempt_at"),
        UniqueConstraint("dedupe_key", name="uq_notification_dedupe"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    kind: str = Field(max_length=20)  # answer, edit, review
    target: str = Field(max_length=200)  # chat id (answer), "chat:message" (edit), review channel (review)
    fact_check_id: int | None = Field(default=None, foreign_key="factcheck.id")
    review_item_id: int | None = Field(default=None, foreign_key="reviewitem.id")
    revision: int | None = None
    dedupe_key: str = Field(max_length=300)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    language: str | None = Field(default=None, max_length=16)  # what the recipient reads (None: English)


class BlockedAsker(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "asker_hash", name="uq_blocked"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    asker_hash: str = Field(max_length=64)
    blocked_by: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)


class Embedding(SQLModel, table=True):
    """Sentence embeddings kept with their fact-check so they are never recomputed at start-up."""

    __table_args__ = (UniqueConstraint("fact_check_id", "model", name="uq_embedding"),)
    id: int | None = Field(default=None, primary_key=True)
    fact_check_id: int = Field(foreign_key="factcheck.id", index=True, ondelete="CASCADE")
    model: str = Field(max_length=100)
    revision: int = 1
    vector: bytes
    # The claim, title and summary vectors of the same revision (3 x float16), which the answer check
    # compares with the question: stored so that matching never encodes them (NULL: not computed yet).
    fields: bytes | None = None


# --- outside sources over HTTP (issue 9: bot/sources.py, bot/importers/web.py) ---
class FeedSource(SQLModel, table=True):
    """A URL fetched over HTTP: a saved feed (`claimbot sources add`) or a page seen by an import.

    Rows with `saved` False only remember HTTP validators, so re-imports of the same URL are
    conditional (ETag / Last-Modified); `sources list` and `sources sync` use the saved ones.
    """

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(index=True, unique=True, max_length=2048)
    saved: bool = Field(default=False, index=True)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    added_at: datetime = Field(default_factory=utcnow)
    last_synced_at: datetime | None = None
    last_result: str | None = Field(default=None, max_length=300)
    last_error: str | None = Field(default=None, max_length=1000)
    failures: int = 0
    next_attempt_at: datetime | None = None


# --- end outside sources ---


# --- the moderators' web console (issue 17) ---
class ConsoleLink(SQLModel, table=True):
    """A single-use sign-in link to the web console for one platform identity.

    Only the SHA-256 of the link's token is stored: a copy of the database signs nobody in. The
    identity is as the chat adapter saw it when the link was asked for (`platform_admin`: the
    Telegram list or chat admin, the Discord role), since the console cannot ask the platform.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=100)
    community: str = Field(default="default", max_length=200)
    platform_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


# --- end web console ---
