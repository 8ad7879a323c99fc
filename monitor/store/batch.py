"""A poll cycle's bookkeeping, written a batch at a time instead of in a few transactions per source.

An unchanged source (answered 304) changes nothing but bookkeeping: its poll counters and times, and its job-run
row. A cycle over 1,000 such sources used to spend four transactions on each (claim the run, read the source's
validators, count the poll, record the run's end), about half of its CPU. With a `PollBatch`:

* the validators of every source are read with one SELECT, the first time one is asked for;
* an unchanged poll's counters and its finished run row are queued, and written `size` at a time, in one
  transaction holding two multi-row statements.

What a crash can lose is bounded by the batch: the queued bookkeeping (a few hundred counters and run rows),
never a change, a snapshot or an alert, since everything else a poll finds is written in its own unit of work
as before. The batch is handed to the poll through a context variable (`current_batch`), so the job functions
keep the one signature the scheduler and the distributed workers call them with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import monitor.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from monitor.errors import StoreError
from monitor.redact import error_line
from monitor.store.session import session_scope

log = logging.getLogger("monitor.store")

BATCH_SIZE = 200  # rows per flush: 2 statements per 200 unchanged sources; a crash loses at most this much bookkeeping

SourceState = tuple[str | None, str | None, str | None, str, str]  # etag, last_modified, content_hash, url, kind

current_batch: ContextVar[PollBatch | None] = ContextVar("current_batch", default=None)


def _tables() -> tuple[Any, Any]:
    return SQLModel.metadata.tables["source"], SQLModel.metadata.tables["jobrun"]


class PollBatch:
    """Queued bookkeeping of one cycle (thread-safe); `flush()` writes it, and a cycle flushes at its end.

    **Parameters:**
    * **engine** - the database.
    * **size** - queued rows that trigger a flush by the thread that queues the last of them.
    """

    def __init__(self, engine: Engine, *, size: int = BATCH_SIZE) -> None:
        self.engine = engine
        self.size = size
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time keeps the rows of a batch in queue order
        self._states: dict[str, SourceState] | None = None
        self._polls: list[dict[str, Any]] = []
        self._runs: list[dict[str, Any]] = []
        self._ends: list[dict[str, Any]] = []
        self.flushes = 0
        self.lost = 0  # rows a failed flush could not write (logged)

    # -- reads ----------------------------------------------------------------------------------------------------
    def state(self, source_id: str) -> SourceState | None:
        """A source's validators as they were when the cycle first asked (each source is polled once a cycle)."""
        with self._lock:
            if self._states is None:
                self._states = self._load_states()
            return self._states.get(source_id)

    def _load_states(self) -> dict[str, SourceState]:
        with session_scope(self.engine) as session:
            return _states(session)

    def preload(self, session: Session, source_ids: str | Sequence[str]) -> None:
        """Read sources' validators in the caller's transaction (a run or a batch of runs: its claim's transaction)."""
        found = _states(session, [source_ids] if isinstance(source_ids, str) else source_ids)
        with self._lock:
            self._states = {**(self._states or {}), **found}

    # -- queued writes ------------------------------------------------------------------------------------------------
    def not_modified(self, source_id: str, now: datetime) -> None:
        """Count a 304 poll of `source_id` (what `queries.record_success(not_modified=True)` writes)."""
        self._queue(self._polls, {"b_id": source_id, "b_now": now})

    def run_finished(self, row: dict[str, Any]) -> None:
        """A finished job run's complete row (job, target, slot, status, started_at, finished_at, counts, error)."""
        self._queue(self._runs, row)

    def pending(self) -> int:
        """Rows queued and not written yet."""
        with self._lock:
            return len(self._polls) + len(self._runs) + len(self._ends)

    def run_ended(self, run_id: int, *, status: str, started_at: datetime, finished_at: datetime,
                  counts: dict[str, Any], error: str | None) -> None:  # fmt: skip
        """The end of a claimed job run (its row exists, `running`): written as an UPDATE by id."""
        self._queue(self._ends, {"b_run_id": run_id, "b_status": status, "b_started_at": started_at,
                                 "b_finished_at": finished_at, "b_counts": counts, "b_error": error})  # fmt: skip

    def _queue(self, rows: list[dict[str, Any]], row: dict[str, Any]) -> None:
        with self._lock:
            rows.append(row)
            is_full = len(self._polls) + len(self._runs) + len(self._ends) >= self.size
        if is_full:
            self.flush()

    def flush(self) -> None:
        """Write what is queued in one transaction; a database failure is logged and the rows counted as lost."""
        with self._flush_lock:
            polls, runs, ends = self._take()
            if not polls and not runs and not ends:
                return
            try:
                self._write(polls, runs, ends)
            except StoreError as exc:  # bookkeeping only: the polls' findings are committed already
                lost = len(polls) + len(runs) + len(ends)
                self.lost += lost
                log.error("cannot record the bookkeeping of %d polls: %s", lost, error_line(exc))
            else:
                self.flushes += 1

    def _write(self, polls: list[dict[str, Any]], runs: list[dict[str, Any]], ends: list[dict[str, Any]]) -> None:
        with session_scope(self.engine) as session:
            _write_rows(session, polls, runs, ends)

    def _take(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        with self._lock:
            taken = self._polls, self._runs, self._ends
            self._polls, self._runs, self._ends = [], [], []
        return taken

    def write_in(self, session: Session) -> None:
        """Write what is queued in the caller's transaction (a single run: the one recording its end)."""
        _write_rows(session, *self._take())


def _states(session: Session, source_ids: Sequence[str] | None = None) -> dict[str, SourceState]:
    source, _ = _tables()
    query = select(source.c.id, source.c.etag, source.c.last_modified, source.c.content_hash, source.c.url,
                   source.c.kind)  # fmt: skip
    if source_ids is not None:
        query = query.where(source.c.id.in_(source_ids))
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in session.execute(query)}


def _write_rows(
    session: Session, polls: list[dict[str, Any]], runs: list[dict[str, Any]], ends: list[dict[str, Any]]
) -> None:
    source, jobrun = _tables()
    conn = session.connection()
    if polls:  # one executemany; the counters add up even if another process polls the same source
        conn.execute(
            update(source)
            .where(source.c.id == bindparam("b_id"))
            .values(
                polls=source.c.polls + 1,
                not_modified=source.c.not_modified + 1,
                last_polled_at=bindparam("b_now"),
                last_success_at=bindparam("b_now"),
                consecutive_failures=0,
                last_error=None,
            ),
            polls,
        )
    if runs:
        conn.execute(jobrun.insert(), runs)
    if ends:  # one executemany of UPDATEs by primary key
        conn.execute(
            update(jobrun)
            .where(jobrun.c.id == bindparam("b_run_id"))
            .values(
                status=bindparam("b_status"),
                started_at=bindparam("b_started_at"),
                finished_at=bindparam("b_finished_at"),
                counts=bindparam("b_counts"),
                error=bindparam("b_error"),
            ),
            ends,
        )


@contextmanager
def batched(batch: PollBatch | None) -> Iterator[None]:
    """Make `batch` the current one in this thread (or context) for the duration of one poll."""
    token = current_batch.set(batch)
    try:
        yield
    finally:
        current_batch.reset(token)


__all__ = ["BATCH_SIZE", "PollBatch", "SourceState", "batched", "current_batch"]
