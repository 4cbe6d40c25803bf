"""The "Factually" report text format (see tests/data/importers/seed_report.txt).

A report is plain text:

    <question>                                  first non-empty, non-metadata line: claim and title
    Checked on February 2, 2026                 optional; also "2 February 2026", "2026-02-02"
    Disclaimer: ...                             optional
    Verdict: False                              optional; without it a verdict is derived (see below)
    URL: https://...                            optional; else the key is report:<slug-of-question>
    Publisher: ...                              optional; else "Factually"
    Language: en                                optional
    Executive summary                           heading ("Summary", "Short answer" also accepted)
    <paragraph with [n] citation markers>
    1. Heading                                  numbered sections, each followed by a paragraph
    <paragraph>
    Sources:                                    optional: "1. AFP — https://..." or "[1] AFP https://..."
    Want to dive deeper?                        optional: one follow-up question per line

Several reports may share a file, separated by a line of `---` or `===`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.domain import FactCheckRecord, RecordError, ReportSection, SourceRecord, Verdict, parse_verdict
from bot.importers._common import Item, decoded_lines, find_url, finish, outlet_from_url, parse_date, slugify

DEFAULT_PUBLISHER = "Factually"
SUMMARY_HEADING = "Executive summary"  # the stored name of section 0

_SEPARATOR = re.compile(r"^\s*(?:-{3,}|={3,})\s*$")
_META = re.compile(r"^\s*(verdict|url|publisher|language|disclaimer)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_CHECKED = re.compile(r"^\s*checked on\s+(.+?)\s*$", re.IGNORECASE)
_SUMMARY_HEADING = re.compile(
    r"^\s*(?:executive summary|summary|short answer|in short)(?:\s*:\s*(.*?))?\s*$", re.IGNORECASE
)
_SOURCES_HEADING = re.compile(r"^\s*(?:sources|references)\s*:?\s*$", re.IGNORECASE)
_FOLLOW_UP_HEADING = re.compile(
    r"^\s*(?:want to dive deeper\??|follow-up questions\s*:?|related questions\s*:?)\s*$", re.IGNORECASE
)
_SECTION = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*?)\s*$")
_SOURCE_LINE = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s*(.*?)\s*$")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER_GROUP = re.compile(r"(?:\s*\[\d{1,3}\])+")


# --- verdict derivation -------------------------------------------------------------------------
# When a report carries no `Verdict:` line, the verdict is derived from its executive summary
# (markers removed, lower-cased) by the first rule that matches, in this order. The order puts
# hedged verdicts before plain ones ("mostly false" is not "false"; "misleading" is a choice the
# writer made on purpose) and negated confirmations ("not confirmed") before "confirmed".
# Nothing matching gives Unproven. A derived verdict is stored with rating_confirmed=False and an
# empty rating_text, so replies can say it was not given by a person.
DERIVATION_RULES: list[tuple[Verdict, str]] = [
    (Verdict.SATIRE, r"\bsatir|\bparody\b"),
    (Verdict.MOSTLY_FALSE, r"\bmostly false\b|\blargely false\b"),
    (Verdict.MOSTLY_TRUE, r"\bmostly true\b|\blargely true\b|\bmostly accurate\b"),
    (Verdict.MIXED, r"\bpartly (?:true|false)\b|\bhalf[- ]true\b|\bmixed\b"),
    (Verdict.MISSING_CONTEXT, r"\bmissing context\b|\bout of context\b|\black(?:s|ing)? context\b"),
    (Verdict.MISLEADING, r"\bmisleading\b|\bdistort"),
    (
        Verdict.FALSE,
        r"\bno credible\b|\bdebunk|\bfabricat|\bai[- ]generated\b|\bfalse\b|\bfake\b|\bhoax\b"
        r"|\bdoctored\b|\bnot true\b|\buntrue\b|\bincorrect\b|\binaccurate\b|\bbaseless\b"
        r"|\bnever happened\b",
    ),
    (
        Verdict.UNPROVEN,
        r"\bno evidence\b|\bunverified\b|\bunproven\b|\bunclear\b|\bunconfirmed\b"
        r"|\bnot (?:been )?confirmed\b|\bcannot be (?:confirmed|verified)\b"
        r"|\bcould not (?:be )?(?:confirm|verif)",
    ),
    (Verdict.TRUE, r"\btrue\b|\bconfirmed\b|\baccurate\b|\bcorrect\b"),
]
_DERIVATION = [(verdict, re.compile(pattern, re.IGNORECASE)) for verdict, pattern in DERIVATION_RULES]


def derive_verdict(summary: str) -> Verdict:
    """Verdict implied by a summary's wording (DERIVATION_RULES, first match wins; else Unproven)."""
    text = strip_markers(summary).lower()
    for verdict, pattern in _DERIVATION:
        if pattern.search(text):
            return verdict
    return Verdict.UNPROVEN


