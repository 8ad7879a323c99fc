"""Job runs: the (job, target, slot) claims that make every scheduled run happen once.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from monitor.store.models import JobRun, utcnow


def claim_run(*, session: Session, job: str, target: str, slot: str, now: datetime | None = None) -> int:
    """Insert the run's row and return its id; the unique (job, target, slot) constraint rejects a second claim.

    A Core INSERT ... RETURNING: it happens once per source per cycle, so no ORM object is built."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    result = session.execute(
        table.insert()
        .values(job=job, target=target, slot=slot, started_at=now or utcnow(), status="running", counts={})
        .returning(table.c.id)
    )
    return int(result.scalar_one())


def claim_runs(
    *, session: Session, job: str, slots: Sequence[tuple[str, str]], now: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Claim many (target, slot) of `job` in one INSERT ... ON CONFLICT DO NOTHING RETURNING: {(target, slot): id}
    of the claims won; a slot claimed already (by anyone, any time) is absent, as `claim_run` would refuse it."""
    if not slots:
        return {}
    table = JobRun.__table__  # type: ignore[attr-defined]
    # Both dialects have ON CONFLICT DO NOTHING (SQLite >= 3.24) and RETURNING (SQLite >= 3.35).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    started_at = now or utcnow()
    rows = [{"job": job, "target": t, "slot": s, "started_at": started_at, "status": "running", "counts": {}}
            for t, s in slots]  # fmt: skip
    query = (
        insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["job", "target", "slot"])
        .returning(table.c.id, table.c.target, table.c.slot)
    )
    return {(t, s): int(i) for i, t, s in session.execute(query)}


def running_runs(*, session: Session) -> Sequence[JobRun]:
    return session.exec(select(JobRun).where(JobRun.status == "running")).all()


def list_runs(*, session: Session, job: str | None = None, limit: int = 200) -> Sequence[JobRun]:
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    return session.exec(query.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)).all()
