"""answer feedback ("was this helpful?") and a report's sections stored at import (issue 14)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel column types appear in generated migrations)
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("factcheck", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sections", sa.Text(), nullable=True))
    op.create_table(
        "answerfeedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("fact_check_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("asker_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("vote", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("phrasing", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("cleared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["fact_check_id"], ["factcheck.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    with op.batch_alter_table("answerfeedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answerfeedback_asker_hash"), ["asker_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_answerfeedback_fact_check_id"), ["fact_check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answerfeedback_phrasing"), ["phrasing"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answerfeedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answerfeedback_phrasing"))
        batch_op.drop_index(batch_op.f("ix_answerfeedback_fact_check_id"))
        batch_op.drop_index(batch_op.f("ix_answerfeedback_asker_hash"))
    op.drop_table("answerfeedback")
    with op.batch_alter_table("factcheck", schema=None) as batch_op:
        batch_op.drop_column("sections")
