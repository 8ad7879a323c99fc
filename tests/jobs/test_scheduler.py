"""The scheduler: one interval job per source, runs through slot claims, heartbeat, clean stop, restart-safe."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.jobs.polls import polls_for
from monitor.jobs.scheduler import Heartbeat, build_scheduler, run_scheduled, start_service
from monitor.sources.fetcher import Fetcher
from monitor.store.models import JobRun
from monitor.store.session import make_engine, session_scope
from tests.jobs.spec_host import PLATFORM, V1, SpecHost, orders_version, settings_for


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def runs(engine: Engine) -> list[JobRun]:
    with session_scope(engine) as session:
        return list(session.exec(select(JobRun)).all())


def test_one_job_per_source_with_its_interval_jitter_and_limits(tmp_path: Path, fetcher: Fetcher) -> None:
    data = {
        "allow_hosts": ["127.0.0.1"],
        "platforms": {
            "amazon-sp-api": {
                "specs": {"orders-v0": {"url": "http://127.0.0.1:1/o.json", "every": "6h"},
                          "sellers": {"url": "http://127.0.0.1:1/s.json", "every": "5m"}},
                "feeds": {"changelog": {"url": "http://127.0.0.1:1/c.rss", "every": "1h"}},
            }
        },
    }  # fmt: skip
    settings = Settings.model_validate(data)
    now = datetime(2026, 3, 1, 14, 37, 12, tzinfo=UTC)
    engine = make_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    scheduler = build_scheduler(settings, engine, fetcher, now=now)
    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {"poll-specs:amazon-sp-api/orders-v0", "poll-specs:amazon-sp-api/sellers",
                         "poll-feeds:amazon-sp-api/changelog", "heartbeat", "sync-contracts"}  # fmt: skip
    expected = {  # interval, jitter (a tenth, at most 60 s), grace (half an interval), first slot boundary
        "poll-specs:amazon-sp-api/orders-v0": (timedelta(hours=6), 60, 3 * 3600, datetime(2026, 3, 1, 18, tzinfo=UTC)),
        "poll-specs:amazon-sp-api/sellers": (timedelta(minutes=5), 30, 150, datetime(2026, 3, 1, 14, 40, tzinfo=UTC)),
        "poll-feeds:amazon-sp-api/changelog": (timedelta(hours=1), 60, 1800, datetime(2026, 3, 1, 15, tzinfo=UTC)),
    }
    for job_id, (interval, jitter, grace, first) in expected.items():
        job = jobs[job_id]
        assert isinstance(job.trigger, IntervalTrigger)
        assert (job.trigger.interval, job.trigger.jitter, job.trigger.start_date) == (interval, jitter, first)
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, grace)
    assert scheduler._executors["default"]._pool._max_workers == 8  # type: ignore[attr-defined]
    engine.dispose()


def test_the_started_scheduler_runs_every_source_once_per_slot(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in ("orders-a", "orders-b")}
    settings = settings_for(tmp_path, database_url, specs, every="1s")
    beat = Heartbeat()
    scheduler = build_scheduler(settings, db, fetcher, beat=beat, run_once_first=True)
    scheduler.start()
    try:
        # The first run at start, then at least one more in a later one-second slot, for each source.
        wait_for(lambda: all(sum(r.target == f"{PLATFORM}/{n}" and r.status == "ok" for r in runs(db)) >= 2
                             for n in specs))  # fmt: skip
    finally:
        scheduler.shutdown(wait=True)
    done = runs(db)
    assert {r.job for r in done} == {"poll-specs"} and {r.status for r in done} == {"ok"}
    for name in specs:
        mine = sorted((r for r in done if r.target == f"{PLATFORM}/{name}"), key=lambda r: r.slot)
        assert len({r.slot for r in mine}) == len(mine)  # never twice in one slot
        assert all(datetime.fromisoformat(r.slot).microsecond == 0 for r in mine)
        assert [r.counts["outcome"] for r in mine][:2] == ["new-version", "not-modified"]
    assert beat.is_alive()


def test_a_restart_in_the_same_slot_skips_what_already_ran(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, database_url, {"orders-a": host.serve("/a.json", orders_version(V1))}, every="1d")
    (poll,) = polls_for(settings)
    beat = Heartbeat()
    run_scheduled(settings, db, fetcher, poll, beat)
    run_scheduled(settings, db, fetcher, poll, beat)  # a second process (or a restart) in the same slot
    assert len(runs(db)) == 1 and host.hits["/a.json"] == 1
    assert beat.last_beat_at is not None


def test_a_scheduled_run_survives_a_database_it_cannot_claim_in(
    host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    settings = settings_for(tmp_path, url, {"orders-a": host.serve("/a.json", orders_version(V1))})
    (poll,) = polls_for(settings)
    engine = make_engine(url)
    beat = Heartbeat()
    run_scheduled(settings, engine, fetcher, poll, beat)  # no tables: logged, not raised
    assert beat.last_beat_at is not None and host.hits["/a.json"] == 0
    engine.dispose()


def test_the_service_upgrades_the_database_runs_and_stops_when_asked(
    database_url: str, host: SpecHost, tmp_path: Path
) -> None:
    # A fresh SQLite file shows the service creating its own tables; PostgreSQL reuses the migrated test database.
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if database_url.startswith("sqlite") else database_url
    settings = settings_for(tmp_path, url, {"orders-a": host.serve("/a.json", orders_version(V1))}, every="1h")
    stop = threading.Event()
    beat = Heartbeat()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            start_service(settings, stop=stop, beat=beat)
        except BaseException as exc:
            failures.append(exc)
            raise

    service = threading.Thread(target=serve)
    service.start()
    engine = make_engine(url)
    try:
        # The first beat comes once the scheduler runs, so after the upgrade: only then does the test open the
        # database (a second connection switching a brand-new SQLite file to WAL mid-migration would be refused).
        wait_for(lambda: beat.last_beat_at is not None or not service.is_alive())
        assert not failures, failures
        wait_for(lambda: any(r.status == "ok" for r in runs(engine)))
    finally:
        stop.set()
        service.join(15)
    assert not service.is_alive() and not failures
    assert beat.is_alive()
    engine.dispose()


def test_jobs_run_at_a_lower_cpu_priority_than_the_thread_that_starts_the_api(tmp_path: Path, fetcher: Fetcher) -> None:
    import os

    from monitor.jobs.scheduler import JOB_NICE

    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    scheduler = build_scheduler(settings_for(tmp_path, "sqlite://", {}), engine, fetcher)
    seen: list[int] = []
    scheduler.add_job(lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)), id="probe")  # this thread's nice
    scheduler.start()
    try:
        wait_for(lambda: bool(seen))
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
    # The main thread, which spawns the API's process, keeps its priority (Linux: nice is per thread).
    main = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == [min(19, main + JOB_NICE)]
