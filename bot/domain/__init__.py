"""The nouns every layer shares: the verdict scale, fact-checks and import records, questions and
their outcomes, moderators' work, notifications to deliver, and the errors a person can cause.

This package imports nothing of the project: the store, the importers, the core's use cases and the
adapters all build on it (docs/architecture.md). Adapters translate platform objects into these at
the edge and back.
"""

from bot.domain.catalogue import CataloguePage, FactCheckDetail, SearchHit
from bot.domain.errors import NotAllowed, NotFound, ServiceError
from bot.domain.factchecks import Candidate, FactCheckCard, SourceLink
from bot.domain.feedback import REASON_CODES, VOTE_CODES, FeedbackTally, Reason, Vote
from bot.domain.media import (
    MEDIA_KINDS,
    Authenticity,
    MediaAttachment,
    MediaFile,
    MediaNote,
    MediaRecord,
    ReviewMedia,
    parse_authenticity,
)
from bot.domain.notifications import Delivery
from bot.domain.questions import Asker, ChatRef, LinkNote, Outcome, OutcomeKind, Question
from bot.domain.ratings import Verdict, parse_verdict, verdict_from_numeric
from bot.domain.records import (
    APPEARANCE_KINDS,
    MINTED_KEY_PREFIXES,
    REVIEW_KEY_PREFIX,
    REVIEW_ORIGIN,
    STARTER_KEY_PREFIX,
    ClaimAppearance,
    FactCheckRecord,
    ImportReport,
    RecordError,
    ReportSection,
    SourceRecord,
)
from bot.domain.reports import FullReport
from bot.domain.review import (
    Actor,
    ApprovalResult,
    AuditEntry,
    AuditPage,
    ConsoleLink,
    QueueEntry,
    QueuePage,
    ReviewSummary,
)
from bot.domain.statistics import (
    ClaimTrend,
    Dashboard,
    DayCount,
    FeedbackCount,
    OutcomeGroup,
    OutcomeShare,
    Trend,
    TrendingClaim,
    trend,
)

__all__ = [
    "APPEARANCE_KINDS",
    "MEDIA_KINDS",
    "MINTED_KEY_PREFIXES",
    "REASON_CODES",
    "REVIEW_KEY_PREFIX",
    "REVIEW_ORIGIN",
    "STARTER_KEY_PREFIX",
    "VOTE_CODES",
    "Actor",
    "ApprovalResult",
    "AuditEntry",
    "AuditPage",
    "Asker",
    "Authenticity",
    "Candidate",
    "CataloguePage",
    "ChatRef",
    "ClaimAppearance",
    "ConsoleLink",
    "ClaimTrend",
    "Dashboard",
    "DayCount",
    "Delivery",
    "FactCheckCard",
    "FactCheckDetail",
    "FactCheckRecord",
    "FeedbackCount",
    "FeedbackTally",
    "FullReport",
    "ImportReport",
    "LinkNote",
    "MediaAttachment",
    "MediaFile",
    "MediaNote",
    "MediaRecord",
    "NotAllowed",
    "NotFound",
    "Outcome",
    "OutcomeGroup",
    "OutcomeKind",
    "QueueEntry",
    "QueuePage",
    "OutcomeShare",
    "Question",
    "Reason",
    "RecordError",
    "ReportSection",
    "ReviewMedia",
    "ReviewSummary",
    "SearchHit",
    "ServiceError",
    "SourceLink",
    "SourceRecord",
    "Trend",
    "TrendingClaim",
    "Verdict",
    "Vote",
    "parse_authenticity",
    "parse_verdict",
    "trend",
    "verdict_from_numeric",
]
