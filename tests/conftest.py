"""Shared fixtures: a fresh database on each engine (SQLite file, PostgreSQL schema) and a service on it."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, create_engine, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  every table on SQLModel.metadata (schemas are emptied in its order)
from bot.config import Settings
from bot.service import ClaimService
from store.db import make_engine, migrate
from tests import warm_cli

ROOT = Path(__file__).resolve().parents[1]
# Test data ships with the repository, so a fresh clone runs every test. CLAIMBOT_CHECKTHAT_DIR points
# at another copy of the CheckThat! files (same layout) when one wants to try it.
CHECKTHAT = Path(os.environ.get("CLAIMBOT_CHECKTHAT_DIR") or ROOT / "benchmarks/data/checkthat2022-2a-en")
SEED = ROOT / "tests" / "data" / "importers" / "seed_report.txt"  # the seed report, as it was given
POSTGRES_URL = os.environ.get("CLAIMBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

# Hypothesis times every example (200 ms deadline, "too slow" health check): wall-clock checks that a
# busy machine fails. Property tests check behaviour; speed is measured in benchmarks/.
hypothesis.settings.register_profile(
    "claimbot", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("claimbot")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "blank_database: database_url and postgres_url name an empty database (no schema) instead of a"
        " migrated one, for tests of migrations and of a first start",
    )


def _blank(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("blank_database") is not None


# ------------------------------------------------------------------------------ SQLite: a template file
# Migrating a new database costs a test more than most of what it then does (alembic runs every
# revision), and every test's database is the same until its service starts: one migrated file per
# process, copied per test. Tests of migrations and of a first start are marked blank_database.

_sqlite_template: Path | None = None


def migrated_sqlite(path: Path) -> str:
    """Make `path` a migrated, empty ClaimBot database (a copy of one migrated once) unless it exists
    already; its URL."""
    global _sqlite_template
    if _sqlite_template is None:
        template = Path(tempfile.mkdtemp(prefix="claimbot-template-")) / "migrated.db"
        engine = make_engine(f"sqlite:///{template}")
        migrate(engine)
        engine.dispose()  # the last connection checkpoints the WAL into the file and removes it
        assert not template.with_name("migrated.db-wal").exists()
        atexit.register(shutil.rmtree, template.parent, True)
        _sqlite_template = template
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


# ----------------------------------------------------------------- PostgreSQL: migrated schemas, reused


def _postgres_admin_url() -> str:
    return "postgresql+psycopg://" + POSTGRES_URL.split("://", 1)[1]


def _schema_url(schema: str) -> str:
    # application_name tells this schema's connections apart in pg_stat_activity (see _Schemas.put).
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={schema}"


def _new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


_TERMINATE = text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = :s")


class _Schemas:
    """This process's migrated schemas. A test takes one; afterwards its rows are deleted (TRUNCATE
    costs as much as migrating), its sequences set back and it is renamed before the next test takes
    it, so that nothing left of a test (a late write, an open connection) reaches the next one. A
    schema at another revision than a freshly migrated one (a test migrated it) is dropped instead,
    as is one where a table is missing; tests never change the schema otherwise. Catalog queries are
    kept out of the way: on a server without autovacuum the catalogs bloat and each costs ~50 ms."""

    def __init__(self) -> None:
        self.admin = create_engine(_postgres_admin_url())
        self.free: list[str] = []
        self.revision: list[str] | None = None  # what a freshly migrated schema holds
        self.sequences: list[tuple[str, int]] = []  # (name, start value)
        atexit.register(self.close)

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        schema = _new_schema_name()
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(_schema_url(schema))
        migrate(engine)
        engine.dispose()
        if self.revision is None:
            with self.admin.connect() as connection:
                self.revision = self._revision(connection, schema)
                self.sequences = [
                    (row.sequencename, row.start_value)
                    for row in connection.execute(
                        text("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = :s"),
                        {"s": schema},
                    )
                ]
        return schema

    @staticmethod
    def _revision(connection: Connection, schema: str) -> list[str]:
        return sorted(
            connection.execute(text(f'SELECT version_num FROM "{schema}".alembic_version')).scalars()
        )

    def put(self, schema: str) -> None:
        with self.admin.begin() as connection:
            # A test's leftover connections (an engine not disposed, a worker thread) end here.
            connection.execute(_TERMINATE, {"s": schema})
        renamed = _new_schema_name()
        try:
            with self.admin.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '10s'"))
                if self._revision(connection, schema) != self.revision:
                    raise _NotReusable
                for table in reversed(SQLModel.metadata.sorted_tables):  # children first: no FK in the way
                    connection.execute(text(f'DELETE FROM "{schema}"."{table.name}"'))
                for sequence, start in self.sequences:  # setval: no new file, unlike ALTER ... RESTART
                    connection.execute(
                        text("SELECT setval(:seq, :start, false)"),
                        {"seq": f'"{schema}"."{sequence}"', "start": start},
                    )
                connection.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{renamed}"'))
        except (_NotReusable, sqlalchemy.exc.DBAPIError):  # migrated by the test, a table gone, a lock held
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            return
        self.free.append(renamed)

    def close(self) -> None:
        with self.admin.begin() as connection:
            for schema in self.free:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.free.clear()
        self.admin.dispose()


class _NotReusable(Exception):
    pass


_schemas: _Schemas | None = None


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        engine = create_engine(_postgres_admin_url())
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI: {exc}")
        return False


@pytest.fixture
def postgres_url(postgres_available: bool, request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema of its own: migrated and empty (a schema of an
    earlier test, emptied), or with no tables at all for a test marked blank_database."""
    global _schemas
    if not postgres_available:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    if _blank(request):
        schema = _new_schema_name()
        admin = create_engine(_postgres_admin_url())
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield _schema_url(schema)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return
    if _schemas is None:
        _schemas = _Schemas()
    schema = _schemas.take()
    try:
        yield _schema_url(schema)
    finally:
        _schemas.put(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of its own on each engine, migrated and empty (blank_database: not even migrated)."""
    if request.param == "sqlite":
        path = tmp_path / "claimbot.db"
        return f"sqlite:///{path}" if _blank(request) else migrated_sqlite(path)
    return request.getfixturevalue("postgres_url")


def make_settings(database_url: str, **overrides: object) -> Settings:
    # Issue 14: the tests written before "ask before queueing" keep automatic queueing; the front-door
    # tests (tests/test_front_door.py) turn it off.
    values: dict[str, object] = {
        "CLAIMBOT_DATABASE_URL": database_url,
        "CLAIMBOT_ASKER_SALT": "test-salt",
        "CLAIMBOT_AUTO_QUEUE": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(autouse=True)
def answers_are_not_deferred(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Discord adapter defers an interaction whose answer takes over DEFER_AFTER seconds. Whether
    a test sees an answer or a deferral must not depend on how busy the machine is: answers come at
    once, unless a test sets DEFER_AFTER itself (test_slow_work_is_deferred_then_followed_up) or is
    marked real_deferral (the load test counts what members really see, deferrals included)."""
    if request.node.get_closest_marker("real_deferral") is None:
        monkeypatch.setattr("adapters.discord.interactions.DEFER_AFTER", 3600.0)


@pytest.fixture
def service(settings: Settings) -> Iterator[ClaimService]:
    svc = ClaimService.open(settings)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[ClaimService]:
    svc = ClaimService.open(make_settings(migrated_sqlite(tmp_path / "claimbot.db")))
    yield svc
    svc.engine.dispose()


def claimbot(
    *args: str, db: str, stdin: bytes | str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `claimbot` command on a database, with none of the caller's bot settings.

    Each command is a process of its own, forked from a server that has done Python's start-up and
    imports once (tests/warm_cli.py); stdin is empty unless given."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))
    }
    environment.update(env or {})
    argv = ["--db", db, *args]
    returncode, stdout, stderr = warm_cli.run(
        argv, environment, stdin.encode() if isinstance(stdin, str) else stdin, timeout=180
    )
    out = subprocess.CompletedProcess(
        [sys.executable, "-m", "bot.cli", *argv], returncode, stdout.decode(), stderr.decode()
    )
    assert "Traceback" not in out.stderr, out.stderr
    return out
