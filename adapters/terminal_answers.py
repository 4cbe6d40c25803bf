"""`claimbot chat`: rating the last answer and reading its full report, as typed commands.

'helpful' / 'not helpful' (👍 / 👎) rate the last answer, and after a 'not helpful' the next line
says why (1 wrong claim, 2 outdated, 3 other). 'report' opens the full report, 'next' / 'previous'
turn its pages, and 'q1'... ask its follow-up questions. Any other line is not taken here.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.answer_extras import (
    REASON_BUTTONS,
    REASON_THANKS,
    TERMINAL_ANSWER_HINT,
    TERMINAL_REPORT_HINT,
    THANKS,
    WHAT_WAS_WRONG,
    ReportPage,
    page_text,
    report_page,
)
from bot.domain import Asker, Outcome, OutcomeKind, Vote
from bot.i18n import DEFAULT, Translator, translator
from bot.service import ClaimService

PAGE_BUDGET = 3000
VOTES = {"helpful": 1, "👍": 1, "+": 1, "not helpful": 2, "unhelpful": 2, "👎": 2, "-": 2}


def reason_words(t: Translator) -> dict[str, int]:
    """What answers "what was wrong?": the number, or the reason's name in English or the asker's language."""
    return {str(code): code for code, _ in REASON_BUTTONS} | {
        word: code for code, label in REASON_BUTTONS for word in (label.lower(), t(label).lower())
    }


class AnswerCommands:
    def __init__(self, service: ClaimService, asker: Asker, say: Callable[[str], None]) -> None:
        self.service = service
        self.asker = asker
        self.say = say
        self.answer: Outcome | None = None
        self.page: ReportPage | None = None
        self.awaiting_reason = False
        self.language = DEFAULT  # the last answer's

    @property
    def t(self) -> Translator:
        return translator(self.language)

    def shown(self, outcome: Outcome) -> None:
        """A reply was shown: an answer can now be rated (and its report read)."""
        self.awaiting_reason = False
        if outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None:
            self.answer, self.page, self.language = outcome, None, outcome.language
            card = outcome.fact_check
            hints = [TERMINAL_ANSWER_HINT] + (
                [TERMINAL_REPORT_HINT] if card.has_report and not card.report_url else []
            )
            self.say(" ".join(self.t(hint) for hint in hints))

    def handle(self, command: str) -> str | bool:
        """True when the line was one of ours; a follow-up question's text when it asks one."""
        t = self.t
        words = reason_words(t)
        if self.awaiting_reason and command in words:
            assert self.answer is not None and self.answer.request_id is not None
            self.awaiting_reason = False
            reason = self.service.feedback_reason(self.answer.request_id, self.asker, words[command])
            self.say(t(REASON_THANKS[reason]))
            return True
        if command in VOTES and self.answer is not None and self.answer.request_id is not None:
            vote = self.service.vote(self.answer.request_id, self.asker, VOTES[command])
            self.say(t(THANKS[vote]))
            if vote is Vote.DOWN:
                self.awaiting_reason = True
                choices = ", ".join(f"{code} {t(label).lower()}" for code, label in REASON_BUTTONS)
                self.say(t(WHAT_WAS_WRONG) + " " + t("Type {choices}.", choices=choices))
            return True
        if command in ("report", "full report") and self.answer is not None:
            return self._turn(1)
        if command in ("next", "more") and self.page is not None:
            return self._turn(self.page.number + 1)
        if command in ("previous", "prev", "back") and self.page is not None:
            return self._turn(self.page.number - 1)
        if command[:1] == "q" and command[1:].isdigit() and self.page is not None and self.page.follow_ups:
            index = int(command[1:]) - 1
            assert self.answer is not None and self.answer.fact_check is not None
            return self.service.follow_up(self.answer.fact_check.id, index)
        return False

    def _turn(self, number: int) -> bool:
        assert self.answer is not None and self.answer.fact_check is not None
        report = self.service.full_report(self.answer.fact_check.id)
        t = self.t
        self.page = report_page(report, number, PAGE_BUDGET, self.language)
        self.say(page_text(self.page))
        if self.page.number < self.page.total:
            self.say(
                t(
                    "Type 'next' for page {number} of {total}.",
                    number=self.page.number + 1,
                    total=self.page.total,
                )
            )
        for n, question in enumerate(self.page.follow_ups, 1):
            self.say(f"  q{n}. {question}")
        if self.page.follow_ups:
            self.say(t("Type q1, q2… to ask one of these."))
        return True
