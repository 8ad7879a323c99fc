"""Shared fixtures: where the real corpus lives, and whether its absence fails (CI) or skips (laptop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def require_corpus() -> Path:
    """The corpus folder; skips the test when absent, fails instead under CI=true."""
    if not CORPUS.is_dir():
        reason = f"the real-data corpus is not at {CORPUS} (it lives beside the project as ../shared/corpus)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return require_corpus()


# -- databases: every store test runs on SQLite and on the PostgreSQL server ---------------------------------------
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from tests.e2e.servers import Host, running_host  # noqa: E402

PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    from monitor.store.session import make_engine

    try:
        engine = make_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (dropped at the end); mandatory under CI=true."""
    from monitor.store.session import make_engine

    if not _postgres_available():
        reason = f"PostgreSQL is not reachable at {PG_ADMIN_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"monitor_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite in tmp_path, or the run's PostgreSQL database truncated after the test."""
    from monitor.store.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'monitor.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    upgrade(url)
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    from sqlmodel import SQLModel

    import monitor.store.models  # noqa: F401
    from monitor.store.session import make_engine

    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    from monitor.store.session import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# -- network peers --------------------------------------------------------------------------------------------------


@pytest.fixture
def host() -> Iterator[Host]:
    """A real HTTP server on 127.0.0.1 serving what a test puts on it (tests/e2e/servers.py)."""
    with running_host() as h:
        yield h
