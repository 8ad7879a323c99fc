"""The scheduler's heartbeat: when it last ticked, read by health checks of the same process (no import cycle)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from monitor.store.models import utcnow

HEARTBEAT_EVERY = timedelta(seconds=15)


class Heartbeat:
    """When the scheduler last ticked: its own job and every finished run beat it; health checks read its age."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: datetime | None = None

    def beat(self, now: datetime | None = None) -> None:
        with self._lock:
            self._at = now or utcnow()

    @property
    def last_beat_at(self) -> datetime | None:
        with self._lock:
            return self._at

    def is_alive(self, *, max_age: timedelta = 3 * HEARTBEAT_EVERY, now: datetime | None = None) -> bool:
        last = self.last_beat_at
        return last is not None and (now or utcnow()) - last <= max_age


heartbeat = Heartbeat()  # the running service's; the status API of the same process reads it
