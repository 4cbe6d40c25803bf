"""The starter set stays out of a newsroom's way (issue 14, item 12): CLAIMBOT_STARTER, `claimbot starter
remove`, and an imported fact-check on a starter claim superseding the starter card."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select

from bot.domain import Actor, Asker, ChatRef, OutcomeKind, Question
from bot.importers import read_records
from bot.replies import WITHDRAWN_NOTE, compose_update, render_text
from bot.service import ClaimService
from store.models import AuditLog
from tests.conftest import ROOT, claimbot, make_settings

README_QUESTION = "did a NYC cop arrest an ICE agent"  # the README's example
NEWSROOM = ROOT / "tests" / "data" / "starter" / "newsroom_nypd_ice.jsonl"  # its claim, as a newsroom has it
NEWSROOM_URL = "https://factcheck.example/nypd-ice-arrest"
OPERATOR = Actor("cli", "operator")


def ask(service: ClaimService, text: str, platform: str = "cli") -> object:
    return service.ask(Question(text, Asker(platform, "reader"), ChatRef(platform, "chat-1")))


def audit_actions(service: ClaimService) -> list[tuple[str, str, bool]]:
    with Session(service.engine) as session:
        return [(a.action, a.target, a.allowed) for a in session.exec(select(AuditLog))]


def test_an_imported_fact_check_on_the_readme_claim_supersedes_the_starter_card(
    service: ClaimService,
) -> None:
    before = ask(service, README_QUESTION)
    assert before.kind is OutcomeKind.ANSWER and before.fact_check.url.startswith("claimbot:starter/")
    starter_id = before.fact_check.id

    report = service.import_records(read_records(NEWSROOM))
    assert report.added == 1
    assert [n.message for n in report.notices] == [
        f"withdrew the starter fact-check #{starter_id}: this one is on the same claim"
    ]
    # Answered with the newsroom's card, not "which one?" between theirs and ours.
    after = ask(service, README_QUESTION)
    assert after.kind is OutcomeKind.ANSWER, after
    assert after.fact_check.url == NEWSROOM_URL
    assert starter_id not in [c.fact_check.id for c in after.candidates]
    withdrawn = service.factcheck_detail(OPERATOR, starter_id).card
    assert withdrawn.status == "retracted"
    assert ("starter_superseded", f"fact_check:{starter_id}", True) in audit_actions(service)
    # The other starter cards are untouched.
    assert ask(service, "does 5G spread covid").kind is OutcomeKind.ANSWER


def test_an_import_on_other_claims_leaves_the_starter_set_alone(
    service: ClaimService, tmp_path: Path
) -> None:
    other = tmp_path / "other.jsonl"
    review = {
        "@type": "ClaimReview",
        "url": "https://factcheck.example/ice-budget",
        "claimReviewed": "ICE's budget doubled in 2025",
        "reviewRating": {"alternateName": "Mostly true"},
    }
    other.write_text(json.dumps(review) + "\n", encoding="utf-8")
    report = service.import_records(read_records(other))
    assert report.added == 1 and report.notices == []
    assert ask(service, README_QUESTION).fact_check.url.startswith("claimbot:starter/")


def test_starter_remove_withdraws_the_set_and_edits_answers_already_sent(service: ClaimService) -> None:
    answered = ask(service, README_QUESTION, platform="telegram")
    assert answered.kind is OutcomeKind.ANSWER
    service.replied(answered, "telegram", "chat-1", "501")
    stranger = Actor("telegram", "77")
    refused = None
    try:
        service.remove_starter(stranger)
    except Exception as exc:  # noqa: BLE001 - the refusal's type is the service's
        refused = exc
    assert refused is not None and "only this community's moderators" in str(refused)
    assert ("starter_remove", "starter", False) in audit_actions(service)

    withdrawn = service.remove_starter(OPERATOR)
    assert len(withdrawn) == 17 and answered.fact_check.id in withdrawn
    assert (
        sum(
            a == ("starter_remove", f"fact_check:{i}", True)
            for a in audit_actions(service)
            for i in withdrawn
        )
        == 17
    )
    assert service.remove_starter(OPERATOR) == []
    # The answer sent in Telegram is edited to say the fact-check was withdrawn.
    (edit,) = service.claim_deliveries("telegram")
    assert edit.kind == "edit" and edit.target == "chat-1:501"
    assert edit.fact_check is not None and edit.fact_check.status == "retracted"
    assert WITHDRAWN_NOTE in render_text(compose_update(edit.fact_check, ""))
    assert ask(service, README_QUESTION).kind is not OutcomeKind.ANSWER
    # A restart does not fill the database again: it is not empty, the set was withdrawn on purpose.
    again = ClaimService.open(service.settings)
    try:
        assert again.factcheck_page(OPERATOR, status="published").total == 0
    finally:
        again.engine.dispose()


def test_claimbot_starter_false_skips_the_starter_set_on_a_new_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'newsroom.db'}"
    empty = claimbot("factchecks", "list", db=db, env={"CLAIMBOT_STARTER": "false"})
    assert empty.returncode == 0 and empty.stdout.strip() == "No fact-checks.", empty
    service = ClaimService.open(make_settings(db, CLAIMBOT_STARTER="false"))
    try:
        assert ask(service, README_QUESTION).kind is OutcomeKind.QUEUED
    finally:
        service.engine.dispose()


def test_claimbot_import_and_starter_remove_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    imported = claimbot("import", str(NEWSROOM), db=db)
    assert imported.returncode == 0 and "added 1" in imported.stdout
    assert "withdrew the starter fact-check #1: this one is on the same claim" in imported.stderr
    answer = json.loads(claimbot("ask", "--json", README_QUESTION, db=db).stdout)
    assert answer["outcome"] == "answer" and answer["matches"][0]["url"] == NEWSROOM_URL
    removed = claimbot("starter", "remove", db=db)
    assert removed.returncode == 0 and "Withdrew 16 starter fact-check(s): #2, #3" in removed.stdout
    assert "nothing to remove" in claimbot("starter", "remove", db=db).stdout
    audit = [json.loads(line) for line in claimbot("export", "--format", "audit", db=db).stdout.splitlines()]
    assert {"starter_superseded", "starter_remove"} <= {entry["action"] for entry in audit}
