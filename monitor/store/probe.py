"""The write probe behind `/readyz`: rewrite one heartbeat row and commit, as cheaply as a write can be."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from monitor.store.models import Heartbeat, utcnow


def write_probe(engine: Engine, *, name: str = "readyz", now: datetime | None = None) -> None:
    """Update (or create) the heartbeat row `name` in its own transaction; raises whatever the database raises.

    A commit is what fails on a full disk or a read-only file or database, so a rolled-back write would prove
    nothing. One row per name, updated in place: the table never grows."""
    at = now or utcnow()
    with engine.begin() as conn:
        updated = conn.execute(update(Heartbeat).where(Heartbeat.name == name).values(at=at))  # type: ignore[arg-type]
        if updated.rowcount:
            return
    try:
        with engine.begin() as conn:
            conn.execute(Heartbeat.__table__.insert().values(name=name, at=at))  # type: ignore[attr-defined]
    except IntegrityError:
        pass  # another process created it a moment ago: its commit proved the same
