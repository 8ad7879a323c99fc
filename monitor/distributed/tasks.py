"""The procrastinate tasks: `run-batch` runs many slots of one job, `run-job` one contract run; `tick` defers them."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.tasks import Task

from monitor.distributed.app import (
    BATCH_MAX,
    BATCH_SPREAD,
    SANDBOX_JOBS,
    TASK_BATCH,
    TASK_RUN,
    lock_of,
    queue_of,
    queueing_lock_of,
)
from monitor.distributed.claims import release_dead_claim, release_dead_claims
from monitor.distributed.runtime import Runtime
from monitor.distributed.tick import DueRun, due_runs, refresh_queue_statistics
from monitor.jobs.retry import clear_retries, store_outcome
from monitor.jobs.runner import BatchItem, RunResult, run_batch, run_job

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


def run_batch_task(context: JobContext, job: str, runs: list[list[str]]) -> dict[str, int]:
    """Up to BATCH_MAX scheduled runs of one job, `runs` being [target, slot] pairs, through `runner.run_batch`.

    A StoreError while claiming propagates, so procrastinate retries the batch with backoff. A retry (a dead
    worker's stalled batch handed back, or a failed claim) first closes that worker's claims still `running` as
    interrupted, then claims again: the slots it had finished are skipped, the others run.
    """
    rt = runtime_of(context)
    items = []
    for target, slot in runs:
        poll = rt.polls.get((job, target))
        if poll is None:  # the configuration changed between the tick and now: nothing to run any more
            log.warning("%s %s: no longer configured; slot %s dropped", job, target, slot)
            continue
        fn = partial(poll.run, rt.settings, rt.engine, rt.fetcher, target, None)
        items.append(BatchItem(target=target, slot=slot, fn=fn, secrets=tuple(poll.secrets)))
    if context.job.attempts > 0:
        for target, slot in release_dead_claims(engine=rt.engine, job=job, slots=[(i.target, i.slot) for i in items]):
            log.warning("%s %s: took over slot %s from a dead worker", job, target, slot)
    results = run_batch(engine=rt.engine, job=job, items=items)
    _store_outcomes(rt, job, results)
    return {"ran": len(results), "skipped": len(items) - len(results), "errors": sum(not r.is_ok for r in results)}


def _store_outcomes(rt: Runtime, job: str, results: Sequence[RunResult]) -> None:
    """What `store_outcome` does after one run, for a batch: the successes in one statement, each failure alone."""
    clear_retries(engine=rt.engine, source_ids=[r.target for r in results if r.is_ok])
    for result in results:
        poll = rt.polls.get((job, result.target))
        if result.is_ok or poll is None:
            continue
        retry_at = store_outcome(engine=rt.engine, source_id=result.target, every=poll.every, ok=False,
                                 now=result.finished_at)  # fmt: skip
        if retry_at is not None:
            log.debug("%s %s: retry at %s", job, result.target, retry_at.isoformat(timespec="seconds"))


async def tick_task(context: JobContext, timestamp: int) -> dict[str, int]:
    """Defer every due (job, target, slot) of the tick's scheduled time once."""
    return {"deferred": await tick_once(runtime_of(context), datetime.fromtimestamp(timestamp, UTC))}


async def tick_once(rt: Runtime, now: datetime) -> int:
    """The tick's work at `now` (also what the scale benchmark times): find the due runs, defer them; the number
    of runs deferred (polls go in batches, so the queue receives fewer jobs)."""
    due = await asyncio.to_thread(due_runs, engine=rt.engine, polls=list(rt.polls.values()), now=now)
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
    """Defer the due runs: contract runs one job each (a sandbox lock and a queueing lock each), polls as batch
    jobs of one job kind (see `batches`); the number of runs deferred.

    A batch job carries no queueing lock (procrastinate's is one string per job, a batch holds many targets), so
    no pile-up rests on the tick: it is the only deferrer (its `lock` keeps ticks from overlapping), and it skips
    every target of a pending batch (`tick.busy_targets`). Should a slot be deferred twice all the same, its
    claim runs it once.
    """
    singles = [d for d in due if d.job in SANDBOX_JOBS]
    deferred = await _defer_singles(rt, singles)
    batch_task = rt.app.tasks[TASK_BATCH]
    jobs = [batch_task.configure(queue=queue_of(job)).make_new_job(job=job, runs=[[d.target, d.slot] for d in part])
            for job, part in batches([d for d in due if d.job not in SANDBOX_JOBS])]  # fmt: skip
    for i in range(0, len(jobs), DEFER_BATCH):
        await rt.app.job_manager.batch_defer_jobs_async(jobs=jobs[i : i + DEFER_BATCH])
    return deferred + len(due) - len(singles)


def batches(due: Sequence[DueRun]) -> list[tuple[str, list[DueRun]]]:
    """Due runs cut into batches of one job kind, in catalogue order, of at most BATCH_MAX and about equal size;
    a short list is spread over up to BATCH_SPREAD batches, so several workers share it."""
    by_job: dict[str, list[DueRun]] = {}
    for d in due:
        by_job.setdefault(d.job, []).append(d)
    cut = []
    for job, runs in by_job.items():
        count = max(math.ceil(len(runs) / BATCH_MAX), min(BATCH_SPREAD, len(runs)))
        size = math.ceil(len(runs) / count)
        cut += [(job, runs[i : i + size]) for i in range(0, len(runs), size)]
    return cut


async def _defer_singles(rt: Runtime, due: list[DueRun]) -> int:
    """Defer single-run jobs; a group refused for a queueing lock (a run queued meanwhile) goes one by one."""
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
