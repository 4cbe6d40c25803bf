"""What an answer offers beyond its verdict: "was this helpful?" and the full report, paged.

Every user-facing string of both lives here, marked with N_ and translated where it is shown (a page
carries the asker's language), so the adapters only lay them out.
Pages are cut from a report by a character budget each platform chooses below its own limit; the
number of pages is capped so a huge report never becomes a flood of messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import REASON_CODES, FullReport, Reason, ServiceError, Vote
from bot.i18n import DEFAULT, N_, translator

# --- "was this helpful?" ---------------------------------------------------------------------------
HELPFUL_LABEL, NOT_HELPFUL_LABEL = "👍", "👎"
VOTE_LABELS = {1: HELPFUL_LABEL, 2: NOT_HELPFUL_LABEL}  # by bot.domain.VOTE_CODES
REASON_LABELS = {
    Reason.WRONG_CLAIM: N_("Wrong claim"),
    Reason.OUTDATED: N_("Outdated"),
    Reason.OTHER: N_("Other"),
}
REASON_BUTTONS = tuple((code, REASON_LABELS[reason]) for code, reason in REASON_CODES.items())  # msgids
THANKS = {Vote.UP: N_("Thanks, glad it helped!"), Vote.DOWN: N_("Thanks for telling me.")}
WHAT_WAS_WRONG = N_("What was wrong with this answer?")
REASON_THANKS = {
    Reason.WRONG_CLAIM: N_(
        "Thanks. I won't give that answer to this question again until a moderator checks it; "
        "I've sent your question to our reviewers."
    ),
    Reason.OUTDATED: N_("Thanks, I've told our moderators this fact-check may be outdated."),
    Reason.OTHER: N_("Thanks, I've told our moderators this answer didn't help."),
}

# --- the full report -----------------------------------------------------------------------------
FULL_REPORT_LABEL = N_("Full report")
PREVIOUS_LABEL, NEXT_LABEL = N_("◀ Previous"), N_("Next ▶")
SOURCES_HEADING = N_("Sources")
FOLLOW_UPS_HEADING = N_("Want to dive deeper?")
CONTINUED = N_("{heading} (continued)")
MAX_REPORT_PAGES = 10
CUT_NOTE = N_("This report is longer than {count} pages; the rest is not shown in chat.")
NO_SUCH_PAGE = N_("That page of the report doesn't exist.")
TERMINAL_ANSWER_HINT = N_("Rate this answer: 'helpful' or 'not helpful'.")
TERMINAL_REPORT_HINT = N_("Type 'report' to read the full report.")


def page_title(report: FullReport, number: int, total: int, language: str = DEFAULT) -> str:
    return translator(language)(
        "Full report ({number}/{total}): {title}", number=number, total=total, title=report.title
    )


def cut_note(language: str = DEFAULT) -> str:
    return translator(language)(CUT_NOTE, count=MAX_REPORT_PAGES)


@dataclass(frozen=True)
class Block:
    heading: str  # "1. What the viral clip actually was", "Sources", or "" for a continuation without one
    text: str


@dataclass(frozen=True)
class ReportPage:
    report: FullReport
    number: int  # from 1
    total: int
    blocks: tuple[Block, ...]
    cut: bool = False  # the report went on past the last page shown
    language: str = DEFAULT  # the asker's: the page's own labels are in it

    @property
    def title(self) -> str:
        return page_title(self.report, self.number, self.total, self.language)

    @property
    def follow_ups(self) -> tuple[str, ...]:
        """Offered under the last page, once the report has been read."""
        return self.report.follow_ups if self.number == self.total else ()

    @property
    def note(self) -> str:
        return cut_note(self.language) if self.cut and self.number == self.total else ""


def _heading(number: int, heading: str) -> str:
    return heading if number == 0 else f"{number}. {heading}"


def source_lines(report: FullReport, language: str = DEFAULT) -> list[str]:
    unnamed = translator(language)("Source")
    return [
        f"[{s.position or n}] {s.outlet or s.title or unnamed}" + (f" {s.url}" if s.url else "")
        for n, s in enumerate(report.sources, 1)
    ]


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _pieces(text: str, budget: int) -> list[str]:
    """`text` in pieces of at most `budget` characters: at sentence ends, else words, else anywhere."""
    pieces: list[str] = []
    current = ""
    for unit in _SENTENCE_END.split(text.strip()):
        while len(unit) > budget:  # one sentence longer than a page: at a word if there is one
            cut = unit.rfind(" ", 0, budget)
            cut = cut if cut > budget // 2 else budget
            if current:
                pieces.append(current)
                current = ""
            pieces.append(unit[:cut].rstrip())
            unit = unit[cut:].lstrip()
        joined = f"{current} {unit}".strip() if current else unit
        if len(joined) <= budget:
            current = joined
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def report_pages(report: FullReport, budget: int, language: str = DEFAULT) -> list[ReportPage]:
    """The report cut into pages of at most `budget` characters of headings and text each (at most
    MAX_REPORT_PAGES pages; `cut` on them when more was left), labelled in `language`."""
    t = translator(language)
    sources = t(SOURCES_HEADING)
    blocks: list[Block] = []
    for section in report.sections:
        heading = _heading(section.number, section.heading)
        continued = t(CONTINUED, heading=heading)
        for index, piece in enumerate(_pieces(section.text, budget - len(continued) - 20)):
            blocks.append(Block(continued if index else heading, piece))
    lines = source_lines(report, language)
    if lines:
        chunk: list[str] = []
        for line in lines:
            line = line[: budget - 40]
            if chunk and len("\n".join([*chunk, line])) > budget - 40:
                blocks.append(
                    Block(_sources_heading(blocks, sources, t(CONTINUED, heading=sources)), "\n".join(chunk))
                )
                chunk = []
            chunk.append(line)
        blocks.append(
            Block(_sources_heading(blocks, sources, t(CONTINUED, heading=sources)), "\n".join(chunk))
        )
    pages: list[list[Block]] = [[]]
    used = 0
    for block in blocks:
        size = len(block.heading) + len(block.text) + 4
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(block)
        used += size
    cut = len(pages) > MAX_REPORT_PAGES
    pages = pages[:MAX_REPORT_PAGES]
    total = len(pages)
    return [
        ReportPage(report, number, total, tuple(page), cut=cut, language=language)
        for number, page in enumerate(pages, 1)
    ]


def _sources_heading(blocks: list[Block], sources: str, continued: str) -> str:
    """ "Sources", or "Sources (continued)" when the block before was sources already."""
    return continued if blocks and blocks[-1].heading in (sources, continued) else sources


def report_page(report: FullReport, number: int, budget: int, language: str = DEFAULT) -> ReportPage:
    """Page `number` (from 1); a number out of range (forged or stale button data) is refused."""
    pages = report_pages(report, budget, language)
    if not 1 <= number <= len(pages):
        raise ServiceError(NO_SUCH_PAGE)
    return pages[number - 1]


def page_text(page: ReportPage) -> str:
    """Plain text of a page, for the terminal."""
    lines = [page.title, page.report.checked] if page.report.checked else [page.title]
    for block in page.blocks:
        lines += ["", block.heading, block.text] if block.heading else ["", block.text]
    if page.note:
        lines += ["", page.note]
    return "\n".join(lines)
