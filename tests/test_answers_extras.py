"""Issue 14 items 8 and 9 through the service, the terminal and the CLI: "was this helpful?" (one
changeable vote per answer, by its asker; "wrong claim" holds a fact-check back for that phrasing
until a moderator links it) and the full report of a fact-check without a page, paged."""

from __future__ import annotations

import getpass
import io
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from adapters.buttons import ButtonKind
from adapters.discord.render import BUTTON_DATA as DISCORD_DATA
from adapters.telegram.render import BUTTON_DATA as TELEGRAM_DATA
from adapters.terminal import TerminalChat
from bot.answer_extras import MAX_REPORT_PAGES, cut_note, report_page, report_pages
from bot.domain import (
    Actor,
    Asker,
    ChatRef,
    FullReport,
    NotAllowed,
    OutcomeKind,
    Question,
    ReportSection,
    ServiceError,
)
from bot.importers import read_records
from bot.replies import compose
from bot.service import ClaimService
from store.models import AnswerFeedback
from tests.conftest import claimbot, make_settings

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "data" / "importers" / "seed_report.txt"
NYC = "did a NYC cop arrest an ICE agent"
MODERATOR = Actor("cli", "mod-ann")


def ask(service: ClaimService, text: str, user: str = "u1"):  # noqa: ANN201
    return service.ask(Question(text, Asker("telegram", user), ChatRef("telegram", f"chat-{user}")))


def import_seed(service: ClaimService) -> int:
    service.import_records(list(read_records(SEED)))
    with Session(service.engine) as session:
        from store.factchecks import find_by_url

        row = find_by_url(session, "report:did-a-nyc-cop-arrest-an-ice-agent")
        assert row is not None and row.id is not None
        return row.id


def test_answer_carries_votes_and_the_in_chat_report(service: ClaimService) -> None:
    outcome = ask(service, NYC)
    reply = compose(outcome, "")
    kinds = [a.kind.value for a in reply.actions]
    assert kinds[-2:] == ["helpful", "not_helpful"] and "full_report" in kinds
    report = next(a for a in reply.actions if a.kind.value == "full_report")
    assert report.url is None and report.fact_check_id == outcome.fact_check.id  # the starter has no page


def test_one_changeable_vote_per_answer_by_its_asker_only(service: ClaimService) -> None:
    outcome = ask(service, NYC)
    asker = Asker("telegram", "u1")
    with pytest.raises(NotAllowed):
        service.vote(outcome.request_id, Asker("telegram", "someone-else"), 1)
    assert any(e.action == "feedback" and not e.allowed for e in service.audit_log())
    service.vote(outcome.request_id, asker, 1)
    service.vote(outcome.request_id, asker, 2)
    service.feedback_reason(outcome.request_id, asker, 2)  # outdated
    with pytest.raises(ServiceError):
        service.vote(outcome.request_id, asker, 7)  # forged vote code
    with pytest.raises(ServiceError):
        service.feedback_reason(outcome.request_id, asker, 0)
    (tally,) = service.feedback_tallies(MODERATOR)
    assert (tally.up, tally.down, tally.outdated, tally.held_back) == (0, 1, 1, ())
    with Session(service.engine) as session:
        assert len(session.exec(select(AnswerFeedback)).all()) == 1
    with pytest.raises(NotAllowed):
        service.feedback_tallies(Actor("telegram", "777"))  # moderators only


def test_no_vote_on_a_suggestion_or_a_queued_question(service: ClaimService) -> None:
    queued = ask(service, "the town council secretly sold the river to a bottled water company")
    assert queued.kind is OutcomeKind.QUEUED
    with pytest.raises(ServiceError, match="no answer to rate"):
        service.vote(queued.request_id, Asker("telegram", "u1"), 1)


def test_wrong_claim_makes_a_suggestion_until_a_moderator_links_the_phrasing(service: ClaimService) -> None:
    first = ask(service, NYC)
    assert first.kind is OutcomeKind.ANSWER
    fact_check_id = first.fact_check.id
    service.vote(first.request_id, Asker("telegram", "u1"), 2)
    service.feedback_reason(first.request_id, Asker("telegram", "u1"), 1)  # wrong claim
    again = ask(service, "Did a NYC cop arrest an ICE agent?", user="u2")  # the same phrasing, normalised
    assert again.kind is OutcomeKind.SUGGEST
    assert fact_check_id in [c.fact_check.id for c in again.candidates]
    (tally,) = service.feedback_tallies(MODERATOR)
    assert tally.wrong_claim == 1 and tally.held_back
    (item,) = service.queue(MODERATOR)  # the question went to the reviewers
    service.link(MODERATOR, item.id, fact_check_id)  # the moderator confirms the answer
    assert ask(service, NYC, user="u3").kind is OutcomeKind.ANSWER
    assert service.feedback_tallies(MODERATOR)[0].held_back == ()


