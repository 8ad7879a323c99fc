"""The in-process scheduler of `monitor run`: one APScheduler 3 interval job per configured source."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from monitor.alerts.schedule import add_dispatch_job
from monitor.config import Settings
from monitor.health import HEARTBEAT_EVERY, Heartbeat, heartbeat
from monitor.jobs.contracts import ContractFileWatch, sync_contract_files
from monitor.jobs.polls import Poll, polls_for
from monitor.jobs.reload import CHECK_EVERY_S, ConfigReloader, Live, quiet_apscheduler
from monitor.jobs.retry import Retries
from monitor.jobs.runner import mark_interrupted, run_job, slot_for
from monitor.redact import error_line
from monitor.reports.schedule import add_nightly_job
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store.migrate import upgrade
from monitor.store.models import utcnow
from monitor.store.session import make_engine

log = logging.getLogger("monitor.scheduler")

WORKERS = 8  # threads: one slow source (up to the fetcher's 120 s deadline) holds one of them, not the schedule
JITTER_CAP_S = 60.0  # sources sharing an interval do not all hit their platforms at the same second
CONTRACT_SYNC_EVERY = timedelta(minutes=1)  # a deploy that changes contract files takes effect within a minute
JOB_NICE = 10  # how much lower the CPU priority of the job threads is than the status API's (see below)


def lower_priority() -> None:
    """Run the calling thread (each of the scheduler's job threads) at a lower CPU priority than the status API.

    Polls are throughput work, a gate check is a pipeline waiting: on a saturated CPU the API's process (spawned
    from the main thread, at normal priority) runs first, while an idle CPU is still all the polls'. On Linux the
    nice value is per thread, so only these threads are lowered (bench/gate_bench.py measures the effect)."""
    with contextlib.suppress(OSError):  # a platform that refuses it runs the jobs at normal priority
        os.nice(JOB_NICE)


def jitter_s(every: timedelta) -> float:
    """At most a tenth of the interval, capped at a minute: spread, but still within the interval's slot."""
    return min(JITTER_CAP_S, every.total_seconds() * 0.1)


def misfire_grace_s(every: timedelta) -> int:
    """A run up to half an interval late still runs (in its slot); a later one coalesces into the next."""
    return max(1, int(every.total_seconds() / 2))


def next_slot_start(now: datetime, every: timedelta) -> datetime:
    """The start of the slot after `now`'s, so scheduled runs fire just after slot boundaries, never twice in one."""
    return datetime.fromisoformat(slot_for(now, every)) + every


def build_scheduler(
    settings: Settings,
    engine: Engine,
    fetcher: Fetcher,
    *,
    beat: Heartbeat = heartbeat,
    run_once_first: bool = False,
    workers: int = WORKERS,
    heartbeat_every: timedelta = HEARTBEAT_EVERY,
    now: datetime | None = None,
    live: Live | None = None,
) -> BackgroundScheduler:
    """A scheduler (not started) with one job per configured source, id `<job>:<source>`, plus the heartbeat.

    Every job runs through `run_job` with the slot of its interval, at most one instance at a time, missed runs
    coalesced; `run_once_first` runs every source as soon as the scheduler starts (a restart in the same slot
    finds it claimed and skips it).
    """
    now = now or utcnow()
    quiet_apscheduler()
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(workers, pool_kwargs={"initializer": lower_priority})},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        timezone=UTC,
    )
    live = live or Live(settings)
    retries = Retries(scheduler, engine)
    for poll in polls_for(settings):
        add_poll_job(scheduler, live, engine, fetcher, poll, beat, retries, now=now, run_now=run_once_first)
    scheduler.add_job(beat.beat, IntervalTrigger(seconds=heartbeat_every.total_seconds(), timezone=UTC),
                      id="heartbeat", name="heartbeat", next_run_time=now)  # fmt: skip
    add_service_jobs(scheduler, settings, engine, now=now)
    scheduler.monitor_live = live  # type: ignore[attr-defined]  # read by `apply_settings` on a reload
    scheduler.monitor_poll_deps = (engine, fetcher, beat, retries)  # type: ignore[attr-defined]
    return scheduler


def add_poll_job(scheduler: BaseScheduler, live: Live, engine: Engine, fetcher: Fetcher, poll: Poll, beat: Heartbeat,
                 retries: Retries | None, *, now: datetime, run_now: bool = False) -> None:  # fmt: skip
    trigger = IntervalTrigger(
        seconds=poll.every.total_seconds(),
        start_date=next_slot_start(now, poll.every),
        jitter=jitter_s(poll.every),
        timezone=UTC,
    )
    extra: dict[str, Any] = {"next_run_time": now} if run_now else {}
    scheduler.add_job(
        partial(run_scheduled, live.current, engine, fetcher, poll, beat, retries),
        trigger,
        id=f"{poll.job}:{poll.source_id}",
        name=f"{poll.job} {poll.source_id}",
        misfire_grace_time=misfire_grace_s(poll.every),
        max_instances=1,  # a slow poll is never overtaken by its next run
        coalesce=True,  # runs missed while the process was busy or asleep become one
        replace_existing=True,  # a reload replaces a source whose URL or interval changed
        **extra,
    )


