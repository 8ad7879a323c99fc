"""Take over slots whose run died with its worker, so the retried job runs them instead of skipping them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from monitor.jobs.runner import SLOT_MAX_CHARS
from monitor.store.models import utcnow
from monitor.store.session import session_scope

DEAD_RUN_ERROR = "interrupted: its worker died before the run finished; retried by another worker"


def release_dead_claims(
    *, engine: Engine, job: str, slots: Sequence[tuple[str, str]], now: datetime | None = None
) -> list[tuple[str, str]]:
    """Close the `running` claims of `job` on these (target, slot) and free the slots: the ones released.

    Called by a retried job only (a single run or a batch). The tick defers a slot while no job of its target is
    pending, and a stalled job stays pending until it is retried, so the retry is the one live job of its slots:
    a `running` row of one of them is its own earlier attempt, on a worker that died. That attempt's unit of work
    for the slot was rolled back (or committed whole: polls are idempotent), so running the slot again records
    nothing twice. A slot whose end was recorded is left alone: the retry's claim skips it. Each released row
    keeps its history under `<slot>~<run id>`, as `runner.mark_interrupted` does after a single-process restart.
    """
    if not slots:
        return []
    table = SQLModel.metadata.tables["jobrun"]
    released = []
    with session_scope(engine) as session:
        rows = session.execute(
            select(table.c.id, table.c.target, table.c.slot)
            .where(
                table.c.job == job, table.c.status == "running", tuple_(table.c.target, table.c.slot).in_(list(slots))
            )
            .with_for_update()
        ).all()
        for run_id, target, slot in rows:
            kept = f"{slot}~{run_id}"
            if len(kept) > SLOT_MAX_CHARS:
                continue  # cannot happen with ISO slots; never overwrite a slot we cannot keep history for
            session.execute(
                update(table)
                .where(table.c.id == run_id)
                .values(status="error", finished_at=now or utcnow(), error=DEAD_RUN_ERROR, slot=kept)
            )
            released.append((target, slot))
    return released


def release_dead_claim(*, engine: Engine, job: str, target: str, slot: str, now: datetime | None = None) -> bool:
    """`release_dead_claims` for one slot; False when the slot ran to an end (its claim is kept)."""
    table = SQLModel.metadata.tables["jobrun"]
    with engine.connect() as conn:
        status = conn.execute(
            select(table.c.status).where(table.c.job == job, table.c.target == target, table.c.slot == slot)
        ).scalar()
    if status is None:
        return True  # nothing holds the slot any more
    return bool(release_dead_claims(engine=engine, job=job, slots=[(target, slot)], now=now))
