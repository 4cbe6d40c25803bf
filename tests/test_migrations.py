"""Alembic migrations on SQLite and PostgreSQL: an empty database, the first release's schema with data,
and one step down and up again.

Rows for the first release (revision 0001) are written with plain SQL against that era's tables, not
the current models, so a later model change cannot hide a migration that forgot existing data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

import store.models  # noqa: F401  (every table on SQLModel.metadata)
from bot.domain import Asker, ChatRef, OutcomeKind, Question
from bot.service import ClaimService
from store.db import alembic_config, downgrade, head_revision, make_engine, migrate
from store.models import FactCheck, Notification, Request, ReviewItem, SentReply, Subscription
from tests.conftest import make_settings

# Every test here starts from a database with no schema at all (tests/conftest.py).
pytestmark = pytest.mark.blank_database

FIRST_RELEASE = "0001"
T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
CLAIM = "the harbour bridge will be closed to cyclists from next spring"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_and_previous(engine: Engine) -> tuple[str, str]:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    head = scripts.get_current_head()
    assert head is not None
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str), "the head must have exactly one parent"
    return head, previous


def assert_schema_matches_models(engine: Engine) -> None:
    """Every model table and column exists, and autogenerate finds nothing left to migrate."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        assert table.name in tables, f"table {table.name} missing"
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, f"columns missing in {table.name}"
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "render_as_batch": engine.dialect.name == "sqlite"}
        )
        diff = [d for d in compare_metadata(context, SQLModel.metadata) if not _ignorable(d)]
    assert diff == [], f"models and migrations disagree: {diff}"


def _ignorable(diff: object) -> bool:
    # SQLite reflects no names for unnamed unique constraints; nothing to fix there.
    return isinstance(diff, tuple) and diff[0] in ("add_constraint", "remove_constraint")


# The first release's tables, as far as the rows below need them (datetimes typed, the rest as given).
def era_table(name: str, *columns: str, datetimes: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns), *(sa.column(c, UTCDateTime()) for c in datetimes))


FACTCHECK = era_table(
    "factcheck",
    *("id", "url", "claim", "title", "summary", "rating", "rating_text", "rating_confirmed", "publisher"),
    *("checked_at", "language", "body", "follow_ups", "status", "origin", "revision"),
    datetimes=("created_at", "updated_at"),
)
SOURCE = era_table("source", "id", "fact_check_id", "position", "outlet", "title", "url")
ALIAS = era_table("alias", "id", "fact_check_id", "text", "added_by", datetimes=("created_at",))
REVIEWITEM = era_table(
    "reviewitem",
    *("id", "community", "text", "status", "ask_count", "fact_check_id", "draft_fact_check_id"),
    *("drafted_by", "reject_reason", "claimed_by"),
    datetimes=("first_asked_at", "last_asked_at", "claimed_at"),
)
REQUEST = era_table(
    "request",
    *("id", "platform", "event_key", "chat_id", "message_id", "asker_hash", "reply_to", "text", "outcome"),
    *("fact_check_id", "score", "review_item_id"),
    datetimes=("asked_at",),
)
SUBSCRIPTION = era_table(
    "subscription",
    *("id", "platform", "asker_hash", "reply_to", "review_item_id", "fact_check_id", "request_id"),
    datetimes=("created_at",),
)
NOTIFICATION = era_table(
    "notification",
    *("id", "platform", "kind", "target", "fact_check_id", "review_item_id", "revision", "dedupe_key"),
    *("status", "attempts", "last_error"),
    datetimes=("next_attempt_at", "created_at", "delivered_at"),
)
SENTREPLY = era_table(
    "sentreply",
    *("id", "platform", "chat_id", "message_id", "fact_check_id", "revision", "pinned", "request_id"),
    datetimes=("sent_at",),
)


