"""The nouns every layer shares: the verdict scale, fact-checks and import records, questions and
their outcomes, moderators' work, notifications to deliver, and the errors a person can cause.

This package imports nothing of the project: the store, the importers, the core's use cases and the
adapters all build on it (docs/architecture.md). Adapters translate platform objects into these at
the edge and back.
"""

from bot.domain.catalogue import CataloguePage, FactCheckDetail, SearchHit
from bot.domain.errors import NotAllowed, NotFound, ServiceError
from bot.domain.factchecks import Candidate, FactCheckCard, SourceLink
from bot.domain.notifications import Delivery
from bot.domain.questions import Asker, ChatRef, Outcome, OutcomeKind, Question
from bot.domain.ratings import Verdict, parse_verdict, verdict_from_numeric
from bot.domain.records import (
    MINTED_KEY_PREFIXES,
    REVIEW_KEY_PREFIX,
    REVIEW_ORIGIN,
    STARTER_KEY_PREFIX,
    FactCheckRecord,
    ImportReport,
    RecordError,
    SourceRecord,
)
from bot.domain.review import Actor, ApprovalResult, ReviewSummary

__all__ = [
    "MINTED_KEY_PREFIXES",
    "REVIEW_KEY_PREFIX",
    "REVIEW_ORIGIN",
    "STARTER_KEY_PREFIX",
    "Actor",
    "ApprovalResult",
    "Asker",
    "Candidate",
    "CataloguePage",
    "ChatRef",
    "Delivery",
    "FactCheckCard",
    "FactCheckDetail",
    "FactCheckRecord",
    "ImportReport",
    "NotAllowed",
    "NotFound",
    "Outcome",
    "OutcomeKind",
    "Question",
    "RecordError",
    "ReviewSummary",
    "SearchHit",
    "ServiceError",
    "SourceLink",
    "SourceRecord",
    "Verdict",
    "parse_verdict",
    "verdict_from_numeric",
]
