"""The match index kept as files beside the database (issue 15 item 4, bot/usecases/match_index.py).

A process that finds current files maps them and reads only the change feed; files that are
damaged, or that the database no longer agrees with, are rebuilt from the store; changes made in
other processes reach the files; a writer never pulls files from under a reader.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.usecases.match_index as match_index
from bot.config import Settings
from bot.domain import Actor, Asker, ChatRef, FactCheckRecord, OutcomeKind, Question, Verdict
from bot.matching.index_files import IndexFiles
from bot.service import ClaimService
from tests.conftest import ROOT, claimbot, make_settings

MODERATOR = Actor("cli", "mod-ann")
COFFEE = FactCheckRecord(
    url="https://factcheck.example/coffee-growth",
    claim="Drinking coffee stops children from growing taller",
    verdict=Verdict.FALSE,
    rating_text="False",
    summary="No study finds such an effect.",
    publisher="Test Fact Check",
)
PIGEONS = "Pigeons deliver the post in Oslo on Sundays"


CLAIMS = (
    "The lighthouse keeper of Skerry island was replaced by a robot parrot",
    "A glacier in Patagonia melted overnight because of a rock concert",
    "The national library of Freedonia sold every book to a cement factory",
)


def record(n: int) -> FactCheckRecord:
    return FactCheckRecord(
        url=f"https://factcheck.example/claim-{n}",
        claim=CLAIMS[n],
        verdict=Verdict.FALSE,
        rating_text="False",
        summary="Nothing of the kind happened.",
        publisher="Test Fact Check",
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # PostgreSQL needs the directory named; SQLite gets it named too, so both run the same way.
    return make_settings(database_url, CLAIMBOT_INDEX_DIR=str(tmp_path / "index"))


@pytest.fixture
def services(settings: Settings) -> Iterator[list[ClaimService]]:
    """Services opened by a test (each one stands for a process of its own), disposed afterwards."""
    opened: list[ClaimService] = []
    yield opened
    for service in opened:
        service.engine.dispose()


def open_service(services: list[ClaimService], settings: Settings, **kwargs: bool) -> ClaimService:
    service = ClaimService.open(settings, **kwargs)
    services.append(service)
    return service


def ask(service: ClaimService, text_: str, user: str = "asker"):
    return service.ask(Question(text=text_, asker=Asker("telegram", user), chat=ChatRef("telegram", user)))


def answered_with(service: ClaimService, question: str, url: str) -> bool:
    outcome = ask(service, question, user=f"u{time.monotonic_ns()}")
    return (
        outcome.kind is OutcomeKind.ANSWER
        and outcome.fact_check is not None
        and outcome.fact_check.url == url
    )


def generations(settings: Settings) -> list[str]:
    assert settings.index_dir is not None
    return sorted(p.name for p in Path(settings.index_dir).glob("g-*"))


def current_dir(settings: Settings) -> Path:
    assert settings.index_dir is not None
    files = IndexFiles(Path(settings.index_dir))
    name = files.generation()
    assert name is not None
    return files.directory / name


def test_a_new_process_serves_the_files_without_reading_the_rows(
    settings: Settings, services: list[ClaimService]
) -> None:
    setup = open_service(services, settings, load_index=False)
    setup.import_records([COFFEE])
    first = open_service(services, settings)
    assert first.catalogue.index.full_reads == 1 and len(generations(settings)) == 1
    # The row's text changes behind the index's back (no updated_at): only a process that reads every
    # row would see it.
    with first.engine.begin() as connection:
        connection.execute(
            text("UPDATE factcheck SET claim = :claim WHERE url = :url"),
            {"claim": PIGEONS, "url": COFFEE.url},
        )

    second = open_service(services, settings)
    assert second.catalogue.index.full_reads == 0
    assert second.matcher.base is not None and second.matcher.own_count() == 0
    assert answered_with(second, "does drinking coffee stop children from growing taller", COFFEE.url)
    assert not answered_with(second, PIGEONS, COFFEE.url)


def test_sqlite_keeps_its_files_beside_the_database(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'claimbot.db'}", CLAIMBOT_SEMANTIC=False)
    service = ClaimService.open(settings)
    try:
        assert (tmp_path / "claimbot.db.index" / "manifest.json").exists()
        again = ClaimService.open(settings)
        assert again.catalogue.index.full_reads == 0
        again.engine.dispose()
    finally:
        service.engine.dispose()


def test_changes_made_in_other_processes_reach_the_files(
    settings: Settings, services: list[ClaimService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = open_service(services, settings)
    # An import in a process of its own (the real command), then a verdict approved in another one.
    feed = tmp_path / "coffee.json"
    feed.write_text(
        json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "url": COFFEE.url,
                "claimReviewed": COFFEE.claim,
                "reviewRating": {"@type": "Rating", "alternateName": "False"},
                "author": {"@type": "Organization", "name": "Test Fact Check"},
            }
        )
    )
    assert claimbot("import", str(feed), db=settings.database_url).returncode == 0
    moderator = open_service(services, settings)
    queued = ask(moderator, "did the city of Springfield ban skateboards in 2026")
    assert queued.review_item_id is not None
    draft = moderator.write_verdict(
        MODERATOR,
        queued.review_item_id,
        "False",
        "No such ban was passed.",
        ["https://springfield.example/minutes"],
    )
    assert moderator.approve(MODERATOR, queued.review_item_id, draft.revision).published

    monkeypatch.setattr(match_index, "REWRITE_AFTER", 1)  # so the worker writes a new generation at once
    before = generations(settings)
    worker.refresh_index()
    assert answered_with(worker, "does drinking coffee stop children from growing taller", COFFEE.url)
    assert answered_with(worker, "did the city of Springfield ban skateboards in 2026", draft.url)
    assert generations(settings) != before and worker.matcher.own_count() == 0

    later = open_service(services, settings)
    assert later.catalogue.index.full_reads == 0 and later.matcher.own_count() == 0  # all of it in the files
    assert answered_with(later, "does drinking coffee stop children from growing taller", COFFEE.url)
    assert answered_with(later, "did the city of Springfield ban skateboards in 2026", draft.url)


@pytest.mark.parametrize("damage", ["flipped", "truncated", "manifest"])
def test_damaged_files_are_rebuilt(
    settings: Settings, services: list[ClaimService], caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    setup = open_service(services, settings, load_index=False)
    setup.import_records([COFFEE])
    open_service(services, settings)
    old = current_dir(settings)
    if damage == "flipped":
        path = old / "slot_terms.bin"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        path = old / "post_slot.bin"
        path.write_bytes(path.read_bytes()[:-4])
    else:
        assert settings.index_dir is not None
        (Path(settings.index_dir) / "manifest.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="bot.usecases.match_index"):
        rebuilt = open_service(services, settings)
    assert rebuilt.catalogue.index.full_reads == 1
    assert current_dir(settings) != old
    assert answered_with(rebuilt, "does drinking coffee stop children from growing taller", COFFEE.url)
    if damage != "manifest":  # an unreadable manifest is no index at all: built without a word
        assert "cannot be used" in caplog.text
    # Said once: the writer's second look under the lock skips the generation already refused.
    assert caplog.text.count("rebuilding them") == (0 if damage == "manifest" else 1)


def test_files_the_restored_database_does_not_agree_with_are_rebuilt(
    tmp_path: Path, services: list[ClaimService]
) -> None:
    db = tmp_path / "claimbot.db"
    settings = make_settings(f"sqlite:///{db}", CLAIMBOT_SEMANTIC=False)
    first = open_service(services, settings)
    backup = tmp_path / "backup.db"
    source, target = sqlite3.connect(db), sqlite3.connect(backup)
    source.backup(target)  # the README's online backup, before COFFEE existed
    source.close()
    target.close()
    first.import_records([COFFEE])
    first.save_index()  # the files now hold COFFEE
    first.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, db)  # the README's restore

    restored = open_service(services, settings)
    assert restored.catalogue.index.full_reads == 1
    assert not answered_with(restored, "does drinking coffee stop children from growing taller", COFFEE.url)


def blocked_on_a_lock(process: subprocess.Popen[bytes], timeout: float = 120.0) -> bool:
    """Whether `process` comes to wait for a lock (Linux lists a waiter in /proc/locks as "->",
    with its pid) before it ends or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with open("/proc/locks", encoding="ascii") as locks:
            if any("->" in line and str(process.pid) in line.split() for line in locks):
                return True
        time.sleep(0.02)
    return False


