"""What every poll does with its failure: one masked line on the source row, then the error goes on to the job run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from sqlalchemy.engine import Engine

from monitor.errors import StoreError
from monitor.redact import error_line, secrets_in_url
from monitor.store import queries
from monitor.store.session import session_scope


@contextmanager
def failures_recorded(engine: Engine, source_id: str, url: str, now: datetime) -> Iterator[None]:
    """Record any failure inside on the source (secrets of `url` masked) and re-raise it; stored data stays intact."""
    try:
        yield
    except Exception as exc:
        # If the database itself is failing, the job run (or the log) keeps the error instead.
        with suppress(StoreError), session_scope(engine) as session:
            queries.record_failure(session=session, source_id=source_id, now=now,
                                   error=error_line(exc, secrets_in_url(url)))  # fmt: skip
        raise
