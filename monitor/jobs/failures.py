"""Make sure a failed poll is recorded on its source, whether the poller recorded it or died before it could."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from monitor.errors import StoreError
from monitor.jobs.runner import error_line
from monitor.store.models import Source
from monitor.store.session import session_scope


@contextmanager
def recorded_on_source(*, engine: Engine, source_id: str, now: datetime, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Re-raise any error of the block after recording it on the source, unless the poller already did.

    The pollers record fetch and parse failures themselves (stamping `last_polled_at = now`); an error in their
    store phase or a bug leaves the source untouched, and the source's health would then lie.
    """
    try:
        yield
    except Exception as exc:
        # If the database itself failed, the run's record (or the log) carries the error instead.
        with suppress(StoreError):
            _record(engine, source_id, now, error_line(exc, secrets))
        raise


def _record(engine: Engine, source_id: str, now: datetime, error: str) -> None:
    with session_scope(engine) as session:
        row = session.get(Source, source_id)
        if row is None or _same_instant(row.last_polled_at, now):
            return
        row.polls += 1
        row.last_polled_at = now
        row.consecutive_failures += 1
        row.last_error = error[:1000]


def _same_instant(stored: datetime | None, now: datetime) -> bool:
    if stored is None:
        return False
    if stored.tzinfo is None:  # SQLite hands back naive datetimes; every stored time is UTC
        stored = stored.replace(tzinfo=UTC)
    return stored == now