def test_a_process_waiting_for_the_writer_serves_its_files(tmp_path: Path) -> None:
    db = tmp_path / "claimbot.db"
    settings = make_settings(f"sqlite:///{db}", CLAIMBOT_SEMANTIC=False)
    service = ClaimService.open(settings, load_index=False)  # the database, without index files
    files = IndexFiles(tmp_path / "claimbot.db.index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")} | {
        "CLAIMBOT_SEMANTIC": "false"
    }
    with files.lock(wait=True):  # this process writes them; the command waits for the lock
        waiting = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "--db",
                settings.database_url,
                "ask",
                "did a NYC cop arrest an ICE agent",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Publish only once the command waits on the lock: had it started after the files were
        # published, it would serve them without waiting, and the test would prove nothing.
        if not blocked_on_a_lock(waiting):
            waiting.kill()  # it may be waiting on this lock unseen: do not wait for it
            pytest.fail(f"the command never waited on the lock: {waiting.communicate()[1].decode()}")
        scratch, name = files.scratch()
        service.catalogue.index._write_all(scratch, match_index.utcnow())
        files.publish(scratch, name)
        assert waiting.poll() is None  # blocked on the lock all along
    out, err = waiting.communicate(timeout=120)
    service.engine.dispose()
    assert waiting.returncode == 0, err.decode()
    assert "False" in out.decode()
    assert [p.name for p in files.directory.glob("g-*")] == [name]  # it served those files, wrote none


