"""The scheduler's heartbeat: when it last ticked, read by the status API (no import cycle between them).

`monitor run` serves the API from a child process (monitor/api/process.py): there the heartbeat is read from
shared memory that the service's beats write (`shared()` / `Heartbeat.reading`).
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.store.models import utcnow

HEARTBEAT_EVERY = timedelta(seconds=15)


class Heartbeat:
    """When the scheduler last ticked: its own job and every finished run beat it; health checks read its age."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: datetime | None = None
        self._shared: Any = None  # a multiprocessing RawValue("d"): seconds since the epoch, 0.0 before any beat

    def beat(self, now: datetime | None = None) -> None:
        with self._lock:
            self._at = now or utcnow()
            if self._shared is not None:
                self._shared.value = self._at.timestamp()  # one aligned double: written and read whole

    def shared(self) -> Any:
        """The beats in shared memory (made on first call, then kept up to date), to hand to a child process at its
        start: there `Heartbeat.reading(value)` sees every later beat of this one."""
        with self._lock:
            if self._shared is None:
                at = self._at.timestamp() if self._at is not None else 0.0
                self._shared = multiprocessing.get_context("spawn").RawValue("d", at)
            return self._shared

    @classmethod
    def reading(cls, shared: Any) -> Heartbeat:
        """A heartbeat that reads (and would write) the shared beats of another process's `shared()`."""
        beat = cls()
        beat._shared = shared
        return beat

    @property
    def last_beat_at(self) -> datetime | None:
        with self._lock:
            if self._shared is not None:
                at = float(self._shared.value)
                return datetime.fromtimestamp(at, UTC) if at else None
            return self._at

    def is_alive(self, *, max_age: timedelta = 3 * HEARTBEAT_EVERY, now: datetime | None = None) -> bool:
        last = self.last_beat_at
        return last is not None and (now or utcnow()) - last <= max_age


heartbeat = Heartbeat()  # the running service's; the status API reads it (app.state.heartbeat)
