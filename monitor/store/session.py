"""The database engine and the unit of work: commit on success, roll back on any exception."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from monitor.errors import StoreError
from monitor.redact import redact_url
from monitor.store.sqlite_files import check_writable

SQLITE_BUSY_TIMEOUT_MS = 30_000  # a poll cycle's writes are short; 30 s covers a concurrent CLI command


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""
    if url.startswith("sqlite"):
        check_writable(url)  # a read-only folder or -shm file: one clear error now, not a crash mid-job
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it is a round trip on every checkout (a fifth of a 304 poll's database time). A connection that
    # died with the server fails its one unit of work; SQLAlchemy then drops the whole pool, and the next slot (or
    # request) gets fresh connections. Connections are recycled hourly so no idle one outlives a server's timeout.
    return create_engine(url, pool_recycle=3600, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work. Database errors surface as StoreError naming the database (secrets masked)."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StoreError(f"database error on {redact_url(str(engine.url))}: {type(exc).__name__}: {exc.orig or exc}"
                         if hasattr(exc, "orig") else f"database error: {exc}") from exc  # fmt: skip
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
