"""`claimbot factchecks list|search|show`: the catalogue found without knowing ids (issue 14, item 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import claimbot

SKATEBOARDS = "did the city of Springfield ban skateboards in 2026"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'factchecks.db'}"


def test_list_pages_through_the_starter_set_newest_first(db: str) -> None:
    everything = json.loads(claimbot("factchecks", "list", "--limit", "200", "--json", db=db).stdout)
    ids = [item["id"] for item in everything["items"]]
    assert everything["total"] == len(ids) == 17 and ids == sorted(ids, reverse=True)
    second = json.loads(claimbot("factchecks", "list", "--limit", "5", "--page", "2", "--json", db=db).stdout)
    assert [i["id"] for i in second["items"]] == ids[5:10] and second["offset"] == 5
    by_offset = json.loads(
        claimbot("factchecks", "list", "--limit", "5", "--offset", "5", "--json", db=db).stdout
    )
    assert by_offset["items"] == second["items"]
    first = second["items"][0]
    assert set(first) >= {"id", "verdict", "date", "publisher", "url", "claim", "status"}

    text = claimbot("factchecks", "list", "--limit", "5", db=db)
    assert text.returncode == 0, text.stderr
    assert f"#{ids[0]} " in text.stdout and "ClaimBot starter set" in text.stdout
    assert "Fact-checks 1–5 of 17. Next: claimbot factchecks list --limit 5 --page 2" in text.stdout


def test_list_filters_by_verdict_and_status_and_refuses_unknown_ones(db: str) -> None:
    true = json.loads(claimbot("factchecks", "list", "--verdict", "true", "--json", db=db).stdout)
    assert true["total"] >= 1 and {i["verdict"] for i in true["items"]} == {"True"}
    drafts = claimbot("factchecks", "list", "--status", "draft", db=db)
    assert drafts.returncode == 0 and drafts.stdout.strip() == "No fact-checks."
    wrong = claimbot("factchecks", "list", "--verdict", "sorta", db=db)
    assert wrong.returncode == 2 and "No verdict 'sorta'" in wrong.stderr and "Mostly true" in wrong.stderr
    status = claimbot("factchecks", "list", "--status", "gone", db=db)
    assert status.returncode == 2 and "No status 'gone'" in status.stderr
    page = claimbot("factchecks", "list", "--page", "0", db=db)
    assert page.returncode == 2 and "--page counts from 1" in page.stderr


def test_search_ranks_by_the_matcher_then_finds_drafts_by_their_text(db: str) -> None:
    found = json.loads(claimbot("factchecks", "search", "5G", "covid", "--json", db=db).stdout)
    top = found["results"][0]
    assert top["claim"] == "5G mobile networks spread COVID-19" and top["found_by"] == "matcher"
    assert top["score"] > 0.5
    # Padding at scores near 0 is left out: bleach has nothing to do with 5G.
    assert all("bleach" not in r["claim"].lower() for r in found["results"])

    review_id = json.loads(claimbot("ask", "--json", "--send-to-review", SKATEBOARDS, db=db).stdout)[
        "review_id"
    ]
    drafted = claimbot(
        "review", "verdict", str(review_id), "--rating", "False",
        "--summary", "No skateboard ban was passed.", "--source", "https://springfield.example/minutes",
        db=db,
    )  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr
    drafts = json.loads(claimbot("factchecks", "search", "springfield skateboards", "--json", db=db).stdout)
    assert [(r["claim"], r["status"], r["found_by"]) for r in drafts["results"]] == [
        (SKATEBOARDS, "draft", "text")
    ]
    text = claimbot("factchecks", "search", "skateboards", "--status", "draft", db=db)
    assert f"[draft]\n    {SKATEBOARDS}\n    (text match)" in text.stdout
    assert "claimbot review link ITEM FACT_CHECK_ID" in text.stdout
    none = claimbot("factchecks", "search", "zeppelins", "over", "Narnia", db=db)
    assert none.returncode == 0 and "No fact-check found for 'zeppelins over Narnia'" in none.stdout


def test_show_prints_the_whole_card_with_the_aliases_a_link_added(db: str) -> None:
    review_id = json.loads(claimbot("ask", "--json", "--send-to-review", SKATEBOARDS, db=db).stdout)[
        "review_id"
    ]
    hit = json.loads(claimbot("factchecks", "search", "NYC", "cop", "ICE", "--json", db=db).stdout)[
        "results"
    ][0]
    assert claimbot("review", "link", str(review_id), str(hit["id"]), db=db).returncode == 0
    shown = claimbot("factchecks", "show", f"#{hit['id']}", db=db)
    assert shown.returncode == 0, shown.stderr
    assert f"Fact-check #{hit['id']} [published, revision 1" in shown.stdout
    assert "Claim: A New York City police officer arrested an ICE agent" in shown.stdout
    assert "Verdict: ❌ False" in shown.stdout and "Checked on February 2, 2026" in shown.stdout
    assert "Sources:\n  1. AFP" in shown.stdout
    assert f"Aliases (1):\n  - {SKATEBOARDS}" in shown.stdout
    payload = json.loads(claimbot("factchecks", "show", str(hit["id"]), "--json", db=db).stdout)
    assert payload["aliases"] == [SKATEBOARDS] and payload["sources"][0]["outlet"] == "AFP"
    missing = claimbot("factchecks", "show", "999", db=db)
    assert missing.returncode == 2 and "There is no fact-check 999" in missing.stderr
    garbled = claimbot("factchecks", "show", "twelve", db=db)
    assert garbled.returncode == 2 and "a fact-check id is a number" in garbled.stderr