def fill_first_release(engine: Engine) -> None:
    """A community's data as release 0001 wrote it: a fact-check with its sources and an alias, an
    answered request with the reply it got, a queued question with a review item and a subscriber,
    and a pending notification for the moderators' chat."""
    with engine.begin() as db:
        db.execute(
            FACTCHECK.insert().values(
                id=1,
                url="https://factcheck.example/harbour-bridge",
                claim=CLAIM,
                title="Will the harbour bridge close to cyclists?",
                summary="The council voted to keep the cycle lane open; no closure is planned.",
                rating="False",
                rating_text="Pants on fire",
                rating_confirmed=True,
                publisher="Harbour Fact Desk",
                checked_at=date(2026, 11, 19),
                language="en",
                body=None,
                follow_ups=None,
                status="published",
                origin="import",
                revision=2,
                created_at=T0,
                updated_at=T0,
            )
        )
        db.execute(
            SOURCE.insert(),
            [
                dict(id=1, fact_check_id=1, position=1, outlet="council.example", title="Minutes", url=None),
                dict(
                    id=2,
                    fact_check_id=1,
                    position=2,
                    outlet="news.example",
                    title="Report",
                    url="https://n.example/a",
                ),
            ],
        )
        db.execute(
            ALIAS.insert().values(
                id=1, fact_check_id=1, text="bridge closed for bikes", added_by="tg:42", created_at=T0
            )
        )
        db.execute(
            REVIEWITEM.insert().values(
                id=1,
                community="default",
                text="is the ferry going to be free on sundays",
                status="open",
                ask_count=2,
                fact_check_id=None,
                draft_fact_check_id=None,
                drafted_by=None,
                reject_reason=None,
                claimed_by=None,
                first_asked_at=T0,
                last_asked_at=T0,
                claimed_at=None,
            )
        )
        db.execute(
            REQUEST.insert(),
            [
                dict(
                    id=1,
                    platform="telegram",
                    event_key="501",
                    chat_id="1001",
                    message_id="7",
                    asker_hash="a" * 64,
                    reply_to="1001",
                    text=CLAIM,
                    outcome="answer",
                    fact_check_id=1,
                    score=0.93,
                    review_item_id=None,
                    asked_at=T0,
                ),
                dict(
                    id=2,
                    platform="discord",
                    event_key="i-9",
                    chat_id="c-5",
                    message_id=None,
                    asker_hash="b" * 64,
                    reply_to="u-5",
                    text="is the ferry going to be free on sundays",
                    outcome="queued",
                    fact_check_id=None,
                    score=0.2,
                    review_item_id=1,
                    asked_at=T0,
                ),
            ],
        )
        db.execute(
            SUBSCRIPTION.insert().values(
                id=1,
                platform="discord",
                asker_hash="b" * 64,
                reply_to="u-5",
                review_item_id=1,
                fact_check_id=None,
                request_id=2,
                created_at=T0,
            )
        )
        db.execute(
            SENTREPLY.insert().values(
                id=1,
                platform="telegram",
                chat_id="1001",
                message_id="8",
                fact_check_id=1,
                revision=2,
                pinned=False,
                request_id=1,
                sent_at=T0,
            )
        )
        db.execute(
            NOTIFICATION.insert().values(
                id=1,
                platform="telegram",
                kind="review",
                target="-100",
                fact_check_id=None,
                review_item_id=1,
                revision=None,
                dedupe_key="review:telegram:1",
                status="pending",
                attempts=0,
                last_error=None,
                next_attempt_at=T0,
                created_at=T0,
                delivered_at=None,
            )
        )
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind, as a restored dump would; move them on.
            for table in (
                "factcheck",
                "source",
                "alias",
                "reviewitem",
                "request",
                "subscription",
                "notification",
                "sentreply",
            ):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                db.execute(sa.text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))


def assert_first_release_data(engine: Engine) -> None:
    with Session(engine) as session:
        fact_check = session.get(FactCheck, 1)
        assert fact_check is not None
        assert (fact_check.claim, fact_check.rating_text, fact_check.revision) == (CLAIM, "Pants on fire", 2)
        assert fact_check.checked_at == date(2026, 11, 19) and fact_check.updated_at == T0
        requests = session.exec(select(Request).where(Request.id <= 2).order_by(Request.id)).all()
        assert [(r.platform, r.event_key, r.outcome, r.review_item_id) for r in requests] == [
            ("telegram", "501", "answer", None),
            ("discord", "i-9", "queued", 1),
        ]
        assert requests[0].asked_at == T0 and requests[0].score == pytest.approx(0.93)
        item = session.get(ReviewItem, 1)
        assert item is not None and (item.status, item.ask_count, item.first_asked_at) == ("open", 2, T0)
        subscription = session.get(Subscription, 1)
        assert subscription is not None and (subscription.reply_to, subscription.review_item_id) == ("u-5", 1)
        notification = session.get(Notification, 1)
        assert notification is not None
        assert (notification.kind, notification.status, notification.created_at) == ("review", "pending", T0)
        assert notification.next_attempt_at >= T0  # later once a worker leased it
        sent = session.get(SentReply, 1)
        assert sent is not None and (sent.chat_id, sent.message_id, sent.revision) == ("1001", "8", 2)