def test_forget_deletes_the_askers_feedback(service: ClaimService) -> None:
    outcome = ask(service, NYC)
    service.vote(outcome.request_id, Asker("telegram", "u1"), 1)
    service.forget(Asker("telegram", "u1"))
    with Session(service.engine) as session:
        assert session.exec(select(AnswerFeedback)).all() == []


def test_report_import_stores_sections_and_follow_ups(service: ClaimService) -> None:
    report = service.full_report(import_seed(service))
    assert [s.number for s in report.sections] == [0, 1, 2, 3, 4, 5, 6]
    assert "[1]" in report.sections[1].text  # citations kept
    assert [s.outlet for s in report.sources][:2] == ["AFP", "The City"]
    assert len(report.follow_ups) == 3 and report.follow_ups[0].startswith("How did fact-checkers")


def test_report_pages_fit_the_budget_and_refuse_pages_out_of_range(service: ClaimService) -> None:
    report = service.full_report(import_seed(service))
    pages = report_pages(report, 1000)
    assert 2 <= len(pages) <= MAX_REPORT_PAGES
    for page in pages:
        assert sum(len(b.heading) + len(b.text) for b in page.blocks) <= 1000
    assert "Sources" in [b.heading for b in pages[-1].blocks] and pages[-1].follow_ups
    assert not pages[0].follow_ups
    for bad in (0, len(pages) + 1, 10**18):
        with pytest.raises(ServiceError, match="doesn't exist"):
            report_page(report, bad, 1000)


def test_a_report_longer_than_ten_pages_is_cut_with_a_note() -> None:
    huge = FullReport(1, "t", "", (ReportSection(1, "Long", "One more sentence here. " * 5000),), (), ("q?",))
    pages = report_pages(huge, 3000)
    assert len(pages) == MAX_REPORT_PAGES and pages[-1].note == cut_note() and pages[0].note == ""
    one_word = FullReport(1, "t", "", (ReportSection(1, "x", "y" * 50_000),), (), ())  # no space to cut at
    assert all(len(b.text) <= 3000 for p in report_pages(one_word, 3000) for b in p.blocks)


def test_follow_up_out_of_range_and_unknown_report_are_refused(service: ClaimService) -> None:
    fact_check_id = import_seed(service)
    assert service.follow_up(fact_check_id, 2).startswith("How have sanctuary")
    for args in ((fact_check_id, 3), (fact_check_id, 10**18), (10**9, 0)):
        with pytest.raises(ServiceError):
            service.follow_up(*args)
    with pytest.raises(ServiceError):
        service.full_report(10**9)


@pytest.mark.parametrize("data", [TELEGRAM_DATA, DISCORD_DATA])
def test_new_button_data_fits_and_forgeries_parse_to_nothing(data) -> None:  # noqa: ANN001
    big = 10**19 - 1
    for kind in (ButtonKind.VOTE, ButtonKind.REASON, ButtonKind.REPORT, ButtonKind.FOLLOW_UP):
        encoded = data.encode(kind, big, big)
        assert len(encoded.encode()) <= 64 and data.parse(encoded) == (kind, (big, big))
        assert data.parse(encoded + ":1") is None and data.parse(data.prefix + kind + ":1") is None
        assert data.parse(data.prefix + kind + ":1:-2") is None
        assert data.parse(data.prefix + kind + ":1:" + "9" * 20) is None


def test_terminal_rates_reads_the_report_and_asks_a_follow_up(service: ClaimService) -> None:
    fact_check_id = import_seed(service)
    out = io.StringIO()
    chat = TerminalChat(service, io.StringIO(), out, user="t1")
    # The seed report and the starter card answer the same claim: pick the report among the suggestions.
    chat.handle("Did a NYC cop arrest an ice agent")
    if chat.last.kind is OutcomeKind.SUGGEST:
        number = 1 + [c.fact_check.id for c in chat.last.candidates].index(fact_check_id)
        chat.handle(str(number))
    assert chat.last.fact_check.id == fact_check_id
    for line in ("report", "next", "next", "next", "not helpful", "3", "q1"):
        chat.handle(line)
    text = out.getvalue()
    assert "Full report (1/" in text and "1. What the viral clip actually was" in text
    assert "[1] AFP" in text and "q1. How did fact-checkers" in text
    assert "What was wrong with this answer?" in text and "didn't help" in text
    asked = [r for r in service.feedback_tallies(MODERATOR)]
    assert asked and asked[0].other == 1


def test_claimbot_feedback_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"CLAIMBOT_ASKER_SALT": "test-salt"}
    assert claimbot("ask", NYC, db=db, env=env).returncode == 0
    empty = claimbot("feedback", db=db, env=env)
    assert empty.returncode == 0 and "No feedback" in empty.stdout
    service = ClaimService.open(make_settings(db), load_index=False)
    try:
        service.vote(1, Asker("cli", getpass.getuser()), 2)  # the CLI asks as the user running it
    finally:
        service.engine.dispose()
    listed = claimbot("feedback", "--json", db=db, env=env)
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["down"] == 1
