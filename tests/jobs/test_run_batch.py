"""Scheduled slots run in batches (distributed mode): one claim, one write of the unchanged ends, and a crash
mid-batch leaves exactly the unfinished slots to run again, without recording anything twice."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.config import Settings
from monitor.distributed.claims import DEAD_RUN_ERROR, release_dead_claims
from monitor.jobs.cycle import run_cycle
from monitor.jobs.polls import polls_for
from monitor.jobs.runner import BatchItem, run_batch
from monitor.sources.fetcher import Fetcher
from monitor.store import queries
from monitor.store.batch import PollBatch
from monitor.store.models import Alert, Change, JobRun, Source
from monitor.store.session import session_scope
from tests.jobs.spec_host import PLATFORM, V1, V2, SpecHost, orders_version, settings_for
from tests.jobs.test_batch import _count, counted_commits

NAMES = ("orders-a", "orders-b", "orders-c")
A, B, C = (f"{PLATFORM}/{name}" for name in NAMES)
JOB = "poll-specs"
SLOT = "2026-12-07T12:00:00+00:00"


class Crash(BaseException):
    """The worker process dies here: nothing after this point runs (not an error a run would record)."""


def polled_once(host: SpecHost, tmp_path: Path, database_url: str, engine: Engine, fetcher: Fetcher) -> Settings:
    """The three sources served and polled once, so the next polls are answered 304; their settings."""
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in NAMES}
    settings = settings_for(tmp_path, database_url, specs)
    run_cycle(settings, engine, fetcher)
    return settings


def items_for(settings: object, engine: Engine, fetcher: Fetcher, targets: tuple[str, ...]) -> list[BatchItem]:
    polls = {p.source_id: p for p in polls_for(settings)}  # type: ignore[arg-type]
    return [BatchItem(t, SLOT, partial(polls[t].run, settings, engine, fetcher, t, None)) for t in targets]


def runs_of(engine: Engine, target: str) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(select(JobRun).where(JobRun.target == target, ~col(JobRun.slot).startswith("manual-"))
                            .order_by(col(JobRun.id))).all()  # fmt: skip
        return [(r.slot.split("~")[0] + ("~" if "~" in r.slot else ""), r.status, r.counts.get("outcome") or r.error)
                for r in rows]  # fmt: skip


def test_an_unchanged_batch_costs_two_commits_and_skips_a_slot_claimed_already(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings = polled_once(host, tmp_path, database_url, db, fetcher)
    with session_scope(db) as session:
        queries.claim_run(session=session, job=JOB, target=C, slot=SLOT)  # another worker has C's slot
    with counted_commits(db) as commits:
        results = run_batch(engine=db, job=JOB, items=items_for(settings, db, fetcher, (A, B, C, A)))  # A twice

    assert [(r.target, r.status, r.counts["outcome"]) for r in results] == [
        (A, "ok", "not-modified"), (B, "ok", "not-modified")
    ]  # fmt: skip
    assert commits[0] == 2  # the claims (with the validators' read), then the ends with the counters
    assert host.not_modified[f"/{NAMES[2]}.json"] == 0  # C was not polled at all
    assert host.not_modified[f"/{NAMES[0]}.json"] == 1  # nor A a second time
    for source_id in (A, B):
        assert runs_of(db, source_id) == [(SLOT, "ok", "not-modified")]
        with session_scope(db) as session:
            row = session.get(Source, source_id)
            assert row is not None and (row.polls, row.not_modified) == (2, 1)
    assert runs_of(db, C) == [(SLOT, "running", None)]  # its owner's, untouched


def test_a_crash_mid_batch_leaves_only_the_unfinished_slots_and_the_retry_records_nothing_twice(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings = polled_once(host, tmp_path, database_url, db, fetcher)
    host.serve("/orders-a.json", orders_version(V2))  # A has a new version; B and C are unchanged

    def die() -> dict[str, object]:
        raise Crash  # the worker is killed while polling C

    items = items_for(settings, db, fetcher, (A, B, C))
    with pytest.raises(Crash):
        run_batch(engine=db, job=JOB, items=[*items[:2], BatchItem(C, SLOT, die)])

    # A's poll found changes: stored in its own unit of work, its end written right after. B's 304 end was
    # queued with its counters for the batch's last write, which never came; C died in flight.
    assert runs_of(db, A) == [(SLOT, "ok", "new-version")]
    assert runs_of(db, B) == [(SLOT, "running", None)]
    assert runs_of(db, C) == [(SLOT, "running", None)]
    with session_scope(db) as session:
        changes, alerts = _count(session, Change, Change.source_id == A), _count(session, Alert)
        b_row = session.get(Source, B)
        assert changes > 0 and alerts > 0
        assert b_row is not None and (b_row.polls, b_row.not_modified) == (1, 0)  # lost with the batch's end

    # The retried batch (another worker): the dead attempt's running claims are closed, then the batch runs again.
    released = release_dead_claims(engine=db, job=JOB, slots=[(A, SLOT), (B, SLOT), (C, SLOT)])
    assert sorted(released) == [(B, SLOT), (C, SLOT)]  # A ran to its end: it stays done
    results = run_batch(engine=db, job=JOB, items=items)
    assert [(r.target, r.counts["outcome"]) for r in results] == [(B, "not-modified"), (C, "not-modified")]

    assert runs_of(db, A) == [(SLOT, "ok", "new-version")]  # not run twice
    for source_id in (B, C):
        assert runs_of(db, source_id) == [(f"{SLOT}~", "error", DEAD_RUN_ERROR), (SLOT, "ok", "not-modified")]
    with session_scope(db) as session:
        assert _count(session, Change, Change.source_id == A) == changes  # each change once
        assert _count(session, Alert) == alerts  # each alert once
        for source_id in (B, C):
            row = session.get(Source, source_id)
            assert row is not None and (row.polls, row.not_modified) == (2, 1)  # counted once


def test_a_failed_write_of_the_ends_is_logged_and_leaves_the_claims_running(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.errors import StoreError

    settings = polled_once(host, tmp_path, database_url, db, fetcher)

    def database_down(*_args: object) -> None:
        raise StoreError("database unreachable")

    monkeypatch.setattr(PollBatch, "_write", database_down)
    results = run_batch(engine=db, job=JOB, items=items_for(settings, db, fetcher, (A, B)))
    assert [r.status for r in results] == ["ok", "ok"]  # the polls ran; only their bookkeeping is missing
    assert runs_of(db, A) == runs_of(db, B) == [(SLOT, "running", None)]
