"""Run every configured poll once, now, in a bounded thread pool (`monitor check`, `monitor run --once`, bench)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.jobs.polls import Poll, polls_for
from monitor.jobs.runner import run_manual_batched
from monitor.redact import error_line
from monitor.sources.fetcher import Fetcher
from monitor.store.batch import PollBatch

DEFAULT_WORKERS = 8  # polls mostly wait on the network; the fetcher's per-host limit protects each platform


class CycleOutcome(NamedTuple):
    """One source's result: `detail` is the run's counts when ok, its one-line error otherwise."""

    source_id: str
    kind: str
    status: str  # ok, error
    detail: Mapping[str, Any] | str

    @property
    def counts(self) -> Mapping[str, Any]:
        return self.detail if isinstance(self.detail, Mapping) else {}

    @property
    def error(self) -> str | None:
        return self.detail if isinstance(self.detail, str) else None


def run_cycle(
    settings: Settings,
    engine: Engine,
    fetcher: Fetcher,
    *,
    only: str | None = None,
    job: str | None = None,
    on_progress: Callable[[CycleOutcome], None] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> list[CycleOutcome]:
    """Poll every configured source (or `only` one, or one `job`'s) once; outcomes come back in config order.

    Each poll is a job run of its own manual slot, so a cycle never takes a scheduled slot from the service and
    a failing source is recorded without stopping the others. The bookkeeping of unchanged sources is written in
    batches and flushed before this returns (a crash loses at most one batch of it, never a change or an alert). `on_progress` is called in this thread as each
    poll ends.
    """
    polls = polls_for(settings, only=only, job=job)
    outcomes: list[CycleOutcome | None] = [None] * len(polls)
    if not polls:
        return []
    # Unchanged sources' bookkeeping (counters, run rows) is written in batches; see store/batch.py.
    batch = PollBatch(engine)
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(polls)), thread_name_prefix="monitor-cycle") as pool:
            futures = {
                pool.submit(_poll_once, settings, engine, fetcher, poll, batch): i for i, poll in enumerate(polls)
            }
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[futures[future]] = outcome
                if on_progress is not None:
                    on_progress(outcome)
    finally:
        batch.flush()
    return [o for o in outcomes if o is not None]


def _poll_once(settings: Settings, engine: Engine, fetcher: Fetcher, poll: Poll, batch: PollBatch) -> CycleOutcome:
    fn = partial(poll.run, settings, engine, fetcher, poll.source_id, None)
    try:
        run = run_manual_batched(engine=engine, job=poll.job, target=poll.source_id, fn=fn, batch=batch,
                                 secrets=poll.secrets)  # fmt: skip
    except Exception as exc:  # recording the run failed (database down): this source's outcome, not the cycle's end
        return CycleOutcome(poll.source_id, poll.kind, "error", error_line(exc, poll.secrets))
    return CycleOutcome(poll.source_id, poll.kind, run.status, run.counts if run.is_ok else run.error or "error")
