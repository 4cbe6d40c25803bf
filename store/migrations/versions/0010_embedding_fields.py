"""embedding.fields: the claim, title and summary vectors stored with a fact-check's vector (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: existing vectors get their fields from the next `claimbot index` (until then the
    # matcher encodes a best match's fields when it needs them, as before).
    with op.batch_alter_table("embedding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fields", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("embedding", schema=None) as batch_op:
        batch_op.drop_column("fields")