# --- outlets named near citations ---------------------------------------------------------------
# The report names its sources in prose, not in a list. For each [n] the outlet is the nearest
# candidate before the marker, searched only between the start of the sentence and the previous
# marker group (so "[1] ... [2]" does not hand [1]'s outlet to [2]). Candidates, best first:
#   1. a name from KNOWN_OUTLETS (matched case-sensitively, whole words);
#   2. a capitalised phrase in an attribution pattern: "according to X", "published/reported by X",
#      "by X", or "X reported/said/found/review/report/investigation ...".
# A bare capitalised phrase is not used: in the seed the nearest one is the subject of the
# sentence (NYPD, ICE), not the source. Across several uses of [n] the best candidate wins.
# No candidate gives the outlet "Source [n]". A URL is never invented: only a Sources block gives one.
KNOWN_OUTLETS = (
    "AFP",
    "Agence France-Presse",
    "AP",
    "Associated Press",
    "Reuters",
    "The City",
    "THE CITY",
    "Gothamist",
    "The New York Times",
    "New York Times",
    "The Washington Post",
    "Washington Post",
    "The Guardian",
    "BBC",
    "CNN",
    "NPR",
    "PBS",
    "ABC News",
    "NBC News",
    "CBS News",
    "Fox News",
    "Politico",
    "Axios",
    "ProPublica",
    "Bloomberg",
    "The Wall Street Journal",
    "Wall Street Journal",
    "New York Post",
    "Daily News",
    "USA Today",
    "Snopes",
    "PolitiFact",
    "FactCheck.org",
    "Full Fact",
    "Lead Stories",
    "Logically",
    "Check Your Fact",
    "AP Fact Check",
    "Reuters Fact Check",
    "AFP Fact Check",
    "WHO",
    "CDC",
    "NASA",
    "FDA",
    "NIH",
)
# Longest names first, so "AP Fact Check" wins over "AP".
_KNOWN_ALTERNATIVES = "|".join(re.escape(n) for n in sorted(KNOWN_OUTLETS, key=len, reverse=True))
_KNOWN = re.compile(r"(?<![\w.])(?:" + _KNOWN_ALTERNATIVES + r")(?![\w])")
_NAME = r"(?:[Tt]he\s+)?[A-Z][\w&'’.-]*(?:\s+(?:of|for|and|on|the)\s+[A-Z][\w&'’.-]*|\s+[A-Z][\w&'’.-]*)*"
_ATTRIBUTION = [
    re.compile(r"(?:according to|published by|reported by|cited by|\bby)\s+(?:a\s+|an\s+)?(" + _NAME + ")"),
    re.compile(
        r"(" + _NAME + r")\s+(?:reported|reports|found|finds|said|says|noted|notes|wrote|writes"
        r"|documented|confirmed|review|report|investigation|analysis|audit|fact-check|fact check)\b"
    ),
]
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "gov", "sen", "rep", "gen", "inc"}


def strip_markers(text: str) -> str:
    """Text without [n] markers, spaces tidied ("AFP [1], and" -> "AFP, and")."""
    text = _MARKER_GROUP.sub("", text)
    return re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of sentences; a period after an initial or a title does not end one."""
    spans, start = [], 0
    for match in re.finditer(r"[.!?][\"”’)]?(?:\s*\[\d{1,3}\])*\s+(?=[\"“(\[]?[A-Z0-9])", text):
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", last):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def summary_sentences(paragraph: str, short: int = 160) -> str:
    """The record's summary: the first sentence, plus the second when the first is short."""
    clean = strip_markers(paragraph)
    sentences = [clean[a:b].strip() for a, b in sentence_spans(clean)]
    if not sentences:
        return ""
    if len(sentences) > 1 and len(sentences[0]) < short:
        return f"{sentences[0]} {sentences[1]}"
    return sentences[0]