def test_upgrade_an_empty_database_and_step_down_and_up(engine: Engine) -> None:
    head, previous = head_and_previous(engine)
    migrate(engine)
    assert current_revision(engine) == head
    assert_schema_matches_models(engine)
    downgrade(engine, "-1")
    assert current_revision(engine) == previous
    migrate(engine)
    assert current_revision(engine) == head
    assert_schema_matches_models(engine)


def test_upgrade_the_first_release_with_its_data(engine: Engine, database_url: str) -> None:
    head, previous = head_and_previous(engine)
    migrate(engine, FIRST_RELEASE)
    assert current_revision(engine) == FIRST_RELEASE
    before = set(inspect(engine).get_table_names())
    assert "feedsource" not in before
    assert "replied_at" not in {c["name"] for c in inspect(engine).get_columns("request")}
    fill_first_release(engine)

    migrate(engine)
    assert current_revision(engine) == head
    assert_schema_matches_models(engine)
    inspector = inspect(engine)
    assert "feedsource" in inspector.get_table_names()  # 0002
    assert "replied_at" in {c["name"] for c in inspector.get_columns("request")}  # 0003
    with engine.connect() as db:  # 0004: a stored fact-check is found by its own link
        links = db.execute(sa.text("SELECT fact_check_id, key, kind FROM claimlink")).all()
    assert [tuple(row) for row in links] == [(1, "factcheck.example/harbour-bridge", "review")]
    assert_first_release_data(engine)
    with Session(engine) as session:
        assert session.get(Request, 1).replied_at is None  # type: ignore[union-attr]

    # The upgraded database works for the service: old fact-checks answer, old notifications deliver,
    # and new rows get fresh ids (sequences carried over).
    service = ClaimService(engine, make_settings(database_url))
    service.load_index()
    outcome = service.ask(
        Question(
            "will the harbour bridge be closed to cyclists",
            Asker("telegram", "9"),
            ChatRef("telegram", "9"),
            event_key="900",
        )
    )
    assert (
        outcome.kind is OutcomeKind.ANSWER and outcome.fact_check is not None and outcome.fact_check.id == 1
    )
    assert outcome.request_id == 3
    deliveries = service.claim_deliveries("telegram")
    assert [(d.id, d.kind, d.target) for d in deliveries] == [(1, "review", "-100")]
    assert deliveries[0].review is not None and deliveries[0].review.ask_count == 2

    counts = row_counts(engine)
    assert counts["request"] == 3 and counts["notification"] == 1
    downgrade(engine, "-1")
    assert current_revision(engine) == previous
    assert row_counts(engine) == counts  # the step down drops a column or table, never rows
    migrate(engine)
    assert current_revision(engine) == head
    assert row_counts(engine) == counts
    assert_first_release_data(engine)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the first release (readable at every revision since)."""
    tables = (
        "factcheck",
        "source",
        "alias",
        "reviewitem",
        "request",
        "subscription",
        "notification",
        "sentreply",
    )
    with engine.connect() as db:
        return {
            t: db.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one() for t in tables
        }


def test_the_head_read_from_the_scripts_is_alembics(engine: Engine) -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_a_database_at_the_head_is_not_migrated_again_and_one_behind_is(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up skips Alembic (a tenth of a second to import) only when there is nothing to do."""
    import alembic.command

    migrate(engine)
    head, previous = head_and_previous(engine)
    upgrades: list[str] = []
    original = alembic.command.upgrade
    monkeypatch.setattr(
        alembic.command, "upgrade", lambda config, rev: upgrades.append(rev) or original(config, rev)
    )
    migrate(engine)
    assert upgrades == []
    downgrade(engine, previous)
    migrate(engine)
    assert upgrades == ["head"] and current_revision(engine) == head