def apply_settings(scheduler: BaseScheduler, settings: Settings, *, now: datetime | None = None) -> None:
    """A reloaded configuration, in a running scheduler: sources added, changed or removed; service jobs rebuilt.

    Sources whose URL and interval did not change keep their schedule (no burst of polls after an edit)."""
    now = now or utcnow()
    live: Live = scheduler.monitor_live  # type: ignore[attr-defined]
    engine, fetcher, beat, retries = scheduler.monitor_poll_deps  # type: ignore[attr-defined]
    old = {f"{p.job}:{p.source_id}": p for p in polls_for(live.settings)}
    new = {f"{p.job}:{p.source_id}": p for p in polls_for(settings)}
    live.settings = settings
    for job_id in old.keys() - new.keys():
        for gone in (job_id, f"retry:{job_id}"):
            if scheduler.get_job(gone) is not None:
                scheduler.remove_job(gone)
    for job_id, poll in new.items():
        before = old.get(job_id)
        if before is None or (before.url, before.every, before.kind) != (poll.url, poll.every, poll.kind):
            add_poll_job(scheduler, live, engine, fetcher, poll, beat, retries, now=now, run_now=before is None)
    remove_service_jobs(scheduler)
    add_service_jobs(scheduler, settings, engine, now=now)


def remove_service_jobs(scheduler: BaseScheduler) -> None:
    """Before a reload adds them again with the new settings; the old dispatcher's connections are closed."""
    for job_id in SERVICE_JOBS:
        job = scheduler.get_job(job_id)
        if job is None:
            continue
        scheduler.remove_job(job_id)
        for arg in job.args:
            close = getattr(arg, "close", None)
            if callable(close):
                close()


SERVICE_JOBS = ("sync-contracts", "deliver-alerts", "nightly-report")


def add_service_jobs(scheduler: BaseScheduler, settings: Settings, engine: Engine, *, now: datetime) -> None:
    """The jobs besides polls and suites, safe to run in several processes at once: contract files, alert
    delivery (deliveries are claimed) and the nightly report (one slot a day). `monitor run --mode distributed`
    runs them in its API process too."""
    scheduler.add_job(partial(_sync_contracts, ContractFileWatch(settings, engine)),
                      IntervalTrigger(seconds=CONTRACT_SYNC_EVERY.total_seconds(), timezone=UTC),
                      id="sync-contracts", name="sync contract files")  # fmt: skip
    add_dispatch_job(scheduler, settings, engine, now=now)  # deliver-alerts, when Slack or a webhook is configured
    add_nightly_job(scheduler, settings, engine, now=now)  # nightly-report, when reports.nightly is set


def _sync_contracts(watch: ContractFileWatch) -> None:
    """Adopt contract files changed on disk (a deploy); never raises, a broken file is retried next minute."""
    try:
        watch()
    except Exception as exc:  # a malformed contract file or the database: one line, the scheduler lives on
        log.error("sync contract files: %s", error_line(exc, []))


def run_scheduled(settings: Settings | Callable[[], Settings], engine: Engine, fetcher: Fetcher, poll: Poll,
                  beat: Heartbeat, retries: Retries | None = None, *, is_retry: bool = False) -> None:  # fmt: skip
    """One scheduled run: never raises, so APScheduler neither logs it a second time nor stops anything.

    `settings` may be a function returning the live settings (a reload swaps them). A failure schedules a retry
    (with `retries`): 1, 2, 4 ... minutes later, not only at the next slot."""
    now = utcnow()
    current = settings() if callable(settings) else settings
    # A retry runs inside an already claimed slot: it claims a slot of its own, named after its moment.
    slot = f"retry-{now.isoformat(timespec='milliseconds')}" if is_retry else slot_for(now, poll.every)
    ok: bool | None = None
    try:
        result = run_job(engine=engine, job=poll.job, target=poll.source_id, slot=slot,
                         fn=partial(poll.run, current, engine, fetcher, poll.source_id, now), secrets=poll.secrets)  # fmt: skip
        ok = None if result is None else result.is_ok
    except Exception as exc:  # the claim failed (database down): retried like a failed poll
        log.error("%s %s: cannot claim a run: %s", poll.job, poll.source_id, error_line(exc, poll.secrets))
        ok = False
    finally:
        beat.beat()
    if retries is None or ok is None:
        return
    job_id = f"{poll.job}:{poll.source_id}"
    if ok:
        retries.after_success(job_id=job_id, source_id=poll.source_id)
    else:
        retries.after_failure(job_id=job_id, source_id=poll.source_id, every=poll.every, now=now,
                              run=partial(run_scheduled, settings, engine, fetcher, poll, beat, retries, is_retry=True))  # fmt: skip


