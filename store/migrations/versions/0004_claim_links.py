"""claimlink: the links that find a fact-check (its own URL, where the claim appeared) (issue 14)

The fact-checks already stored get a row for their own http(s) URL; where their claims appeared is
filled in when their source is imported again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel column types appear in generated migrations)
from alembic import op

from bot.domain.links import link_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    claimlink = op.create_table(
        "claimlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_check_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["fact_check_id"], ["factcheck.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claimlink", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claimlink_fact_check_id"), ["fact_check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claimlink_key"), ["key"], unique=False)

    connection = op.get_bind()
    factcheck = sa.table("factcheck", sa.column("id", sa.Integer), sa.column("url", sa.String))
    rows = []
    for fact_check_id, url in connection.execute(sa.select(factcheck.c.id, factcheck.c.url)):
        key = link_key(url)
        if key is not None:
            rows.append({"fact_check_id": fact_check_id, "key": key, "url": url, "kind": "review"})
        if len(rows) >= 1000:
            op.bulk_insert(claimlink, rows)
            rows = []
    if rows:
        op.bulk_insert(claimlink, rows)


def downgrade() -> None:
    with op.batch_alter_table("claimlink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claimlink_key"))
        batch_op.drop_index(batch_op.f("ix_claimlink_fact_check_id"))

    op.drop_table("claimlink")
