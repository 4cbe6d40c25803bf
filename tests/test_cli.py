"""The `claimbot` command as a user runs it: real processes, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CHECKTHAT, SEED, claimbot

NYC_ICE = "did a NYC cop arrest an ICE agent"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_ask_json_answers_the_seed_question_on_a_fresh_database(db: str) -> None:
    result = claimbot("ask", "--json", NYC_ICE, db=db)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "answer"
    assert "False" in payload["reply"] and "February 2, 2026" in payload["reply"]
    assert "AFP" in payload["reply"] and "verify important information" in payload["reply"]
    assert payload["matches"][0]["rating"] == "False"
    assert payload["matches"][0]["why"]["signals"]
    assert payload["review_id"] is None


def test_default_database_is_created_in_the_user_data_directory(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")} | env
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", NYC_ICE],
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "answer"
    assert (tmp_path / "data" / "claimbot" / "claimbot.db").exists()


def test_the_program_ends_an_ask_at_once_with_its_reply_printed_and_its_question_kept(
    tmp_path: Path, db: str
) -> None:
    # `claimbot ask` leaves without the interpreter's teardown (bot.cli.QUICK_EXIT_COMMANDS): what
    # it printed still reaches a pipe whole, its exit status stands and the queued question is in
    # the store for the next process.
    # stdout block-buffered, as a user's pipe is (PYTHONUNBUFFERED would hide a missing flush)
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_") and k != "PYTHONUNBUFFERED"
    }
    environment |= {"HOME": str(tmp_path), "CLAIMBOT_DATABASE_URL": db}

    def program(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=180,
        )

    question = "did the city of Springfield ban skateboards in 2026"
    asked = program("ask", "--json", "--send-to-review", question)
    assert asked.returncode == 0, asked.stderr
    review_id = json.loads(asked.stdout)["review_id"]
    assert isinstance(review_id, int)
    queued = json.loads(program("review", "list", "--json").stdout)
    assert [i["id"] for i in queued] == [review_id]
    # A batch whose answers fill several pipe buffers, and a bad line: every line out, status 1.
    lines = [json.dumps({"id": n, "text": f"{NYC_ICE} {n}"}) for n in range(40)] + ["not json"]
    matched = subprocess.run(
        [sys.executable, "-m", "bot.cli", "match", "--top", "5"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
    )
    assert matched.returncode == 1 and "stdin:41" in matched.stderr
    answers = [json.loads(line) for line in matched.stdout.splitlines()]
    assert [a["id"] for a in answers] == [*range(40), None]


def test_unrelated_question_is_queued_and_asking_again_raises_the_count(db: str) -> None:
    # Issue 14: an unmatched claim is queued only when the asker says so (--send-to-review).
    first = json.loads(
        claimbot(
            "ask", "--json", "--send-to-review", "did the city of Springfield ban skateboards in 2026", db=db
        ).stdout
    )
    assert first["outcome"] == "queued" and isinstance(first["review_id"], int)
    second = json.loads(
        claimbot(
            "ask", "--json", "--send-to-review", "Springfield skateboard ban in 2026, true?", db=db
        ).stdout
    )
    assert second["review_id"] == first["review_id"]
    items = json.loads(claimbot("review", "list", "--json", db=db).stdout)
    assert [(i["id"], i["ask_count"]) for i in items] == [(first["review_id"], 2)]


def test_moderator_flow_from_the_cli(db: str) -> None:
    question = "did the city of Springfield ban skateboards in 2026"
    review_id = json.loads(claimbot("ask", "--json", "--send-to-review", question, db=db).stdout)["review_id"]
    shown = claimbot("review", "show", str(review_id), db=db)
    assert question in shown.stdout
    verdict = claimbot(
        "review",
        "verdict",
        str(review_id),
        "--rating",
        "False",
        "--summary",
        "Springfield's council passed no skateboard ban in 2026.",
        "--source",
        "https://springfield.example/council/2026",
        db=db,
    )
    assert verdict.returncode == 0, verdict.stderr
    # Without --revision nothing is published: the draft is shown and its revision asked for.
    look = claimbot("review", "approve", str(review_id), db=db)
    assert look.returncode == 2 and "Published" not in look.stdout, look
    assert "Springfield's council passed no skateboard ban in 2026." in look.stdout
    assert f"claimbot review approve {review_id} --revision 1" in look.stderr
    rewritten = claimbot(
        "review",
        "verdict",
        str(review_id),
        "--rating",
        "False",
        "--summary",
        "The council passed no skateboard ban; the 2026 minutes show none.",
        "--source",
        "https://springfield.example/council/2026",
        db=db,
    )
    assert rewritten.returncode == 0, rewritten.stderr
    # The draft changed after that look: revision 1 is refused, revision 2 is shown instead.
    stale = claimbot("review", "approve", str(review_id), "--revision", "1", db=db)
    assert stale.returncode == 2 and "changed since you saw it" in stale.stderr, stale
    assert "the 2026 minutes show none" in stale.stdout and "--revision 2" in stale.stderr
    approved = claimbot("review", "approve", str(review_id), "--revision", "2", db=db)
    assert approved.returncode == 0 and "Published" in approved.stdout, approved
    again = json.loads(claimbot("ask", "--json", question, db=db).stdout)
    assert again["outcome"] == "answer" and "the 2026 minutes show none" in again["reply"]
    exported = json.loads(claimbot("export", "--format", "claimreview", db=db).stdout)
    assert any(r["claimReviewed"] == question for r in exported["@graph"])
    audit = claimbot("export", "--format", "audit", db=db).stdout.splitlines()
    assert {json.loads(line)["action"] for line in audit} >= {"verdict", "approve"}


def test_import_seed_and_reimport_is_idempotent(db: str) -> None:
    first = claimbot("import", str(SEED), db=db)
    assert first.returncode == 0, first.stderr
    assert "added 1" in first.stdout
    second = claimbot("import", str(SEED), db=db)
    assert "added 0, updated 0, skipped 1" in second.stdout


def test_import_vclaims_then_match_dev_queries_in_order(db: str) -> None:
    imported = claimbot("import", str(CHECKTHAT / "vclaims.jsonl"), db=db)
    assert imported.returncode == 0, imported.stderr
    assert "added 14231" in imported.stdout
    queries = [line.split("\t", 1) for line in (CHECKTHAT / "dev.queries.tsv").read_text().splitlines()[:40]]
    stdin = "".join(json.dumps({"id": qid, "text": text}) + "\n" for qid, text in queries)
    matched = claimbot("match", "--top", "5", db=db, stdin=stdin)
    assert matched.returncode == 0, matched.stderr
    lines = [json.loads(line) for line in matched.stdout.splitlines()]
    assert [line["id"] for line in lines] == [qid for qid, _ in queries]
    assert all(line["outcome"] in ("answer", "suggest", "queued") for line in lines)
    assert all(len(line["matches"]) <= 5 for line in lines)


def test_clear_errors_without_tracebacks(db: str, tmp_path: Path) -> None:
    missing = claimbot("import", str(tmp_path / "nope.jsonl"), db=db)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    empty = claimbot("ask", "   ", db=db)
    assert empty.returncode == 2 and "empty" in empty.stderr
    unreachable = claimbot("ask", "hi", db="postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 2 and "cannot open database" in unreachable.stderr
    assert len(unreachable.stderr.strip().splitlines()) == 1


def test_stdin_questions_with_control_characters_and_invalid_utf8(db: str) -> None:
    ok = claimbot("ask", "--json", db=db, stdin="did a NYC cop\x00 arrest an ICE agent\x07\n")
    assert ok.returncode == 0 and json.loads(ok.stdout)["outcome"] == "answer"
    bad = claimbot("ask", db=db, stdin=b"did a cop \xff\xfe arrest")
    assert bad.returncode == 2 and "UTF-8" in bad.stderr


def test_twenty_thousand_character_question_is_refused_politely(db: str) -> None:
    result = claimbot("ask", "x" * 20_000, db=db)
    assert result.returncode == 2 and "too long" in result.stderr


def test_bad_import_lines_are_reported_with_file_and_line(db: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    good = {
        "@type": "ClaimReview",
        "url": "https://checks.example/1",
        "claimReviewed": "Cats can fly",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
    }
    feed.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"@type": "ClaimReview"}) + "\n")
    result = claimbot("import", str(feed), db=db)
    assert result.returncode == 1
    assert f"{feed}:2" in result.stderr and f"{feed}:3" in result.stderr
    assert "added 1" in result.stdout
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("link,text\nhttps://a.example,x\n")
    wrong = claimbot("import", str(csv_file), db=db)
    assert wrong.returncode == 1 and f"{csv_file}:1" in wrong.stderr


def test_several_processes_share_one_sqlite_file(db: str) -> None:
    claimbot("ask", "hi", db=db)  # create the database first
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "ask",
                "--json",
                "--db",
                db,
                f"did Springfield ban skateboards {n}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    assert all(json.loads(out)["outcome"] in ("unmatched", "suggest", "answer") for out, _ in results)


def test_terminal_chat_conversation(db: str) -> None:
    result = claimbot("chat", db=db, stdin=f"{NYC_ICE}\nnotify\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "February 2, 2026" in result.stdout
    assert "I'll tell you" in result.stdout


def test_privacy_and_moderation_commands(db: str) -> None:
    asked = claimbot("ask", "--json", "did the city of Springfield ban skateboards in 2026", db=db)
    assert asked.returncode == 0
    assert claimbot("moderators", "add", "--platform", "telegram", "--user", "5", db=db).returncode == 0
    assert "telegram:5 moderator" in claimbot("moderators", "list", db=db).stdout
    user = os.environ.get("USER") or __import__("getpass").getuser()
    forgot = claimbot("forget", "--platform", "cli", "--user", user, db=db)
    assert forgot.returncode == 0 and "Deleted 1" in forgot.stdout
    assert "Deleted 0" in claimbot("purge", "--older-than", "30", db=db).stdout
    assert claimbot("block", "--platform", "discord", "--user", "9", db=db).returncode == 0
    assert claimbot("healthcheck", db=db).stdout.strip() == "ok"
    audit = [
        json.loads(line)["action"]
        for line in claimbot("export", "--format", "audit", db=db).stdout.splitlines()
    ]
    assert "add_moderator" in audit and "block" in audit


def test_a_hostile_import_file_reports_each_line_and_imports_the_rest(
    database_url: str, tmp_path: Path
) -> None:
    question = "did the city of Springfield ban skateboards in 2026"
    asked = claimbot("ask", "--json", "--send-to-review", question, db=database_url)
    review_id = json.loads(asked.stdout)["review_id"]
    verdict = claimbot(
        "review",
        "verdict",
        str(review_id),
        "--rating",
        "False",
        "--summary",
        "Springfield's council passed no skateboard ban in 2026.",
        "--source",
        "https://springfield.example/council/2026",
        db=database_url,
    )
    assert verdict.returncode == 0, verdict.stderr
    approve = ("review", "approve", str(review_id), "--revision", "1")
    assert claimbot(*approve, db=database_url).returncode == 0

    def review(url: str, claim: str, rating: str = "False") -> str:
        return json.dumps(
            {
                "@type": "ClaimReview",
                "url": url,
                "claimReviewed": claim,
                "reviewRating": {"alternateName": rating},
            }
        )

    feed = tmp_path / "hostile.jsonl"
    lines = [
        review("https://checks.example/1", "Cats can fly"),
        "[" * 50_000 + "]" * 50_000,
        review("https://checks.example/3", "Dogs can talk")[:-1]
        + ', "ratingValue": '
        + "7" * 1_000_000
        + "}",
        review(f"review:default:{review_id}", question, "True"),
        review("https://checks.example/5", question, "True")[:-1]
        + f', "url": "review:default:{review_id}"}}',
        review("javascript:alert(1)", "Fish can climb trees"),
        review("https://checks.example/7", "Owls\u0000 can swim"),
        review("https://checks.example/8", "Snails can sprint"),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = claimbot("import", str(feed), db=database_url)  # the helper fails on any traceback
    assert result.returncode == 1
    assert [line.split(": ", 1)[0] for line in result.stderr.splitlines()] == [
        f"{feed}:{n}" for n in (2, 3, 4, 5, 6)
    ]
    assert "added 3, updated 0" in result.stdout
    again = json.loads(claimbot("ask", "--json", question, db=database_url).stdout)
    assert again["outcome"] == "answer" and "council passed no skateboard ban" in again["reply"]
    owls = json.loads(claimbot("ask", "--json", "can owls swim", db=database_url).stdout)
    assert "Owls can swim" in owls["reply"]


# ---------------------------------------------------------------------------------- languages (issue 14)


def test_ask_lang_answers_in_spanish_and_marks_the_english_fact_check(db: str) -> None:
    result = claimbot("ask", "--lang", "es", NYC_ICE, db=db, env={"LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("❌ Falso")
    assert "(en inglés)" in result.stdout and "2 de febrero de 2026" in result.stdout
    assert "ClaimBot puede equivocarse" in result.stdout


def test_ask_detects_the_questions_language_over_the_terminals(db: str) -> None:
    question = "Est-ce que les extraterrestres ont ouvert une boulangerie à Paris hier soir ?"
    result = claimbot("ask", question, db=db, env={"LANG": "de_DE.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert "Je n’ai pas encore de vérification" in result.stdout
    short = claimbot("ask", "hmm?", db=db, env={"LANG": "de_DE.UTF-8"})  # too short: the terminal's language
    # No claim in it (issue 14's triage): the help reply, in German.
    assert short.returncode == 0 and "darin habe ich keine Behauptung gefunden" in short.stdout
    chinese = claimbot("ask", "外星人昨天在巴黎开了一家面包店吗？", db=db, env={"LANG": "C.UTF-8"})
    assert "I don't have a fact-check for that yet" in chinese.stdout  # no catalog: English


def test_ask_lang_without_a_catalog_is_a_usage_error(db: str) -> None:
    result = claimbot("ask", "--lang", "tlh", NYC_ICE, db=db)
    assert result.returncode == 2
    assert "no replies in 'tlh'; use one of: en, es, fr, pt, de" in result.stderr


def test_chat_lang_speaks_portuguese(db: str) -> None:
    result = claimbot("chat", "--lang", "pt", db=db, stdin=f"{NYC_ICE}\nnotify\nquit\n", env={"LANG": "C"})
    assert result.returncode == 0, result.stderr
    assert "Pergunte se uma alegação é verdadeira" in result.stdout
    assert "❌ Falso" in result.stdout and "Vou te dizer aqui" in result.stdout
