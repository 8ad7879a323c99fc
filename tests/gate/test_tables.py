"""The gate's tables come from migration 0003 on SQLite and PostgreSQL, with the columns the code writes."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine


def test_migration_creates_the_gate_tables(db: Engine) -> None:
    inspector = inspect(db)
    assert {"waiver", "gatedecision", "deployment"} <= set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("waiver")}
    assert {"kind", "target", "reason", "author", "expires_at", "revoked_at", "integration", "environment"} <= columns
    expires = next(c for c in inspector.get_columns("waiver") if c["name"] == "expires_at")
    assert expires["nullable"] is False  # an ack without an expiry cannot even be stored
