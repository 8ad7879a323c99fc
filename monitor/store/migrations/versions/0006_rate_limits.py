"""rate limits: observed in contract runs, announced in feeds

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "observedlimit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        _text("suite", 100),
        _text("source_id", 200),
        _text("operation", 500),
        sa.Column("rate", sa.Float(), nullable=True),
        _text("header", 100, nullable=True),
        _text("value", 200, nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        _aware("seen_at", False),
        sa.ForeignKeyConstraint(["run_id"], ["contractrun.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_observedlimit_run_id", "observedlimit", ["run_id"])
    op.create_index("ix_observedlimit_suite", "observedlimit", ["suite"])
    op.create_index("ix_observedlimit_source_id", "observedlimit", ["source_id"])
    op.create_index("ix_observedlimit_seen_at", "observedlimit", ["seen_at"])
    op.create_table(
        "announcedlimit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        _text("operation", 300),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("burst", sa.Integer(), nullable=True),
        _text("text", 500),
        _aware("announced_at", False),
        sa.ForeignKeyConstraint(["entry_id"], ["feedentry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_announcedlimit_entry_id", "announcedlimit", ["entry_id"])
    op.create_index("ix_announcedlimit_operation", "announcedlimit", ["operation"])


def downgrade() -> None:
    op.drop_table("announcedlimit")
    op.drop_table("observedlimit")