def _candidate(window: str) -> tuple[int, str] | None:
    """Best (priority, outlet) in the text before a marker: known outlet 2, attribution phrase 1."""
    known = list(_KNOWN.finditer(window))
    if known:
        return 2, known[-1].group(0)
    best: tuple[int, str] | None = None
    best_end = -1
    for pattern in _ATTRIBUTION:
        for match in pattern.finditer(window):
            if match.end(1) > best_end:
                best_end, best = match.end(1), (1, match.group(1).strip())
    return best


def cited_outlets(paragraphs: list[str]) -> dict[int, str]:
    """Every cited [n] with the outlet named for it ("Source [n]" when none is found)."""
    found: dict[int, tuple[int, str] | None] = {}
    for paragraph in paragraphs:
        for start, end in sentence_spans(paragraph):
            sentence = paragraph[start:end]
            window_start = 0
            for group in _MARKER_GROUP.finditer(sentence):
                candidate = _candidate(sentence[window_start : group.start()])
                for number in (int(n) for n in _MARKER.findall(group.group(0))):
                    current = found.get(number)
                    if number not in found or (candidate and (current is None or candidate[0] > current[0])):
                        found[number] = candidate
                window_start = group.end()
    return {n: (c[1] if c else f"Source [{n}]") for n, c in sorted(found.items())}


# --- parsing --------------------------------------------------------------------------------------
@dataclass
class Section:
    number: int
    heading: str
    text: str = ""


@dataclass
class ParsedReport:
    """Everything read from one report block, before it becomes a record."""

    first_line: int
    question: str = ""
    question_line: int = 0
    checked_at: date | None = None
    checked_text: str = ""
    checked_line: int = 0
    disclaimer: str = ""
    verdict_text: str = ""
    verdict_line: int = 0
    url: str = ""
    url_line: int = 0
    publisher: str = ""
    language: str = ""
    summary_heading_line: int = 0
    summary_paragraph: str = ""
    sections: list[Section] = field(default_factory=list)
    listed_sources: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    follow_ups: list[str] = field(default_factory=list)
    body: str = ""


def parse_report(lines: list[tuple[int, str]]) -> ParsedReport:
    """Read one report's lines (line number, text) into its parts; validation is left to the caller."""
    report = ParsedReport(first_line=lines[0][0] if lines else 1)
    state = "head"  # head -> summary -> body (sections) | sources | follow_ups
    section: Section | None = None
    for number, raw in lines:
        line = raw.strip()
        if state == "sources":
            if not line:
                continue
            match = _SOURCE_LINE.match(line)
            if match:
                position = int(match.group(1) or match.group(2))
                url, outlet = find_url(match.group(3))
                report.listed_sources[position] = (outlet, url)
                continue
            state = "body"  # the block ended; read this line as an ordinary one
        if state == "follow_ups":
            if line:
                report.follow_ups.append(line.lstrip("-•*· ").strip())
            continue
        meta = _META.match(line)
        checked = _CHECKED.match(line)
        if meta or checked:
            _take_metadata(report, number, meta, checked)
            continue
        if state == "summary":
            if report.summary_paragraph and (
                _SECTION.match(line) or _SOURCES_HEADING.match(line) or _FOLLOW_UP_HEADING.match(line)
            ):
                state = "body"  # no blank line after the summary: this line starts what follows
            elif line:
                report.summary_paragraph = f"{report.summary_paragraph} {line}".strip()
                continue
            else:  # a blank line ends the summary once it has text
                if report.summary_paragraph:
                    state = "body"
                continue
        if not line:
            continue
        if _SOURCES_HEADING.match(line):
            state = "sources"
            continue
        if _FOLLOW_UP_HEADING.match(line):
            state = "follow_ups"
            continue
        heading = _SUMMARY_HEADING.match(line)
        if heading and not report.summary_heading_line and report.question:
            report.summary_heading_line = number
            report.summary_paragraph = heading.group(1) or ""
            state = "summary"
            continue
        if not report.question:
            report.question, report.question_line = line, number
            continue
        match = _SECTION.match(line)
        if match and state == "body":
            section = Section(int(match.group(1)), match.group(2))
            report.sections.append(section)
        elif section is not None:
            section.text = f"{section.text} {line}".strip()
    report.body = "\n".join(text for _, text in lines).strip()
    return report


