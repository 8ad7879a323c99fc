"""The session helper on the real PostgreSQL server: a connection the server dropped costs one unit of work."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from monitor.errors import StoreError
from monitor.store.session import make_engine, session_scope


def test_a_dropped_connection_fails_one_unit_and_the_next_gets_a_fresh_one(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with session_scope(engine) as session:  # a pooled connection, idle afterwards
            assert session.execute(text("SELECT 1")).scalar() == 1
        with admin.connect() as conn:  # what a server restart does to it
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))  # fmt: skip
        with pytest.raises(StoreError), session_scope(engine) as session:
            session.execute(text("SELECT 1"))
        with session_scope(engine) as session:  # the pool was dropped: a fresh connection
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        admin.dispose()
