"""deployment gate

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waiver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("integration", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("environment", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("waiver", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waiver_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_waiver_target"), ["target"], unique=False)
        batch_op.create_index(batch_op.f("ix_waiver_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "gatedecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("environment", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("deployable", sa.Boolean(), nullable=True),
        sa.Column("report_only", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gatedecision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gatedecision_integration"), ["integration"], unique=False)
        batch_op.create_index(batch_op.f("ix_gatedecision_evaluated_at"), ["evaluated_at"], unique=False)

    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("environment", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["gatedecision.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment_integration"), ["integration"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_at"))
        batch_op.drop_index(batch_op.f("ix_deployment_integration"))
    op.drop_table("deployment")
    with op.batch_alter_table("gatedecision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gatedecision_evaluated_at"))
        batch_op.drop_index(batch_op.f("ix_gatedecision_integration"))
    op.drop_table("gatedecision")
    with op.batch_alter_table("waiver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waiver_expires_at"))
        batch_op.drop_index(batch_op.f("ix_waiver_target"))
        batch_op.drop_index(batch_op.f("ix_waiver_kind"))
    op.drop_table("waiver")