def _take_metadata(
    report: ParsedReport, number: int, meta: re.Match[str] | None, checked: re.Match[str] | None
) -> None:
    """Record a metadata line; the first occurrence of each key wins."""
    if checked:
        if not report.checked_line:
            report.checked_text, report.checked_line = checked.group(1), number
            report.checked_at = parse_date(checked.group(1))
        return
    assert meta is not None
    key, value = meta.group(1).lower(), meta.group(2)
    if key == "verdict" and not report.verdict_line:
        report.verdict_text, report.verdict_line = value, number
    elif key == "url" and not report.url_line:
        report.url, report.url_line = value, number
    elif key == "publisher" and not report.publisher:
        report.publisher = value
    elif key == "language" and not report.language:
        report.language = value.lower()
    elif key == "disclaimer" and not report.disclaimer:
        report.disclaimer = value


def build_record(report: ParsedReport, file: str) -> Item:
    """Turn a parsed report into a record, or the first problem that stops it being one."""
    if not report.question:
        return RecordError(file, report.first_line, "report has no question (first non-empty line)")
    if not report.summary_paragraph:
        where = report.summary_heading_line or report.question_line
        return RecordError(
            file,
            where,
            "report has no executive summary (an 'Executive summary' heading followed by a paragraph)",
        )
    if report.checked_line and report.checked_at is None:
        return RecordError(file, report.checked_line, f"cannot read the date {report.checked_text!r}")
    if report.url_line and not re.match(r"^https?://\S+$", report.url):
        return RecordError(file, report.url_line, f"URL line is not an http(s) URL: {report.url!r}")

    if report.verdict_line:
        verdict = parse_verdict(report.verdict_text)
        if verdict is None:
            return RecordError(file, report.verdict_line, f"unknown verdict {report.verdict_text!r}")
        rating_text, confirmed = report.verdict_text, True
    else:
        verdict, rating_text, confirmed = derive_verdict(report.summary_paragraph), "", False

    paragraphs = [report.summary_paragraph] + [s.text for s in report.sections]
    outlets = cited_outlets(paragraphs)
    sources = []
    for position in sorted(set(outlets) | set(report.listed_sources)):
        listed_outlet, url = report.listed_sources.get(position, ("", None))
        fallback = outlet_from_url(url) if url else f"Source [{position}]"
        outlet = listed_outlet or outlets.get(position) or fallback
        sources.append(SourceRecord(position=position, outlet=outlet, url=url))

    record = FactCheckRecord(
        url=report.url or f"report:{slugify(report.question)}",
        claim=report.question,
        verdict=verdict,
        rating_text=rating_text,
        rating_confirmed=confirmed,
        title=report.question,
        summary=summary_sentences(report.summary_paragraph),
        publisher=report.publisher or DEFAULT_PUBLISHER,
        checked_at=report.checked_at,
        language=report.language or "en",
        body=report.body,
        sources=sources,
        follow_ups=report.follow_ups,
        sections=[ReportSection(0, SUMMARY_HEADING, report.summary_paragraph)]
        + [ReportSection(s.number, s.heading, s.text) for s in report.sections if s.text],
        disclaimer=report.disclaimer,
        file=file,
        line=report.question_line,
    )
    return finish(record, minted=not report.url)


def read_report(path: Path) -> Iterator[Item]:
    """Yield one record (or error) per report in the file, reading block by block."""
    file = str(path)
    block: list[tuple[int, str]] = []
    bad: list[RecordError] = []
    produced = 0

    def flush() -> Iterator[Item]:
        if bad:
            # Replacement characters would be stored as the report's text: skip the report.
            yield from bad
        elif any(text.strip() for _, text in block):
            yield build_record(parse_report(block), file)

    for number, text, error in decoded_lines(path):
        if _SEPARATOR.match(text):
            for item in flush():
                produced += 1
                yield item
            block, bad = [], []
            continue
        block.append((number, text.rstrip("\r\n")))
        if error:
            bad.append(RecordError(file, number, error))
    for item in flush():
        produced += 1
        yield item
    if not produced:
        yield RecordError(file, 1, "no report found: the file is empty")
