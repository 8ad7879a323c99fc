"""Failed polls are tried again soon: 1, 2, 4 ... minutes after each failure in a row, never later than the interval.

Without this a source that fails once (a timeout, a 502) waits for its next regular slot, six hours for a spec.
The retry is a one-off APScheduler job beside the regular one; its time is stored on the source
(`Source.next_retry_at`) so health checks and the dashboard show when the next try is.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from monitor.redact import error_line
from monitor.store.models import Source
from monitor.store.session import session_scope

log = logging.getLogger("monitor.scheduler")

FIRST_RETRY = timedelta(minutes=1)
JITTER = 0.2  # up to a fifth earlier: sources that failed together (a platform outage) do not retry together


def retry_delay(failures: int, every: timedelta, *, rng: random.Random | None = None) -> timedelta:
    """The wait before the next try after `failures` failures in a row: 1, 2, 4 ... minutes, capped at `every`."""
    base = min(every, FIRST_RETRY * 2 ** min(max(failures, 1) - 1, 20))
    return base * (1 - JITTER * (rng or random).random())


class Retries:
    """One pending retry per target (`retry:<job id>`), with the failures counted in a row; a success resets."""

    def __init__(self, scheduler: BaseScheduler, engine: Engine, *, rng: random.Random | None = None) -> None:
        self.scheduler, self.engine, self.rng = scheduler, engine, rng or random.Random()
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def failures(self, job_id: str) -> int:
        with self._lock:
            return self._failures.get(job_id, 0)

    def after_failure(self, *, job_id: str, source_id: str, every: timedelta, now: datetime,
                      run: Callable[[], None]) -> datetime:  # fmt: skip
        """Schedule `run` again after the backoff; returns when."""
        with self._lock:
            failures = self._failures[job_id] = self._failures.get(job_id, 0) + 1
        at = now + retry_delay(failures, every, rng=self.rng)
        self.scheduler.add_job(run, DateTrigger(run_date=at), id=f"retry:{job_id}", name=f"retry {job_id}",
                               replace_existing=True, misfire_grace_time=None)  # fmt: skip
        self._store(source_id, at)
        log.debug("%s: retry %d at %s", job_id, failures, at.isoformat(timespec="seconds"))  # health shows it
        return at

    def after_success(self, *, job_id: str, source_id: str) -> None:
        with self._lock:
            had = self._failures.pop(job_id, 0)
        if not had:
            return
        with suppress(JobLookupError):  # it was the retry that succeeded: already gone
            self.scheduler.remove_job(f"retry:{job_id}")
        self._store(source_id, None)

    def _store(self, source_id: str, at: datetime | None) -> None:
        try:
            with session_scope(self.engine) as session:
                session.execute(update(Source).where(col(Source.id) == source_id).values(next_retry_at=at))
        except Exception as exc:  # health shows it; the retry itself is scheduled either way
            log.warning("%s: cannot store the retry time: %s", source_id, error_line(exc))


# -- distributed mode: the retry time lives on the source, and the tick defers the retry when it comes ---------------


def retry_slot(at: datetime) -> str:
    """The slot of a retry run: named after its moment, so each retry is claimed once whichever worker runs it."""
    return f"retry-{at.isoformat(timespec='seconds')}"


def store_outcome(*, engine: Engine, source_id: str, every: timedelta, ok: bool, now: datetime,
                  rng: random.Random | None = None) -> datetime | None:  # fmt: skip
    """After a poll run by a worker: a failure sets `next_retry_at` from the failures in a row, a success clears
    it. Returns the retry time (None after a success, or for a target that is not a source, such as a sandbox)."""
    with session_scope(engine) as session:
        source = session.get(Source, source_id)
        if source is None:
            return None
        if ok:
            if source.next_retry_at is not None:
                source.next_retry_at = None
            return None
        at = now + retry_delay(source.consecutive_failures or 1, every, rng=rng)
        source.next_retry_at = at
        return at


def clear_retries(*, engine: Engine, source_ids: list[str]) -> None:
    """`store_outcome` after many successful polls at once: their pending retry times, if any, are cleared."""
    if not source_ids:
        return
    with session_scope(engine) as session:
        session.execute(
            update(Source)
            .where(col(Source.id).in_(source_ids), col(Source.next_retry_at).is_not(None))
            .values(next_retry_at=None)
        )
