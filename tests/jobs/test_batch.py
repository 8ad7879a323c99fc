"""A cycle's bookkeeping of unchanged sources is batched: few commits, one connection, and a crash loses no change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from monitor.jobs.cycle import run_cycle
from monitor.sources.fetcher import Fetcher
from monitor.store.batch import PollBatch
from monitor.store.models import Alert, Change, JobRun, Source, SpecSnapshot
from monitor.store.session import session_scope
from tests.jobs.spec_host import PLATFORM, V1, V2, SpecHost, orders_version, settings_for

NAMES = ("orders-a", "orders-b", "orders-c")
A, B, C = (f"{PLATFORM}/{name}" for name in NAMES)


@contextmanager
def counted_commits(engine: Engine) -> Iterator[list[int]]:
    commits = [0]

    def count(_conn: Any) -> None:
        commits[0] += 1

    event.listen(engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", count)


def _count(session: Session, model: type[SQLModel], *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_unchanged_sources_are_counted_and_recorded_with_two_commits_per_cycle(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in NAMES}
    settings = settings_for(tmp_path, database_url, specs)
    run_cycle(settings, db, fetcher)
    with counted_commits(db) as commits:
        unchanged = run_cycle(settings, db, fetcher)
        run_cycle(settings, db, fetcher)

    assert {o.counts["outcome"] for o in unchanged} == {"not-modified"}
    # Per cycle: one read of every source's validators, one flush of the batch (was 4 per source).
    assert commits[0] == 4
    with session_scope(db) as session:
        for source_id in (A, B, C):
            row = session.get(Source, source_id)
            assert row is not None and (row.polls, row.not_modified, row.consecutive_failures) == (3, 2, 0)
            assert row.last_polled_at is not None and row.last_success_at == row.last_polled_at
            runs = session.exec(select(JobRun).where(JobRun.target == source_id).order_by(col(JobRun.id))).all()
            assert [(r.status, r.counts["outcome"]) for r in runs] == [
                ("ok", "new-version"), ("ok", "not-modified"), ("ok", "not-modified")
            ]  # fmt: skip
            assert all(r.slot.startswith("manual-") and r.finished_at is not None for r in runs)


def test_polls_of_one_host_share_a_kept_alive_connection(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in NAMES}
    settings = settings_for(tmp_path, database_url, specs)
    run_cycle(settings, db, fetcher, workers=1)
    run_cycle(settings, db, fetcher, workers=1)  # three 304s
    assert sum(host.not_modified.values()) == 3
    # One connection carried all six requests: the 304s (no body) no longer close it.
    assert list(host.connections.values()) == [6]


def test_a_crash_before_the_flush_loses_bookkeeping_only_never_a_change_or_an_alert(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in NAMES}
    settings = settings_for(tmp_path, database_url, specs)
    run_cycle(settings, db, fetcher)
    host.serve("/orders-a.json", orders_version(V2))  # A has a new version; B and C are unchanged

    def die(*_args: object) -> None:
        raise RuntimeError("simulated crash")  # the process dies with the batch still queued

    monkeypatch.setattr(PollBatch, "_write", die)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_cycle(settings, db, fetcher)
    monkeypatch.undo()

    with session_scope(db) as session:
        # A's poll was its own unit of work: its snapshot, changes, alerts and run row are stored.
        assert _count(session, SpecSnapshot, SpecSnapshot.source_id == A) == 2
        changes = _count(session, Change, Change.source_id == A)
        alerts = _count(session, Alert)
        assert changes > 0 and alerts > 0
        assert _count(session, JobRun, JobRun.target == A) == 2
        # B's and C's 304 bookkeeping was lost with the batch: their counters and run rows, nothing else.
        for source_id in (B, C):
            row = session.get(Source, source_id)
            assert row is not None and (row.polls, row.not_modified) == (1, 0)
            assert _count(session, JobRun, JobRun.target == source_id) == 1

    rerun = {o.source_id: o.counts["outcome"] for o in run_cycle(settings, db, fetcher)}
    assert rerun == {A: "not-modified", B: "not-modified", C: "not-modified"}
    with session_scope(db) as session:
        assert _count(session, Change, Change.source_id == A) == changes  # nothing recorded twice
        assert _count(session, Alert) == alerts
        for source_id in (B, C):
            row = session.get(Source, source_id)
            assert row is not None and (row.polls, row.not_modified) == (2, 1)


def test_a_batch_flushes_when_full_and_a_failed_flush_is_logged_not_raised(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in NAMES}
    run_cycle(settings_for(tmp_path, database_url, specs), db, fetcher)
    batch = PollBatch(db, size=2)
    with session_scope(db) as session:
        now = session.get(Source, A).last_polled_at  # type: ignore[union-attr]
    batch.not_modified(A, now)
    assert batch.flushes == 0
    batch.not_modified(B, now)  # the second row fills the batch: written by this call
    assert batch.flushes == 1
    with session_scope(db) as session:
        assert session.get(Source, B).not_modified == 1  # type: ignore[union-attr]
    row = {"job": "poll-specs", "target": C, "slot": "manual-twice", "status": "ok", "started_at": now,
           "finished_at": now, "counts": {}, "error": None}  # fmt: skip
    batch.run_finished(row)
    batch.run_finished(dict(row))  # the same slot twice: the unique claim refuses the batch's transaction
    assert batch.lost == 2 and batch.flushes == 1  # logged and counted; the caller goes on
    with session_scope(db) as session:
        assert _count(session, JobRun, JobRun.slot == "manual-twice") == 0


def test_a_scheduled_run_of_an_unchanged_source_costs_two_commits(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta
    from functools import partial

    from monitor.jobs import poll_specs
    from monitor.jobs.runner import run_job, slot_for

    specs = {"orders-a": host.serve("/orders-a.json", orders_version(V1))}
    settings = settings_for(tmp_path, database_url, specs)
    run_cycle(settings, db, fetcher)
    slot = slot_for(datetime.now(UTC), timedelta(hours=1))
    fn = partial(poll_specs.run, settings, db, fetcher, A, None)
    with counted_commits(db) as commits:
        result = run_job(engine=db, job=poll_specs.JOB, target=A, slot=slot, fn=fn)
    assert result is not None and result.counts["outcome"] == "not-modified"
    # The claim (with the validators read in it), then the end (with the poll's counters): was four.
    assert commits[0] == 2
    assert run_job(engine=db, job=poll_specs.JOB, target=A, slot=slot, fn=fn) is None  # the slot ran once
    with session_scope(db) as session:
        row = session.get(Source, A)
        assert row is not None and (row.polls, row.not_modified) == (2, 1)
        (run,) = session.exec(select(JobRun).where(JobRun.slot == slot)).all()
        assert (run.status, run.counts["outcome"]) == ("ok", "not-modified")
