"""Before SQLite opens a database file: the folder and files it will write (WAL mode) must be writable.

In WAL mode SQLite writes three files: the database, `-wal` and `-shm` (shared memory, mapped into every process that
opens the database). A read-only folder or an unwritable `-shm` makes SQLite fail late and obscurely: "unable to open
database file" in the middle of a job, a connection that reads but cannot write, and (reported on some file systems)
a SIGBUS that kills the process without a log line when the mapped `-shm` cannot be written. Checked up front, the
service instead stops at start with one line naming the file and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor.errors import StoreError

WAL_FILES = ("", "-wal", "-shm")


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL; None for an in-memory database or a `file:` URI (it says its own mode,
    `?mode=ro` included)."""
    database = make_url(url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def check_writable(url: str) -> None:
    """Raise StoreError unless this user can write the database's folder and every WAL-mode file that exists."""
    path = sqlite_path(url)
    if path is None:
        return
    folder = path.parent if str(path.parent) else Path(".")
    fix = "make it writable for this user, or point database_url at a writable folder"
    if not folder.is_dir():
        raise StoreError(f"SQLite database {path}: the folder {folder} does not exist; create it, or point "
                         "database_url at an existing folder")  # fmt: skip
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"SQLite database {path}: the folder {folder} is not writable, and SQLite creates "
                         f"{path.name}-wal and {path.name}-shm beside the database (WAL mode); {fix}")  # fmt: skip
    for suffix in WAL_FILES:
        file = Path(f"{path}{suffix}")
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            raise StoreError(f"SQLite database {path}: {file} is not writable by this user (SQLite must write "
                             f"{'it' if not suffix else 'its shared-memory and log files'}); {fix}")  # fmt: skip
