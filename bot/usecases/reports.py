"""A stored report in full, for chat: its summary and numbered sections with [n] citations, the
source list and the follow-up questions ("Want to dive deeper?").

Report imports keep the sections (store: FactCheck.sections); a fact-check that has only a body (a
ClaimReview reviewBody, the starter set) is shown as one section of it.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import FactCheckCard, FullReport, NotFound, ReportSection
from bot.replies import checked_line
from store import factchecks
from store.models import FactCheck, FactCheckStatus

NO_REPORT = "There is no full report for that fact-check."
NO_FOLLOW_UP = "That question is not offered here any more."
SUMMARY, BODY = "Summary", "Report"


class Reports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def full_report(self, fact_check_id: int) -> FullReport:
        with Session(self.engine) as session:
            row, card = self._published(session, fact_check_id)
            sections = tuple(
                ReportSection(int(s["number"]), str(s["heading"]), str(s["text"]))
                for s in json.loads(row.sections or "[]")
            )
            if not sections:
                sections = tuple(
                    ReportSection(0, heading, text)
                    for heading, text in ((SUMMARY, row.summary), (BODY, row.body or ""))
                    if text.strip() and not (heading == BODY and text.strip() == row.summary.strip())
                )
            if not sections:
                raise NotFound(NO_REPORT)
            return FullReport(
                fact_check_id=fact_check_id,
                title=row.title or row.claim,
                checked=checked_line(card),
                sections=sections,
                sources=card.sources,
                follow_ups=tuple(json.loads(row.follow_ups or "[]")),
            )

    def follow_up(self, fact_check_id: int, index: int) -> str:
        """The report's follow-up question number `index` (from 0), to be asked as the presser's own."""
        with Session(self.engine) as session:
            row, _card = self._published(session, fact_check_id)
            questions = json.loads(row.follow_ups or "[]")
        if not 0 <= index < len(questions):
            raise NotFound(NO_FOLLOW_UP)
        return str(questions[index])

    def _published(self, session: Session, fact_check_id: int) -> tuple[FactCheck, FactCheckCard]:
        row = session.get(FactCheck, fact_check_id)
        card = factchecks.get_card(session, fact_check_id) if row is not None else None
        if row is None or card is None or row.status != FactCheckStatus.PUBLISHED:
            raise NotFound(NO_REPORT)
        return row, card
