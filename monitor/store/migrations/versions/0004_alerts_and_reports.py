"""alerts and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("kind", 30),
        _text("fingerprint", 64),
        _text("dedupe_key", 300),
        _text("state", 10),
        _text("title", 500),
        _text("text", 4000),
        _text("link", 2000, nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=True),
        _text("source_id", 200, nullable=True),
        _text("status", 12),
        _text("note", 500, nullable=True),
        _aware("created_at", False),
        _aware("routed_at", True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_dedupe_key"), ["dedupe_key"], unique=True)
        batch_op.create_index(batch_op.f("ix_alert_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_status"), ["status"], unique=False)

    op.create_table(
        "alertdelivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        _text("destination", 200),
        _text("group_key", 300),
        _text("fingerprint", 64),
        _text("delivery_key", 64),
        _text("status", 10),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _aware("next_attempt_at", False),
        _aware("claimed_until", True),
        _text("last_error", 1000, nullable=True),
        _text("channel", 100, nullable=True),
        _text("ts", 40, nullable=True),
        _text("thread_ts", 40, nullable=True),
        _aware("created_at", False),
        _aware("sent_at", True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "destination"),
    )
    with op.batch_alter_table("alertdelivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alertdelivery_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alertdelivery_delivery_key"), ["delivery_key"], unique=True)
        batch_op.create_index(batch_op.f("ix_alertdelivery_destination"), ["destination"], unique=False)
        batch_op.create_index(batch_op.f("ix_alertdelivery_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alertdelivery_status"), ["status"], unique=False)

    op.create_table(
        "alertthread",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("destination", 200),
        _text("fingerprint", 64),
        _text("channel", 100),
        _text("ts", 40),
        _text("title", 500),
        _text("state", 10),
        _aware("last_notified_at", False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("destination", "fingerprint"),
    )
    with op.batch_alter_table("alertthread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alertthread_ts"), ["ts"], unique=False)

    op.create_table(
        "silencerule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        _aware("starts_at", False),
        _aware("ends_at", False),
        _text("reason", 1000),
        _text("created_by", 200),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("kind", 20),
        sa.Column("day", sa.Date(), nullable=False),
        _aware("since", False),
        _aware("until", False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("markdown", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("html", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("slack", sa.JSON(), nullable=False),
        _aware("created_at", False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "day"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_day"))
    op.drop_table("report")
    op.drop_table("silencerule")
    with op.batch_alter_table("alertthread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alertthread_ts"))
    op.drop_table("alertthread")
    with op.batch_alter_table("alertdelivery", schema=None) as batch_op:
        for name in ("status", "sent_at", "destination", "delivery_key", "alert_id"):
            batch_op.drop_index(batch_op.f(f"ix_alertdelivery_{name}"))
    op.drop_table("alertdelivery")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        for name in ("status", "source_id", "kind", "fingerprint", "dedupe_key"):
            batch_op.drop_index(batch_op.f(f"ix_alert_{name}"))
    op.drop_table("alert")