def test_a_reader_keeps_files_a_writer_deletes(settings: Settings, services: list[ClaimService]) -> None:
    reader = open_service(services, settings)
    served = current_dir(settings)
    writer = open_service(services, settings)
    for n in range(3):  # three generations later the reader's is deleted from the disk
        writer.import_records([record(n)])
        writer.save_index()
    assert not served.exists()
    outcome = ask(reader, "did a NYC cop arrest an ICE agent")
    assert outcome.kind is OutcomeKind.ANSWER
    reader.refresh_index()  # and it moves to the current generation
    assert reader.matcher.base is not None and reader.matcher.base.directory == current_dir(settings)
    assert answered_with(reader, CLAIMS[2], record(2).url)


def test_lexical_and_semantic_processes_share_the_files(
    settings: Settings, services: list[ClaimService]
) -> None:
    semantic = open_service(services, settings)
    with_vectors = {i for i in published(semantic) if semantic.matcher.has_vector(i)}
    assert with_vectors  # the starter set's bundled vectors
    lexical_settings = settings.model_copy(update={"semantic": False})
    lexical = open_service(services, lexical_settings)
    assert lexical.catalogue.index.full_reads == 0  # the vectors in the files are no reason to rebuild
    lexical.import_records([COFFEE])
    assert lexical.save_index() is not None  # a generation written by a process without the model
    again = open_service(services, settings)
    assert again.catalogue.index.full_reads == 0
    assert {i for i in with_vectors if again.matcher.has_vector(i)} == with_vectors  # kept for it
    assert answered_with(again, "does drinking coffee stop children from growing taller", COFFEE.url)


def published(service: ClaimService) -> set[int]:
    return {doc.fact_check_id for doc in service.matcher.documents()}


def test_damaged_vectors_of_a_large_index_are_found_after_the_start(
    settings: Settings, services: list[ClaimService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big segment starts before its float arrays are checked; a bad checksum rebuilds it then."""
    import bot.matching.segment as segment_module

    open_service(services, settings)
    vectors = current_dir(settings) / "vectors.bin"
    data = bytearray(vectors.read_bytes())
    data[7] ^= 0x55
    vectors.write_bytes(bytes(data))
    monkeypatch.setattr(segment_module, "DEFER_BYTES", 0)  # as if it held 300k fact-checks
    worker = open_service(services, settings)
    index = worker.catalogue.index
    assert index.full_reads == 0  # served at once
    deadline = time.monotonic() + 60
    while index._rejected is None:
        assert time.monotonic() < deadline, "the deferred check never ended"
        time.sleep(0.02)
    worker.refresh_index()
    assert index.full_reads == 1 and current_dir(settings) != vectors.parent
    assert ask(worker, "did a NYC cop arrest an ICE agent").kind is OutcomeKind.ANSWER


def test_a_large_index_keeps_its_graph_up_to_date_across_generations(
    settings: Settings, services: list[ClaimService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ANN_MIN vectors a segment carries a usearch graph; the next generation updates it (the
    withdrawn out, the new in) rather than building it again."""
    import bot.matching.segment_writer as segment_writer

    monkeypatch.setattr(segment_writer, "ANN_MIN", 1)  # as if it held 50,000 vectors
    service = open_service(services, settings)
    segment = service.matcher.base
    assert segment is not None and segment.ann is not None
    starters = {i for i in published(service) if service.matcher.has_vector(i)}
    assert all(segment.ann.contains(i) for i in starters)
    assert ask(service, "did a NYC cop arrest an ICE agent").kind is OutcomeKind.ANSWER

    service.import_records([COFFEE])
    service.index_vectors()  # COFFEE's vector and fields
    withdrawn = set(service.remove_starter(MODERATOR))
    assert withdrawn and service.save_index() is not None
    later = open_service(services, settings)
    graph = later.matcher.base.ann if later.matcher.base is not None else None
    assert graph is not None and later.catalogue.index.full_reads == 0
    coffee = next(d.fact_check_id for d in later.matcher.documents() if d.claim == COFFEE.claim)
    assert graph.contains(coffee) and later.matcher.has_vector(coffee)
    assert not any(graph.contains(i) for i in withdrawn)
    # Found by meaning alone (no word in common): through the graph.
    matches = later.matcher.match("does caffeine stunt kids height")
    assert matches and matches[0].fact_check_id == coffee and "cos" in matches[0].signals
