"""The two procrastinate tasks: `run-job` runs one (job, target, slot) through the runner; `tick` defers them."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.tasks import Task

from monitor.distributed.app import TASK_RUN, lock_of, queue_of, queueing_lock_of
from monitor.distributed.claims import release_dead_claim
from monitor.distributed.runtime import Runtime
from monitor.distributed.tick import DueRun, due_runs, refresh_queue_statistics
from monitor.jobs.retry import store_outcome
from monitor.jobs.runner import run_job

log = logging.getLogger("monitor.distributed")

DEFER_BATCH = 500  # jobs per INSERT: 10,000 sources cost 20 round trips, not 10,000
ANALYZE_AFTER = 500  # deferred jobs that make the queue's planner statistics stale (see refresh_queue_statistics)


def runtime_of(context: JobContext) -> Runtime:
    runtime = context.additional_context.get("runtime")
    if not isinstance(runtime, Runtime):
        raise RuntimeError("a monitor task runs only in `monitor worker` or `monitor run --mode distributed`")
    return runtime


def run_job_task(context: JobContext, job: str, target: str, slot: str) -> dict[str, Any] | None:
    """One scheduled run; synchronous (procrastinate runs it in a thread), like the in-process scheduler's.

    A StoreError while claiming propagates, so procrastinate retries the job with backoff; everything else is
    recorded on the job run by `run_job`.
    """
    rt = runtime_of(context)
    poll = rt.polls.get((job, target))
    if poll is None:  # the configuration changed between the tick and now: nothing to run any more
        log.warning("%s %s: no longer configured; slot %s dropped", job, target, slot)
        return None
    attempt = partial(run_job, engine=rt.engine, job=job, target=target, slot=slot, secrets=poll.secrets,
                      fn=partial(poll.run, rt.settings, rt.engine, rt.fetcher, target, None))  # fmt: skip
    result = attempt()
    # A retry (a dead worker's stalled job handed back) finds that worker's claim still `running`: take it over.
    is_retry = context.job.attempts > 0
    if result is None and is_retry and release_dead_claim(engine=rt.engine, job=job, target=target, slot=slot):
        log.warning("%s %s: took over slot %s from a dead worker", job, target, slot)
        result = attempt()
    if result is None:
        return {"skipped": True}
    # A failed poll is retried 1, 2, 4 ... minutes later (the tick defers it), not only at its next slot.
    retry_at = store_outcome(engine=rt.engine, source_id=target, every=poll.every, ok=result.is_ok,
                             now=result.finished_at)  # fmt: skip
    if retry_at is not None:
        log.debug("%s %s: retry at %s", job, target, retry_at.isoformat(timespec="seconds"))
    return {"status": result.status, "run_id": result.run_id}


async def tick_task(context: JobContext, timestamp: int) -> dict[str, int]:
    """Defer every due (job, target, slot) of the tick's scheduled time once."""
    return {"deferred": await tick_once(runtime_of(context), datetime.fromtimestamp(timestamp, UTC))}


async def tick_once(rt: Runtime, now: datetime) -> int:
    """The tick's work at `now` (also what the scale benchmark times): find the due runs, defer them."""
    due = await asyncio.to_thread(due_runs, engine=rt.engine, polls=list(rt.polls.values()), now=now,
                                  task_name=TASK_RUN)  # fmt: skip
    deferred = await defer_runs(rt, due)
    if deferred >= ANALYZE_AFTER:
        await asyncio.to_thread(refresh_queue_statistics, rt.engine)
    if deferred:
        log.info("tick %s: %d run(s) deferred", now.isoformat(), deferred)
    return deferred


async def recover_task(context: JobContext, timestamp: int) -> dict[str, int]:
    """Hand the `doing` jobs of workers whose heartbeat stopped back to the queue (procrastinate's recipe).

    A task of its own, without the tick's lock: a tick that died with its worker holds that lock until this
    task retries it, so recovery must never wait behind it.
    """
    rt = runtime_of(context)
    stalled = await rt.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=rt.stalled_after.total_seconds())
    for job in stalled:
        await rt.app.job_manager.retry_job(job)
        log.warning("job %s %s %s: its worker stopped beating; retried", job.id, job.task_name, job.task_kwargs)
    return {"recovered": len(stalled)}


async def defer_runs(rt: Runtime, due: list[DueRun]) -> int:
    """Defer in batches; a batch refused for a queueing lock (a run queued meanwhile) is deferred one by one."""
    task = rt.app.tasks[TASK_RUN]
    jobs = [_job_of(task, d) for d in due]
    deferred = 0
    for i in range(0, len(jobs), DEFER_BATCH):
        batch = jobs[i : i + DEFER_BATCH]
        try:
            deferred += len(await rt.app.job_manager.batch_defer_jobs_async(jobs=batch))
        except AlreadyEnqueued:
            for job in batch:
                try:
                    await rt.app.job_manager.defer_job_async(job=job)
                    deferred += 1
                except AlreadyEnqueued:
                    pass  # its target has a run waiting already: no pile-up
    return deferred


def _job_of(task: Task[Any, Any, Any], due: DueRun) -> Job:
    deferrer = task.configure(
        queue=queue_of(due.job), lock=lock_of(due.job, due.target), queueing_lock=queueing_lock_of(due.job, due.target)
    )
    return deferrer.make_new_job(**due.as_kwargs())
