"""feed sources: saved feeds and HTTP validators of fetched URLs (issue 9)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel column types appear in generated migrations)
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedsource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("saved", sa.Boolean(), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_synced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_result", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedsource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedsource_saved"), ["saved"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedsource_url"), ["url"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("feedsource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedsource_url"))
        batch_op.drop_index(batch_op.f("ix_feedsource_saved"))

    op.drop_table("feedsource")
