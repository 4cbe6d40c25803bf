"""The one verdict scale every fact-check is mapped onto, and the mapping from publishers' words."""

from __future__ import annotations

import re
from enum import StrEnum


class Verdict(StrEnum):
    FALSE = "False"
    MOSTLY_FALSE = "Mostly false"
    MISLEADING = "Misleading"
    MISSING_CONTEXT = "Missing context"
    MIXED = "Mixed"
    MOSTLY_TRUE = "Mostly true"
    TRUE = "True"
    UNPROVEN = "Unproven"
    SATIRE = "Satire"
    OUTDATED = "Outdated"
    UNRATED = "Unrated"

    @property
    def icon(self) -> str:
        return _ICONS[self]


_ICONS: dict[Verdict, str] = {
    Verdict.FALSE: "❌",
    Verdict.MOSTLY_FALSE: "🟥",
    Verdict.MISLEADING: "⚠️",
    Verdict.MISSING_CONTEXT: "🧩",
    Verdict.MIXED: "🌗",
    Verdict.MOSTLY_TRUE: "🟩",
    Verdict.TRUE: "✅",
    Verdict.UNPROVEN: "❔",
    Verdict.SATIRE: "🎭",
    Verdict.OUTDATED: "🕰️",
    Verdict.UNRATED: "📄",
}

# Publishers word their ratings freely; these phrases (checked in order, most specific first)
# cover the common English vocabularies of Snopes, PolitiFact, AFP, Reuters, Full Fact and others.
_PHRASES: list[tuple[str, Verdict]] = [
    # The Washington Post's Pinocchio scale, worst to best.
    (r"\bfour pinocchios\b", Verdict.FALSE),
    (r"\bthree pinocchios\b", Verdict.MOSTLY_FALSE),
    (r"\btwo pinocchios\b", Verdict.MISLEADING),
    (r"\bone pinocchio\b", Verdict.MOSTLY_TRUE),
    (r"\bgeppetto\b", Verdict.TRUE),
    (r"\bmostly false\b|\bhalf[- ]?false\b|\blargely false\b", Verdict.MOSTLY_FALSE),
    (r"\bmostly (true|accurate|correct)\b|\blargely (true|accurate)\b", Verdict.MOSTLY_TRUE),
    (r"\bmissing context\b|\blacks? context\b|\bneeds context\b|\bcherry[- ]?pick", Verdict.MISSING_CONTEXT),
    (r"\bout ?of ?context\b|\bmiscaptioned\b|\bmisattributed\b", Verdict.MISSING_CONTEXT),
    (r"\bmislead|\bdistort|\bexaggerat|\bspin\b|\bdecontextuali", Verdict.MISLEADING),
    (r"\bmix(ed|ture)\b|\bhalf[- ]?true\b|\bpartly\b|\bpartially\b|\bhalf\b", Verdict.MIXED),
    (r"\bsatir|\bparody\b|\bjoke\b|\bhumou?r", Verdict.SATIRE),
    (r"\boutdated\b|\bold news\b|\bno longer true\b", Verdict.OUTDATED),
    (
        r"\bunprov|\bunverif|\bunsupported\b|\bno evidence\b|\bunsubstantiated\b|\bresearch in progress\b"
        r"|\bundetermined\b|\bunclear\b|\blegend\b|\bunfounded\b",
        Verdict.UNPROVEN,
    ),
    (r"\bunrated\b|\bnot rated\b", Verdict.UNRATED),
    (
        r"\bpants on fire\b|\bfalse\b|\bfake\b|\bhoax\b|\bincorrect\b|\binaccurate\b|\bwrong\b|\bscam\b"
        r"|\bfabricat|\bdebunk|\bbogus\b|\bnot true\b|\buntrue\b|\bfiction\b|\bmyth\b"
        r"|\baltered\b|\bdoctored\b|\bmanipulated\b|\bphotoshopped\b",
        Verdict.FALSE,
    ),
    (r"\btrue\b|\bcorrect\b|\baccurate\b|\bconfirmed\b|\bcorrect attribution\b|\blegit", Verdict.TRUE),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), verdict) for pattern, verdict in _PHRASES]
_BY_LABEL = {v.value.lower(): v for v in Verdict} | {v.name.lower(): v for v in Verdict}


def parse_verdict(text: str | None) -> Verdict | None:
    """Map a publisher's rating words onto the scale, or None when nothing is recognised."""
    if not text:
        return None
    cleaned = " ".join(text.strip().lower().replace("_", " ").split())
    if cleaned in _BY_LABEL:
        return _BY_LABEL[cleaned]
    for pattern, verdict in _COMPILED:
        if pattern.search(cleaned):
            return verdict
    return None


def verdict_from_numeric(value: float, worst: float, best: float) -> Verdict:
    """Map a ClaimReview ratingValue within worstRating..bestRating onto the scale (linear bands)."""
    if best == worst:
        return Verdict.UNRATED
    position = (value - worst) / (best - worst)
    position = min(1.0, max(0.0, position))
    if position < 0.2:
        return Verdict.FALSE
    if position < 0.4:
        return Verdict.MOSTLY_FALSE
    if position < 0.6:
        return Verdict.MIXED
    if position < 0.8:
        return Verdict.MOSTLY_TRUE
    return Verdict.TRUE
