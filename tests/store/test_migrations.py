"""Migrations create the schema on SQLite and PostgreSQL, and the unit of work commits or rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from monitor.errors import StoreError
from monitor.store import queries
from monitor.store.migrate import upgrade
from monitor.store.models import Source
from monitor.store.session import session_scope

TABLES = {"source", "specsnapshot", "change", "feedentry", "announceddate", "contract", "contractevent", "jobrun"}


def test_migrations_create_every_table_and_are_idempotent(db: Engine, database_url: str) -> None:
    assert set(inspect(db).get_table_names()) >= TABLES
    upgrade(database_url)  # a second upgrade is a no-op


def test_unit_of_work_rolls_back_on_error(db: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(db) as session:
        queries.ensure_source(session=session, source_id="p/s", platform="p", name="s", kind="spec", url="u")
        raise RuntimeError("boom")
    with session_scope(db) as session:
        assert session.get(Source, "p/s") is None


def test_a_job_slot_can_be_claimed_once(db: Engine) -> None:
    with session_scope(db) as session:
        queries.claim_run(session=session, job="poll-specs", target="p/s", slot="2026-01-01T00:00")
    with pytest.raises(StoreError), session_scope(db) as session:
        queries.claim_run(session=session, job="poll-specs", target="p/s", slot="2026-01-01T00:00")
