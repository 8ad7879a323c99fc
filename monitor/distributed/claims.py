"""Take over a slot whose run died with its worker, so the retried job runs it instead of skipping it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from monitor.jobs.runner import SLOT_MAX_CHARS
from monitor.store.models import utcnow
from monitor.store.session import session_scope

DEAD_RUN_ERROR = "interrupted: its worker died before the run finished; retried by another worker"


def release_dead_claim(*, engine: Engine, job: str, target: str, slot: str, now: datetime | None = None) -> bool:
    """Close a `running` claim of (job, target, slot) and free the slot; False when the slot ran to an end.

    Called by a retried job only. The tick defers a slot while no job of its target is pending, and a stalled job
    stays pending until it is retried, so the retry is the one live job of this slot: a `running` row of the slot
    is its own earlier attempt, on a worker that died. That attempt's unit of work was rolled back (or committed whole:
    polls are idempotent), so running the slot again records nothing twice. The row keeps its history under
    `<slot>~<run id>`, as `runner.mark_interrupted` does after a single-process restart.
    """
    table = SQLModel.metadata.tables["jobrun"]
    with session_scope(engine) as session:
        row = session.execute(
            select(table.c.id, table.c.status)
            .where(table.c.job == job, table.c.target == target, table.c.slot == slot)
            .with_for_update()
        ).first()
        if row is None:
            return True  # nothing holds the slot any more
        if row.status != "running":
            return False
        released = f"{slot}~{row.id}"
        if len(released) > SLOT_MAX_CHARS:
            return False  # cannot happen with ISO slots; never overwrite a slot we cannot keep history for
        session.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(status="error", finished_at=now or utcnow(), error=DEAD_RUN_ERROR, slot=released)
        )
    return True
