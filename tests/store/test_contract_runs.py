"""Contract run results as the gate reads them: latest status per operation, failing since, flaky."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from monitor.store import queries
from monitor.store.session import session_scope

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _run(engine: Engine, at: datetime, statuses: dict[str, str], suite: str = "amazon") -> int:
    with session_scope(engine) as session:
        run = queries.start_contract_run(session=session, suite=suite, source_id=f"{suite}/orders",
                                         base_url="http://127.0.0.1:1", phases=["examples"], seed=0, now=at)  # fmt: skip
        rows = [
            {"operation": op, "operation_id": op.split()[-1], "status": s, "cases": 1} for op, s in statuses.items()
        ]
        failed = any(s in ("failed", "error") for s in statuses.values())
        queries.finish_contract_run(session=session, run=run, status="failed" if failed else "passed",
                                    counts={"operations": len(rows)}, error=None, results=rows, now=at)  # fmt: skip
        assert run.id is not None
        return run.id


def test_latest_status_failing_since_and_flaky(db: Engine) -> None:
    history = [
        {"GET /a": "passed", "GET /b": "passed", "GET /c": "passed"},
        {"GET /a": "failed", "GET /b": "passed", "GET /c": "failed"},
        {"GET /a": "passed", "GET /b": "failed", "GET /c": "error"},
        {"GET /a": "failed", "GET /b": "failed", "GET /c": "failed"},
    ]
    ids = [_run(db, T0 + timedelta(hours=i), statuses) for i, statuses in enumerate(history)]
    _run(db, T0 + timedelta(hours=9), {"GET /a": "passed"}, suite="ebay")  # another suite stays apart

    with session_scope(db) as session:
        by_op = {s.operation: s for s in queries.operation_statuses(session=session, suite="amazon")}
        everything = queries.operation_statuses(session=session)
        runs = queries.list_contract_runs(session=session, suite="amazon")
        results = queries.run_results(session=session, run_id=ids[-1])

    assert set(by_op) == {"GET /a", "GET /b", "GET /c"}
    a, b, c = by_op["GET /a"], by_op["GET /b"], by_op["GET /c"]
    assert (a.status, a.flaky, a.recent) == ("failed", True, ("failed", "passed", "failed", "passed"))
    assert a.failing_since is not None and a.failing_since.replace(tzinfo=UTC) == T0 + timedelta(hours=3)
    assert (b.status, b.flaky) == ("failed", False)  # broke once and stayed broken: failing, not flaky
    assert b.failing_since is not None and b.failing_since.replace(tzinfo=UTC) == T0 + timedelta(hours=2)
    assert b.last_passed_at is not None and b.last_passed_at.replace(tzinfo=UTC) == T0 + timedelta(hours=1)
    assert c.failing_since is not None and c.failing_since.replace(tzinfo=UTC) == T0 + timedelta(hours=1)
    assert c.run_id == ids[-1]
    assert len(everything) == 4
    assert [r.id for r in runs] == ids[::-1]
    assert [r.operation for r in results] == ["GET /a", "GET /b", "GET /c"]


def test_window_limits_history(db: Engine) -> None:
    for i in range(6):
        _run(db, T0 + timedelta(hours=i), {"GET /a": "passed" if i % 2 else "failed"})
    with session_scope(db) as session:
        (status,) = queries.operation_statuses(session=session, window=3)
    assert len(status.recent) == 3 and status.flaky
