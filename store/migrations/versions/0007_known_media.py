"""knownmedia: fact-checked images and videos by fingerprint; media on requests and review items (issue 16)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel column types appear in generated migrations)
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knownmedia",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_check_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("authenticity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("content_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("hashes", sa.Text(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["fact_check_id"], ["factcheck.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("knownmedia", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knownmedia_fact_check_id"), ["fact_check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_knownmedia_sha256"), ["sha256"], unique=False)
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("media_kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
        batch_op.add_column(sa.Column("media_hashes", sa.Text(), nullable=True))
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("media_kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
        batch_op.add_column(sa.Column("media_hashes", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("media_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.drop_column("media_ref")
        batch_op.drop_column("media_hashes")
        batch_op.drop_column("media_kind")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("media_hashes")
        batch_op.drop_column("media_kind")
    with op.batch_alter_table("knownmedia", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knownmedia_sha256"))
        batch_op.drop_index(batch_op.f("ix_knownmedia_fact_check_id"))
    op.drop_table("knownmedia")
