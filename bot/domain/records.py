"""What every importer yields (parsed fact-checks, or errors pointing at a file and line), and what an
import of them reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.media import MediaRecord
from bot.domain.ratings import Verdict

# The namespaces of fact-check keys. An import writes http(s) URLs, the keys its importers mint for
# inputs that name no URL, and the bundled starter set's keys; the review workflow alone writes its
# own (`review:<community>:<item>`, origin "review"), so no file or feed can replace a moderator's verdict.
MINTED_KEY_PREFIXES = ("report:", "checkthat:")
STARTER_KEY_PREFIX = "claimbot:starter/"
REVIEW_KEY_PREFIX = "review:"
REVIEW_ORIGIN = "review"


@dataclass(frozen=True)
class SourceRecord:
    position: int
    outlet: str
    url: str | None = None  # never invented: None when the input gives no URL
    title: str = ""


# Where a reviewed claim was seen (ClaimReview itemReviewed.appearance / firstAppearance, and sameAs
# links of the review or the claim): a link to one of these finds the fact-check (bot/usecases/links.py).
APPEARANCE_KINDS = ("appearance", "firstAppearance", "sameAs")


@dataclass(frozen=True)
class ReportSection:
    """A report's executive summary (number 0) or one numbered section, its [n] markers kept."""

    number: int  # 0 for the executive summary, else the report's own section number
    heading: str
    text: str


@dataclass(frozen=True)
class ClaimAppearance:
    url: str  # as the publisher gave it; looked up by bot.domain.links.link_key
    kind: str = "appearance"  # one of APPEARANCE_KINDS


@dataclass
class FactCheckRecord:
    url: str  # canonical key; `report:<slug>` or `checkthat:<id>` when the input has no URL
    claim: str
    verdict: Verdict
    rating_text: str = ""
    rating_confirmed: bool = True  # False when the verdict was derived by a rule
    title: str = ""
    summary: str = ""
    publisher: str = ""
    checked_at: date | None = None
    language: str = "en"
    body: str | None = None
    sources: list[SourceRecord] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    appearances: list[ClaimAppearance] = field(default_factory=list)
    # A report's executive summary (number 0) and numbered sections, [n] markers kept.
    sections: list[ReportSection] = field(default_factory=list)
    origin: str = "import"
    # The report's own disclaimer line, and a named author (a person) when the input gives one.
    disclaimer: str = ""
    author: str = ""
    # Known media of the fact-check (schema.org MediaReview), stored with it at import.
    media: list[MediaRecord] = field(default_factory=list)
    # Read from a MediaReview (bot/importers/mediareview.py): it creates the fact-check when the URL is
    # new, and otherwise only adds its media: a MediaReview never changes a fact-check.
    media_only: bool = False
    # Where it came from, for error messages and provenance.
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class RecordError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # Why records were skipped other than being unchanged (a moderator's verdict is never re-imported).
    notices: list[RecordError] = field(default_factory=list)
    media: int = 0  # known photos and videos added (MediaReview)

    @property
    def failed(self) -> bool:
        return bool(self.errors)
