"""traffic observations: captures observed once each

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Observed drift itself lives in the `change` table (against = "observed"); this table only remembers which
captures were already observed, so a dropped file is picked up once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observedcapture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "content_hash"),
    )
    with op.batch_alter_table("observedcapture", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observedcapture_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("observedcapture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observedcapture_source_id"))
    op.drop_table("observedcapture")
