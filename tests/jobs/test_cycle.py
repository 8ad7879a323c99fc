"""run_cycle polls every source once: failures stay with their source, and a crash mid-cycle loses and doubles nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from monitor.errors import InputError
from monitor.jobs.cycle import CycleOutcome, run_cycle
from monitor.sources.fetcher import Fetcher
from monitor.store import queries
from monitor.store.models import Change, JobRun, Source, SpecSnapshot
from monitor.store.session import session_scope
from tests.conftest import require_corpus
from tests.jobs.spec_host import PLATFORM, V1, V2, SpecHost, orders_version, settings_for

A, B, C = (f"{PLATFORM}/{name}" for name in ("orders-a", "orders-b", "orders-c"))


def _three_sources(tmp_path: Path, database_url: str, host: SpecHost) -> dict[str, str]:
    return {name: host.serve(f"/{name}.json", orders_version(V1)) for name in ("orders-a", "orders-b", "orders-c")}


def test_a_failing_source_does_not_stop_the_others_and_is_recorded(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    specs = _three_sources(tmp_path, database_url, host)
    host.fail("/orders-b.json")
    settings = settings_for(tmp_path, database_url, specs)
    seen: list[CycleOutcome] = []

    outcomes = run_cycle(settings, db, fetcher, on_progress=seen.append)

    assert [(o.source_id, o.kind, o.status) for o in outcomes] == [(A, "spec", "ok"), (B, "spec", "error"),
                                                                   (C, "spec", "ok")]  # fmt: skip
    assert sorted(o.source_id for o in seen) == [A, B, C]
    assert outcomes[0].counts["outcome"] == "new-version" and outcomes[1].error is not None
    assert "HTTP 404" in outcomes[1].error and specs["orders-b"].split("//")[1] in outcomes[1].error
    with session_scope(db) as session:
        runs = {r.target: r for r in queries.list_runs(session=session)}
        assert runs[B].status == "error" and runs[B].error == outcomes[1].error
        assert runs[A].status == "ok" and runs[A].slot.startswith("manual-")
        failed = session.get(Source, B)
        assert failed is not None and failed.last_error is not None and "HTTP 404" in failed.last_error
        # Recorded once: the poller's own record is not doubled by the job's safety net.
        assert (failed.polls, failed.consecutive_failures) == (1, 1)


def test_one_source_and_one_job_can_be_polled_alone(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, database_url, _three_sources(tmp_path, database_url, host))
    assert [o.source_id for o in run_cycle(settings, db, fetcher, only=B)] == [B]
    assert [o.source_id for o in run_cycle(settings, db, fetcher, job="poll-feeds")] == []
    with pytest.raises(InputError, match="no such source"):
        run_cycle(settings, db, fetcher, only=f"{PLATFORM}/nope")
    with pytest.raises(InputError, match="unknown job"):
        run_cycle(settings, db, fetcher, job="poll-everything")


def test_a_crash_mid_cycle_loses_nothing_and_the_rerun_records_each_change_once(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = _three_sources(tmp_path, database_url, host)
    settings = settings_for(tmp_path, database_url, specs)
    assert {o.status for o in run_cycle(settings, db, fetcher)} == {"ok"}
    for name in specs:  # upstream publishes the next real version everywhere
        host.serve(f"/{name}.json", orders_version(V2))

    # The process "dies" inside orders-b's unit of work, after its snapshot and before its changes are written.
    real = queries.record_upstream_changes

    def crash_for_b(**kwargs: object) -> tuple[int, int]:
        if kwargs["source_id"] == B:
            raise RuntimeError("simulated crash")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "record_upstream_changes", crash_for_b)
    crashed = {o.source_id: o for o in run_cycle(settings, db, fetcher)}
    monkeypatch.undo()

    assert crashed[B].status == "error" and crashed[B].error == "RuntimeError: simulated crash"
    assert crashed[A].counts["upstream_changes"] == crashed[C].counts["upstream_changes"] == 9
    with session_scope(db) as session:
        b = session.get(Source, B)
        assert b is not None and b.last_error == "RuntimeError: simulated crash" and b.consecutive_failures == 1
        assert _count(session, SpecSnapshot, SpecSnapshot.source_id == B) == 1  # the half-done poll rolled back

    rerun = {o.source_id: o for o in run_cycle(settings, db, fetcher)}
    assert rerun[B].counts["outcome"] == "new-version" and rerun[B].counts["upstream_changes"] == 9
    assert rerun[A].counts["outcome"] == rerun[C].counts["outcome"] == "not-modified"
    again = run_cycle(settings, db, fetcher)
    assert {o.counts["outcome"] for o in again} == {"not-modified"}

    with session_scope(db) as session:
        for source_id in (A, B, C):
            assert _count(session, SpecSnapshot, SpecSnapshot.source_id == source_id) == 2
            assert _count(session, Change, Change.source_id == source_id, Change.against == "previous") == 9
            assert _count(session, Change, Change.source_id == source_id, Change.against == "contract") == 9
            row = session.get(Source, source_id)
            assert row is not None and row.last_error is None and row.consecutive_failures == 0
        statuses = session.exec(select(JobRun.status).where(JobRun.target == B).order_by(col(JobRun.id))).all()
        assert list(statuses) == ["ok", "error", "ok", "ok"]


def _count(session: Session, model: type[SQLModel], *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_feeds_and_specs_poll_in_one_cycle(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    # The real eBay deprecation feed, cut off mid-item: its whole items are kept and the feed flagged malformed.
    feed = host.serve("/ebay.rss", require_corpus() / "feeds" / "ebay" / "api-deprecation.rss.partial.xml")
    settings = settings_for(tmp_path, database_url, {"orders-a": host.serve("/a.json", orders_version(V1))},
                            feeds={"deprecations": feed})  # fmt: skip

    first = {o.source_id: o for o in run_cycle(settings, db, fetcher)}
    assert first[A].status == "ok" and first[f"{PLATFORM}/deprecations"].kind == "feed"
    news = first[f"{PLATFORM}/deprecations"]
    assert news.status == "ok", news.error
    assert news.counts["new_entries"] >= 1 and news.counts["malformed"] is True
    again = {o.source_id: o for o in run_cycle(settings, db, fetcher)}
    assert again[f"{PLATFORM}/deprecations"].counts["outcome"] == "not-modified"
    with session_scope(db) as session:
        runs = queries.list_runs(session=session, job="poll-feeds")
        assert [r.status for r in runs] == ["ok", "ok"]
        assert len(queries.list_entries(session=session)) == news.counts["new_entries"]