def start_service(
    settings: Settings,
    *,
    run_once_first: bool = True,
    stop: threading.Event | None = None,
    beat: Heartbeat = heartbeat,
    serve_api: Callable[[Settings, Engine, Heartbeat], Any] | None = None,
    config_path: Path | None = None,
    reload: threading.Event | None = None,
    policy: FetchPolicy | None = None,
) -> None:
    """Upgrade the database, then run the scheduler until SIGINT/SIGTERM (or `stop` is set); returns when stopped.

    Stopping waits for running polls, at most the fetch deadline (`policy.deadline_s`): it bounds every fetch whole.

    A kill at any moment is safe: each source's poll is one unit of work, and slots are claimed in the database,
    so a restart neither loses a committed result nor records a change twice. With `config_path`, the file is
    reloaded on SIGHUP (or when `reload` is set) and whenever its content changes.

    `serve_api(settings, engine, beat)` starts the status API (`monitor run` passes monitor.api.process's, a child
    process) and returns None or an object with `reconfigure(settings)`, `supervise()` (called here about five
    times a second: it restarts an API that died) and `stop()`.
    """
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    stop = stop or threading.Event()
    started_at = utcnow()
    interrupted = mark_interrupted(engine=engine, started_before=started_at)
    for source_id in sync_contract_files(settings=settings, engine=engine, now=started_at):
        log.info("%s: contract file changed; drift recomputed", source_id)
    if interrupted:
        log.warning("%d run(s) left unfinished by a previous process: recorded as interrupted, slots run again",
                    interrupted)  # fmt: skip
    reload = reload or threading.Event()
    restore = _on_signals(stop, reload)
    try:
        with Fetcher(policy or FetchPolicy(allow_hosts=tuple(settings.allow_hosts))) as fetcher:
            scheduler = build_scheduler(settings, engine, fetcher, beat=beat, run_once_first=run_once_first,
                                        now=started_at)  # fmt: skip
            scheduler.start()
            targets = sum(1 for job in scheduler.get_jobs() if ":" in job.id)  # `<job>:<target>` ids
            log.info("scheduler started: %d job(s) on sources and sandboxes", targets)
            api = serve_api(settings, engine, beat) if serve_api else None  # the command composes the API in
            reloader = None
            if config_path is not None:

                def apply(new: Settings) -> None:
                    apply_settings(scheduler, new)
                    if api is not None:
                        api.reconfigure(new)

                reloader = ConfigReloader(config_path, settings, apply)
            try:
                checked = time.monotonic()
                while not stop.wait(0.2):  # a timed wait keeps the main thread responsive to signals
                    if api is not None:
                        api.supervise()
                    if reloader is not None and (reload.is_set() or time.monotonic() - checked >= CHECK_EVERY_S):
                        if reload.is_set():
                            reload.clear()
                            reloader.request()
                        checked = time.monotonic()
                        reloader.check()
            finally:
                log.info("stopping: waiting for running polls to finish")
                if api is not None:
                    api.stop()
                shutdown_and_wait(scheduler)
    finally:
        restore()
        engine.dispose()
    log.info("stopped")


def shutdown_and_wait(scheduler: BaseScheduler) -> None:
    """Stop the scheduler, then wait for the running jobs outside its locks.

    APScheduler 3's `shutdown(wait=True)` holds its job-store lock while it waits for the executors, so a running
    job that adds a job (a failed poll scheduling its retry) would wait for that lock forever: a deadlock on stop.
    """
    pools = [getattr(executor, "_pool", None) for executor in scheduler._executors.values()]
    scheduler.shutdown(wait=False)
    for pool in pools:
        if pool is not None:
            pool.shutdown(wait=True)  # concurrent.futures: joins the threads of the jobs still running


def _on_signals(stop: threading.Event, reload: threading.Event | None = None) -> Callable[[], None]:
    """SIGINT/SIGTERM set `stop` once; a second signal gets the default behaviour (a kill is safe, see above).
    SIGHUP sets `reload`: the configuration file is read again (the main loop does it, not the handler)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may install handlers; the caller stops us through `stop`
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    hangup = signal.getsignal(signal.SIGHUP) if reload is not None else None
    if reload is not None:
        signal.signal(signal.SIGHUP, lambda _signum, _frame: reload.set())

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()
        for sig in previous:
            signal.signal(sig, signal.SIG_DFL)

    for sig in previous:
        signal.signal(sig, handle)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if reload is not None and hangup is not None:
            signal.signal(signal.SIGHUP, hangup)

    return restore
