"""The procrastinate app of a configuration: connector, the two tasks, queues, locks and the periodic tick."""

from __future__ import annotations

from procrastinate import App, PsycopgConnector, RetryStrategy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.config import Settings
from monitor.errors import ConfigError, StoreError

QUEUE_TICK = "monitor-tick"  # the tick alone: `monitor run --mode distributed` listens here and nowhere else
QUEUE_JOBS = "monitor-jobs"  # polls: short, network-bound
QUEUE_SANDBOX = "monitor-sandbox"  # contract runs: long; a separate queue so they never starve the polls
TASK_RUN = "monitor:run-job"  # one (job, target, slot): contract runs, which hold a sandbox lock each
TASK_BATCH = "monitor:run-batch"  # up to BATCH_MAX slots of one job kind: polls, one queue job per batch
TASK_TICK = "monitor:tick"
TASK_RECOVER = "monitor:recover-stalled"
SANDBOX_JOBS = frozenset({"contract-tests"})  # jobs whose target is a platform sandbox: one run per sandbox at once
# Slots per batch job. Each queue job costs procrastinate ~3 commits (defer, fetch, finish) and each batch 2 of ours
# (claim, ends): at 50 an unchanged source costs ~0.1 commit instead of 5.7 with one job per source. More would
# only lengthen the tail of a cycle, since a batch runs its slots one after the other on one worker thread.
BATCH_MAX = 50
# A short due list is cut into up to this many batches, so it keeps as many worker threads busy as one job per
# source would on two workers of 8 threads (`monitor worker`'s default): with slow upstreams a cycle of a few hundred
# sources is no slower than before batching.
BATCH_SPREAD = 16
BACKOFF_BASE_S = 2  # retries wait 2, 4, 8, 16 s... (procrastinate's exponential_wait ** (attempts + 1))


def conninfo(database_url: str) -> str:
    """The libpq URL of a PostgreSQL `database_url`; ConfigError (exit 2) for anything else."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise ConfigError(f"database_url is not a URL: {exc}") from exc
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"distributed mode needs PostgreSQL (procrastinate keeps its queue there), not {url.get_backend_name()}; "
            "set database_url (or MONITOR_DATABASE_URL) to postgresql+psycopg://USER@HOST/DB"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def queue_of(job: str) -> str:
    return QUEUE_SANDBOX if job in SANDBOX_JOBS else QUEUE_JOBS


def lock_of(job: str, target: str) -> str | None:
    """Jobs sharing a lock run one at a time, in deferral order, whichever worker takes them.

    A sandbox is locked by platform, so two contract runs never hit one sandbox together. Other jobs have no
    lock: procrastinate checks a lock against every waiting job when it fetches one, which costs O(queue) per job
    with 10,000 polls queued; the tick keeps one job per (job, target) at a time instead (see `tick.due_runs`).
    """
    return f"sandbox:{target}" if job in SANDBOX_JOBS else None


def queueing_lock_of(job: str, target: str) -> str:
    """At most one waiting run per target: a backlog never piles up slots of one source."""
    return f"{job}:{target}"


def build_app(settings: Settings, *, pool_max_size: int = 10) -> App:
    """A procrastinate app (not opened) on the configured PostgreSQL with our tasks and the periodic tick."""
    from monitor.distributed import tasks  # the task functions import the job catalogue; keep `--help` fast

    app = App(connector=PsycopgConnector(conninfo=conninfo(settings.database_url), min_size=1,
                                         max_size=pool_max_size, kwargs={"application_name": "monitor"}))  # fmt: skip
    retry = RetryStrategy(
        max_attempts=settings.distributed.max_attempts,
        exponential_wait=BACKOFF_BASE_S,
        retry_exceptions={StoreError},  # the database was unreachable; a job's own failure is recorded, not retried
    )
    app.task(name=TASK_RUN, queue=QUEUE_JOBS, pass_context=True, retry=retry)(tasks.run_job_task)
    app.task(name=TASK_BATCH, queue=QUEUE_JOBS, pass_context=True, retry=retry)(tasks.run_batch_task)
    tick = app.task(name=TASK_TICK, queue=QUEUE_TICK, pass_context=True)(tasks.tick_task)
    recover = app.task(name=TASK_RECOVER, queue=QUEUE_TICK, pass_context=True)(tasks.recover_task)
    # queueing_lock: a late tick is not queued twice; lock: ticks never overlap, so a slot is deferred once.
    app.periodic_registry.register_task(task=tick, cron=settings.distributed.tick, periodic_id="",
                                        configure_kwargs={"queueing_lock": TASK_TICK, "lock": TASK_TICK})  # fmt: skip
    app.periodic_registry.register_task(task=recover, cron=settings.distributed.tick, periodic_id="",
                                        configure_kwargs={"queueing_lock": TASK_RECOVER})  # fmt: skip
    return app
