"""Engine, sessions and migrations. SQLite (WAL) is the embedded default; PostgreSQL for scale."""

from __future__ import annotations

import fcntl
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, event, insert, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnavailable(RuntimeError):
    """The database named by the settings cannot be opened or reached."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            # WAL lets several claimbot processes read while one writes; the busy timeout makes
            # writers wait for each other instead of failing with "database is locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


_REVISION = re.compile(r"^(down_revision|revision) = (?:\"(\w+)\"|None)$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration's id, read from the scripts' `revision =` lines (Alembic itself costs a
    tenth of a second to import); None unless they form one line of history."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(script.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` with Alembic (not even imported when it is there)."""
    try:
        with engine.connect() as connection:
            current = None
            if inspect(connection).has_table("alembic_version"):
                current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise DatabaseUnavailable(_describe(engine, exc)) from exc
    if revision == "head" and current is not None and current == head_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


# Any fixed number: the PostgreSQL advisory lock all ClaimBot processes take for start-up work.
_STARTUP_LOCK = 0x0C1A_1B07


@contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """One process at a time: a PostgreSQL advisory lock, or a lock file beside a SQLite database."""
    if engine.dialect.name != "postgresql":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise DatabaseUnavailable(_describe(engine, exc)) from exc
    with connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _STARTUP_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _STARTUP_LOCK})
            connection.commit()


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _describe(engine: Engine, exc: OperationalError) -> str:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return f"cannot open database {engine.url.render_as_string(hide_password=True)}: {reason}"


def bulk_insert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """INSERT many rows (each with the same keys); COPY on PostgreSQL, in the session's transaction:
    an executemany there is a round of the pipeline per row."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = session.connection().connection.driver_connection.cursor()
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
