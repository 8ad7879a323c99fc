"""Attack: an SQLite database whose folder or `-shm` file this user cannot write. SQLite in WAL mode writes both; it
used to fail late and obscurely (SIGBUS was reported, killing the service without a log line). Now opening the
database fails at once with one line naming the file and the fix.

Root writes anything, so as root each case runs in a forked child that has dropped to `nobody`."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.errors import StoreError
from monitor.store.session import make_engine

NOBODY = 65534


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder `nobody` can reach (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="monitor-sqlite-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _wal_database(path: Path, *, keep_open: bool = False) -> sqlite3.Connection | None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    if keep_open:
        return conn  # -wal and -shm stay on disk while a connection is open
    conn.close()
    return None


def _as_other_user(give: Callable[[], None]) -> str:
    """Run `give` as a user without write access to what the test locked; the error it raised, as text."""
    if os.geteuid() != 0:
        return _error_of(give)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, try, report, and leave without running any of pytest's teardown
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(write, _error_of(give).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        message = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"the child died of signal {os.WTERMSIG(status)}"
    return message


def _error_of(give: Callable[[], None]) -> str:
    try:
        give()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def _open_and_write(url: str) -> Callable[[], None]:
    def attempt() -> None:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
        finally:
            engine.dispose()

    return attempt


def test_a_read_only_folder_is_a_clear_error(folder: Path) -> None:
    db = folder / "monitor.db"
    _wal_database(db)
    db.chmod(0o666)
    folder.chmod(0o555)  # files made here are root-owned: unwritable for nobody either way
    try:
        message = _as_other_user(_open_and_write(f"sqlite:///{db}"))
    finally:
        folder.chmod(0o755)
    assert message.startswith(f"StoreError: SQLite database {db}: the folder {folder} is not writable"), message
    assert "monitor.db-shm" in message and "database_url" in message


def test_an_unwritable_shm_file_is_a_clear_error(folder: Path) -> None:
    db = folder / "monitor.db"
    live = _wal_database(db, keep_open=True)  # as a crashed or still-running process leaves them
    try:
        assert (folder / "monitor.db-shm").exists()
        folder.chmod(0o777)
        for name in ("monitor.db", "monitor.db-wal"):
            (folder / name).chmod(0o666)
        (folder / "monitor.db-shm").chmod(0o444)
        message = _as_other_user(_open_and_write(f"sqlite:///{db}"))
    finally:
        assert live is not None
        live.close()
    assert message.startswith(f"StoreError: SQLite database {db}: {db}-shm is not writable by this user"), message


def test_a_missing_folder_is_a_clear_error(folder: Path) -> None:
    db = folder / "absent" / "monitor.db"
    with pytest.raises(StoreError, match=r"the folder .*absent does not exist"):
        make_engine(f"sqlite:///{db}")


def test_a_writable_folder_and_an_explicit_read_only_uri_open_as_before(folder: Path) -> None:
    db = folder / "monitor.db"
    _wal_database(db)
    _open_and_write(f"sqlite:///{db}")()
    engine = make_engine(f"sqlite:///file:{db}?mode=ro&uri=true")  # asked for read-only: no write check
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()
