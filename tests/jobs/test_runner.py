"""run_job claims a slot once, records ok or error with counts, masks secrets and never lets an error escape."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.errors import FetchError
from monitor.jobs.runner import mark_interrupted, run_job, slot_for
from monitor.store import queries
from monitor.store.models import JobRun
from monitor.store.session import session_scope


def test_slot_is_the_interval_start_on_the_epoch_grid() -> None:
    at = datetime(2026, 3, 1, 14, 37, 12, tzinfo=UTC)
    assert slot_for(at, timedelta(hours=6)) == "2026-03-01T12:00:00+00:00"
    assert slot_for(at, timedelta(minutes=15)) == "2026-03-01T14:30:00+00:00"
    odd = slot_for(at, timedelta(seconds=1.5))
    assert odd.endswith(("0+00:00", "5+00:00")) and "." in odd
    assert at - timedelta(seconds=1.5) < datetime.fromisoformat(odd) <= at
    # The same instant seen by a restarted process (or in another zone) is the same slot.
    assert slot_for(at.astimezone(UTC).replace(tzinfo=None), timedelta(hours=6)) == "2026-03-01T12:00:00+00:00"
    assert slot_for(at + timedelta(hours=1), timedelta(hours=6)) == slot_for(at, timedelta(hours=6))
    assert slot_for(at + timedelta(hours=6), timedelta(hours=6)) != slot_for(at, timedelta(hours=6))
    with pytest.raises(ValueError):
        slot_for(at, timedelta(0))


def test_a_slot_runs_once_and_a_second_claim_is_skipped(db: Engine, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def fn() -> dict[str, int]:
        calls.append(1)
        return {"polled": 1}

    first = run_job(engine=db, job="poll-specs", target="p/s", slot="2026-01-01T00:00:00+00:00", fn=fn)
    with caplog.at_level(logging.INFO, logger="monitor.jobs"):
        second = run_job(engine=db, job="poll-specs", target="p/s", slot="2026-01-01T00:00:00+00:00", fn=fn)
    assert first is not None and first.status == "ok" and first.counts == {"polled": 1}
    assert second is None
    assert calls == [1]
    assert any("already claimed" in r.getMessage() and getattr(r, "target", None) == "p/s" for r in caplog.records)
    with session_scope(db) as session:
        (row,) = queries.list_runs(session=session)
        assert (row.status, row.counts, row.error, row.finished_at is not None) == ("ok", {"polled": 1}, None, True)


def test_an_error_is_recorded_on_one_line_with_secrets_masked(db: Engine, caplog: pytest.LogCaptureFixture) -> None:
    def fn() -> dict[str, int]:
        raise ValueError("boom at https://api.example.com/spec?api_key=hunter2\nsecond line s3cr3t")

    with caplog.at_level(logging.INFO, logger="monitor.jobs"):
        run = run_job(engine=db, job="poll-specs", target="p/s", slot="s1", fn=fn, secrets=["s3cr3t"])
    assert run is not None and run.status == "error"
    assert run.error == "ValueError: boom at https://api.example.com/spec?api_key=*** second line ***"
    with session_scope(db) as session:
        (row,) = queries.list_runs(session=session)
        assert row.status == "error" and row.error == run.error
    # An unexpected error is logged once, with its traceback, and still masked.
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    text = record.getMessage()
    assert "Traceback" in text and "hunter2" not in text and "s3cr3t" not in text
    assert (record.job, record.target) == ("poll-specs", "p/s")  # type: ignore[attr-defined]


def test_our_own_errors_are_logged_without_traceback(db: Engine, caplog: pytest.LogCaptureFixture) -> None:
    def fn() -> dict[str, int]:
        raise FetchError("GET http://127.0.0.1:1/spec: HTTP 500 after 3 attempts")

    with caplog.at_level(logging.INFO, logger="monitor.jobs"):
        run = run_job(engine=db, job="poll-specs", target="p/s", slot="s1", fn=fn)
    assert run is not None and run.error == "GET http://127.0.0.1:1/spec: HTTP 500 after 3 attempts"
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"]
    assert "Traceback" not in caplog.text


def test_an_unstorable_result_is_the_runs_error_not_a_crash(db: Engine) -> None:
    run = run_job(engine=db, job="j", target="t", slot="s", fn=lambda: 42)  # type: ignore[arg-type,return-value]
    assert run is not None and run.status == "error" and run.error is not None and "TypeError" in run.error


def test_runs_a_killed_process_left_running_are_closed_and_their_slot_runs_again(db: Engine) -> None:
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(db) as session:  # what a process killed mid-run leaves: claims without an end
        queries.claim_run(session=session, job="poll-specs", target="p/s", slot="2026-01-01T00:00:00+00:00",
                          now=long_ago)  # fmt: skip
        queries.claim_run(session=session, job="poll-specs", target="p/s", slot="manual-" + "0" * 32, now=long_ago)
    assert mark_interrupted(engine=db, started_before=long_ago + timedelta(minutes=1)) == 2
    with session_scope(db) as session:
        rows = session.exec(select(JobRun).order_by(JobRun.id)).all()  # type: ignore[arg-type]
        assert [r.status for r in rows] == ["error", "error"]
        assert all(r.error is not None and r.error.startswith("interrupted") for r in rows)
        assert [r.slot for r in rows] == [f"2026-01-01T00:00:00+00:00~{rows[0].id}", "manual-" + "0" * 32]
    assert mark_interrupted(engine=db, started_before=long_ago + timedelta(minutes=1)) == 0
    # The interrupted scheduled slot runs again after the restart; it then stays claimed.
    rerun = run_job(engine=db, job="poll-specs", target="p/s", slot="2026-01-01T00:00:00+00:00", fn=dict)
    assert rerun is not None and rerun.status == "ok"
    assert run_job(engine=db, job="poll-specs", target="p/s", slot="2026-01-01T00:00:00+00:00", fn=dict) is None
