"""Sandbox contract-test runs, their per-operation results and the gate's view of them.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitor.store.models import ContractRun, OperationResult, utcnow

FAILING = ("failed", "error")


@dataclass(frozen=True, slots=True)
class OperationStatus:
    """The gate's view of one operation of a sandbox suite: its latest result and what came before it."""

    suite: str
    source_id: str
    operation: str  # `METHOD /path`
    operation_id: str | None
    status: str  # the latest result: passed, failed, error, skipped
    at: datetime
    run_id: int
    failing_since: datetime | None  # the first result of the current unbroken run of failures
    last_passed_at: datetime | None
    flaky: bool  # passed and failed alternated within the recent window
    recent: tuple[str, ...]  # newest first


def start_contract_run(
    *, session: Session, suite: str, source_id: str, base_url: str, phases: list[str], seed: int | None,
    job_run_id: int | None = None, now: datetime | None = None,
) -> ContractRun:  # fmt: skip
    run = ContractRun(suite=suite, source_id=source_id, base_url=base_url, phases=phases, seed=seed,
                      job_run_id=job_run_id, started_at=now or utcnow())  # fmt: skip
    session.add(run)
    session.flush()
    return run


def finish_contract_run(
    *, session: Session, run: ContractRun, status: str, counts: dict[str, Any], error: str | None,
    results: Iterable[dict[str, Any]], now: datetime | None = None,
) -> None:  # fmt: skip
    """Close the run and store one row per operation (`results`: OperationResult fields, already redacted)."""
    at = now or utcnow()
    run.status, run.counts, run.error, run.finished_at = status, counts, error, at
    session.add(run)
    assert run.id is not None
    for row in results:
        session.add(OperationResult(run_id=run.id, suite=run.suite, source_id=run.source_id, at=at, **row))
    session.flush()


def list_contract_runs(*, session: Session, suite: str | None = None, limit: int = 100) -> Sequence[ContractRun]:
    query = select(ContractRun)
    if suite:
        query = query.where(ContractRun.suite == suite)
    return session.exec(
        query.order_by(col(ContractRun.started_at).desc(), col(ContractRun.id).desc()).limit(limit)
    ).all()


def run_results(*, session: Session, run_id: int) -> Sequence[OperationResult]:
    return session.exec(
        select(OperationResult).where(OperationResult.run_id == run_id).order_by(col(OperationResult.operation))
    ).all()


def operation_statuses(
    *, session: Session, suite: str | None = None, source_id: str | None = None, window: int = 10
) -> list[OperationStatus]:
    """Latest status per (suite, source, operation), with failing-since, last pass and a flaky mark.

    Only the newest `window` results per operation are read (a window function), so the cost does not grow with
    history. Flaky: within that window, passes and failures alternate at least twice (pass, fail, pass)."""
    table = OperationResult.__table__  # type: ignore[attr-defined]
    rank = (
        func.row_number()
        .over(
            partition_by=(table.c.suite, table.c.source_id, table.c.operation),
            order_by=(table.c.at.desc(), table.c.id.desc()),
        )
        .label("rank")
    )
    inner = sa_select(table.c.suite, table.c.source_id, table.c.operation, table.c.operation_id, table.c.status,
                      table.c.at, table.c.run_id, rank)  # fmt: skip
    if suite:
        inner = inner.where(table.c.suite == suite)
    if source_id:
        inner = inner.where(table.c.source_id == source_id)
    ranked = inner.subquery()
    rows = session.execute(
        sa_select(ranked)
        .where(ranked.c.rank <= window)
        .order_by(ranked.c.suite, ranked.c.source_id, ranked.c.operation, ranked.c.rank)
    ).all()
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.suite, row.source_id, row.operation), []).append(row)
    return [_operation_status(history) for history in grouped.values()]


def _operation_status(history: list[Any]) -> OperationStatus:
    """`history` is newest first."""
    latest = history[0]
    failing_since = None
    for row in history:
        if row.status not in FAILING:
            break
        failing_since = row.at
    last_passed = next((row.at for row in history if row.status == "passed"), None)
    outcomes = [row.status in FAILING for row in history if row.status != "skipped"]
    flips = sum(1 for a, b in itertools.pairwise(outcomes) if a != b)
    return OperationStatus(
        suite=latest.suite, source_id=latest.source_id, operation=latest.operation, operation_id=latest.operation_id,
        status=latest.status, at=latest.at, run_id=latest.run_id, failing_since=failing_since,
        last_passed_at=last_passed, flaky=flips >= 2, recent=tuple(row.status for row in history),
    )  # fmt: skip
