"""Readiness proves that writes commit: `/readyz` rewrites a heartbeat row, so a database that answers reads but
refuses writes (read-only file, read-only transaction, full disk) is not ready."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.store.models import Heartbeat
from monitor.store.session import make_engine, session_scope
from tests.api.conftest import serving


def _read_only_engine(database_url: str) -> Engine:
    """The same database, opened so that every read works and every write fails."""
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        return make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return make_engine(database_url, connect_args={"options": "-c default_transaction_read_only=on"})


def _beats(engine: Engine) -> list[Heartbeat]:
    with session_scope(engine) as session:
        return list(session.exec(select(Heartbeat)).all())


def test_readyz_writes_a_heartbeat_and_fails_when_writes_fail(
    settings: Settings, db: Engine, database_url: str
) -> None:
    with serving(settings, db) as server:
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        first = _beats(db)
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        second = _beats(db)
    assert [b.name for b in first] == [b.name for b in second] == ["readyz"]  # one row, rewritten
    assert second[0].at >= first[0].at

    read_only = _read_only_engine(database_url)
    try:
        with serving(settings, read_only) as server:
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
            with read_only.connect() as conn:  # reads still work: a SELECT-only probe would say "ready"
                conn.exec_driver_sql("SELECT 1")
            answer = httpx.get(f"{server.url}/readyz", timeout=10)
        assert answer.status_code == 503
        assert answer.json() == {"error": "unavailable", "message": "the database is unreachable or refuses writes"}
    finally:
        read_only.dispose()
