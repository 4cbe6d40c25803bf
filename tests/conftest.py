"""Shared fixtures: a fresh database on each engine (SQLite file, PostgreSQL schema) and a service on it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import create_engine, text

from bot.config import Settings
from bot.service import ClaimService
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


def _postgres_admin_url() -> str:
    return "postgresql+psycopg://" + POSTGRES_URL.split("://", 1)[1]


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
def postgres_url(postgres_available: bool) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema of its own, dropped afterwards."""
    if not postgres_available:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_admin_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claimbot.db'}"
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


@pytest.fixture
def service(settings: Settings) -> Iterator[ClaimService]:
    svc = ClaimService.open(settings)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[ClaimService]:
    svc = ClaimService.open(make_settings(f"sqlite:///{tmp_path / 'claimbot.db'}"))
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
