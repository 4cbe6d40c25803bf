"""Store tests on SQLite and PostgreSQL: migrations, idempotent upserts, imports."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, select

from bot.domain import FactCheckRecord, RecordError, SourceRecord, Verdict
from bot.service import ClaimService
from store import factchecks
from store.db import downgrade, make_engine, migrate, session_scope
from store.models import FactCheck, Source

TABLES = {
    "factcheck",
    "source",
    "alias",
    "request",
    "reviewitem",
    "subscription",
    "sentreply",
    "moderator",
    "auditlog",
    "notification",
    "blockedasker",
    "embedding",
}


def record(
    url: str = "https://example.org/fc/1", summary: str = "No such thing happened."
) -> FactCheckRecord:
    return FactCheckRecord(
        url=url,
        claim="The moon is made of cheese",
        verdict=Verdict.FALSE,
        rating_text="Pants on fire",
        summary=summary,
        publisher="Example Checks",
        checked_at=date(2026, 1, 5),
        sources=[SourceRecord(1, "NASA", "https://nasa.example/moon"), SourceRecord(2, "AFP", None)],
    )


@pytest.mark.blank_database
def test_migrations_create_upgrade_and_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate(engine)  # a second upgrade is a no-op
    downgrade(engine, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_upsert_is_idempotent_by_url_and_bumps_revision_on_change(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with session_scope(engine) as session:
        assert factchecks.upsert_record(session, record()).created
    with session_scope(engine) as session:
        again = factchecks.upsert_record(session, record())
        assert not again.created and not again.changed
    with session_scope(engine) as session:
        changed = factchecks.upsert_record(session, record(summary="Updated: still no cheese."))
        assert changed.changed and changed.fact_check.revision == 2
    with Session(engine) as session:
        rows = session.exec(select(FactCheck)).all()
        assert len(rows) == 1 and rows[0].summary == "Updated: still no cheese."
        sources = session.exec(select(Source).order_by(Source.position)).all()
        assert [(s.outlet, s.url) for s in sources] == [("NASA", "https://nasa.example/moon"), ("AFP", None)]
        card = factchecks.get_card(session, rows[0].id)
    assert card.verdict is Verdict.FALSE and card.rating_text == "Pants on fire"
    engine.dispose()


def test_import_reports_errors_and_keeps_the_rest(service: ClaimService) -> None:
    before = len(service.published())
    report = service.import_records(
        [
            record("https://example.org/a"),
            RecordError("f.jsonl", 2, "missing claimReviewed"),
            record("https://example.org/b"),
        ]
    )
    assert (report.added, report.updated, len(report.errors)) == (2, 0, 1)
    assert len(service.published()) == before + 2
    report = service.import_records([record("https://example.org/a", summary="changed")])
    assert (report.added, report.updated) == (0, 1)
    # Imported fact-checks are matchable at once, without a restart.
    assert service.search("moon is made of cheese")[0].fact_check.url in {
        "https://example.org/a",
        "https://example.org/b",
    }


@pytest.mark.blank_database
def test_migrations_match_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()


@pytest.mark.blank_database
def test_processes_starting_together_on_a_new_database_set_it_up_once(database_url: str) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    starters = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--db", database_url, "healthcheck"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in starters]
    assert [process.returncode for process in starters] == [0, 0, 0], [err for _, err in results]
    engine = make_engine(database_url)
    with Session(engine) as session:
        urls = [fact_check.url for fact_check in session.exec(select(FactCheck)).all()]
    engine.dispose()
    assert urls and len(urls) == len(set(urls))


def test_a_fact_check_written_by_another_process_during_an_import_batch_costs_neither_its_id(
    database_url: str,
) -> None:
    # A moderator's verdict (another process) lands while an import batch is being written: the
    # batch once took "max(id) + 1" before it held the write lock, so both claimed the same id and
    # the import failed on the primary key.
    from sqlalchemy import event

    engine, other = make_engine(database_url), make_engine(database_url)
    migrate(engine)
    inserted: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def meanwhile(_conn, _cursor, statement: str, *_args) -> None:  # noqa: ANN001
        said = statement.lstrip().upper()
        # the batch's own insert on SQLite; on PostgreSQL its id reservation (the rows go by COPY)
        if (said.startswith("INSERT INTO FACTCHECK") or "NEXTVAL(" in said) and not inserted:
            inserted.append(True)
            with session_scope(other) as session:
                factchecks.upsert_record(session, record("https://example.org/fc/moderator"))

    try:
        with session_scope(engine) as session:
            results = factchecks.upsert_records(
                session, [record(f"https://example.org/fc/{i}") for i in range(3)]
            )
        assert inserted and all(r.created for r in results)
        with Session(engine) as session:
            stored = {f.url: f.id for f in session.exec(select(FactCheck))}
        assert len(stored) == 4 and len(set(stored.values())) == 4
        assert {r.fact_check_id for r in results} == {stored[f"https://example.org/fc/{i}"] for i in range(3)}
    finally:
        event.remove(engine, "before_cursor_execute", meanwhile)
        engine.dispose()
        other.dispose()
