"""reviewitem: the media's caption and the text read in it; media_ref long enough for an attachment URL

Moderators are shown a review item's photo or video from where the platform keeps it (issue 16): a
Telegram message to copy fits in 200 characters, a signed Discord attachment URL does not.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel column types appear in generated migrations)
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_REF = 200


def upgrade() -> None:
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.alter_column(
            "media_ref",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=OLD_REF),
            type_=sqlmodel.sql.sqltypes.AutoString(length=2048),
            existing_nullable=True,
        )
        batch_op.add_column(sa.Column("media_caption", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("media_text", sa.Text(), nullable=True))


def downgrade() -> None:
    item = sa.table("reviewitem", sa.column("media_ref", sa.String()))
    # A reference that no longer fits is dropped: moderators then see the item without its media.
    op.execute(item.update().where(sa.func.length(item.c.media_ref) > OLD_REF).values(media_ref=None))
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.drop_column("media_text")
        batch_op.drop_column("media_caption")
        batch_op.alter_column(
            "media_ref",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=2048),
            type_=sqlmodel.sql.sqltypes.AutoString(length=OLD_REF),
            existing_nullable=True,
        )
