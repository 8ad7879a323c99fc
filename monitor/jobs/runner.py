"""Run one job on one target in one time slot: claim the slot, run, record the outcome, never let an error escape."""

from __future__ import annotations

import logging
import math
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from monitor.errors import MonitorError, StoreError
from monitor.redact import error_line, mask
from monitor.store import queries
from monitor.store.batch import PollBatch, batched
from monitor.store.models import utcnow
from monitor.store.session import session_scope

log = logging.getLogger("monitor.jobs")

SLOT_MAX_CHARS = 40  # JobRun.slot's


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run did: the stored JobRun's fields, detached from any session."""

    run_id: int | None  # None: queued in a cycle's batch, stored when the batch is flushed
    job: str
    target: str
    slot: str
    status: str  # ok, error
    started_at: datetime
    finished_at: datetime
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.status == "ok"


class JobLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes each message with its job and target and passes them as `extra`, for both human and JSON logs."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        context = dict(self.extra or {})
        kwargs["extra"] = {**context, **kwargs.get("extra", {})}
        return f"{context.get('job')} {context.get('target')}: {msg}", kwargs


def slot_for(now: datetime, every: timedelta) -> str:
    """The ISO start of the interval slot holding `now` (epoch seconds floored to `every`).

    Slots are fixed on the epoch, not on the start of the process, so a restart lands in the same slot and its
    claim is refused: a slot runs at most once whatever happens to the process.
    """
    seconds = every.total_seconds()
    if seconds <= 0:
        raise ValueError(f"a slot interval must be positive, not {every}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    start = math.floor(now.timestamp() / seconds) * seconds
    # One format per interval: whole-second intervals (every real config) give whole-second slots.
    return datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds" if seconds.is_integer() else "milliseconds")


def run_job(
    *,
    engine: Engine,
    job: str,
    target: str,
    slot: str,
    fn: Callable[[], Mapping[str, Any]],
    secrets: Iterable[str] = (),
) -> RunResult | None:
    """Claim (job, target, slot), run `fn`, record ok or error with its counts; None when the slot was taken.

    Every exception of `fn` is caught and recorded, so a scheduler or a cycle lives on; a database failure while
    claiming (not a duplicate claim) is raised as StoreError, since there is then nowhere to record anything.
    `secrets` are values (say the source URL's token) masked in the recorded error and in the logs.
    """
    secrets = tuple(secrets)
    jlog = JobLog(log, {"job": job, "target": target, "slot": slot})
    started_at = utcnow()
    # The run's own small batch: the claim's transaction also reads the target's validators, and an unchanged
    # poll's counters are written with the run's end, so a 304 costs two transactions (was four).
    batch = PollBatch(engine)
    try:
        with session_scope(engine) as session:
            run_id = queries.claim_run(session=session, job=job, target=target, slot=slot, now=started_at)
            batch.preload(session, target)
    except StoreError as exc:
        if isinstance(exc.__cause__, IntegrityError):  # the unique (job, target, slot) claim: someone ran it
            jlog.info("slot %s already claimed; skipped", slot)
            return None
        raise
    assert run_id is not None
    clock = time.monotonic()
    with batched(batch):
        counts, error = _call(fn, secrets, jlog)
    result = RunResult(
        run_id=run_id,
        job=job,
        target=target,
        slot=slot,
        status="ok" if error is None else "error",
        started_at=started_at,
        finished_at=utcnow(),
        counts=counts,
        error=error,
    )
    _record_end(engine, result, jlog, batch)
    if result.is_ok:
        jlog.info("ok in %.2f s %s", time.monotonic() - clock, orjson.dumps(counts).decode())
    return result


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One (target, slot) of a batch of runs of one job, with the function that runs it."""

    target: str
    slot: str
    fn: Callable[[], Mapping[str, Any]]
    secrets: tuple[str, ...] = ()


def run_batch(*, engine: Engine, job: str, items: Sequence[BatchItem]) -> list[RunResult]:
    """Run many slots of one job as `run_job` runs one, for a fraction of its transactions; the results of the
    slots this batch claimed, in order (a slot claimed already by anyone is skipped, as `run_job` skips it).

    * One transaction claims every slot (`claim_runs`: one INSERT ... ON CONFLICT DO NOTHING) and reads the
      targets' validators; a database failure there raises StoreError, before anything ran.
    * The claimed slots run one after the other, each `fn` in a `PollBatch`, so an unchanged spec poll only
      queues its counters. A run that wrote anything in its own unit of work (a change, a new version, a feed's
      counters, an error) gets its end written at once after it, as `run_job` does.
    * The ends of the runs that queued their counters are written with those counters in one last transaction.

    A crash mid-batch therefore leaves `running` exactly the claims whose end is not written: the unchanged runs
    (whose counters were lost with them, so running them again counts once) and the run in flight (whose unit
    of work was rolled back, or committed whole: polls are idempotent, a second poll finds nothing new). The slots
    with an end written stay done, and nothing a finished run wrote is written again.
    """
    if not items:
        return []
    started_at = utcnow()
    # Never flushed before the end: an unchanged run's counters and its end are written in the same transaction.
    batch = PollBatch(engine, size=2 * len(items) + 1)
    with session_scope(engine) as session:
        claimed = queries.claim_runs(session=session, job=job, slots=[(i.target, i.slot) for i in items],
                                     now=started_at)  # fmt: skip
        batch.preload(session, sorted({t for t, _ in claimed}))
    results = []
    for item in items:
        jlog = JobLog(log, {"job": job, "target": item.target, "slot": item.slot})
        run_id = claimed.pop((item.target, item.slot), None)  # popped: a slot listed twice still runs once
        if run_id is None:
            jlog.info("slot %s already claimed; skipped", item.slot)
            continue
        clock, run_started_at, pending = time.monotonic(), utcnow(), batch.pending()
        with batched(batch):
            counts, error = _call(item.fn, item.secrets, jlog)
        has_queued = batch.pending() > pending  # its counters wait in the batch (an unchanged spec's 304)
        # started_at becomes the run's own start (the claim stored the batch's), so durations stay true.
        result = RunResult(run_id=run_id, job=job, target=item.target, slot=item.slot,
                           status="ok" if error is None else "error", started_at=run_started_at,
                           finished_at=utcnow(), counts=counts, error=error)  # fmt: skip
        if has_queued:  # the end goes with the counters, so both are written or neither
            batch.run_ended(run_id, status=result.status, started_at=run_started_at, finished_at=result.finished_at,
                            counts=counts, error=result.error)  # fmt: skip
        else:  # the run wrote what it found in its own unit of work (a change, a feed's counters, an error)
            _record_end(engine, result, jlog)
        if result.is_ok:
            jlog.info("ok in %.2f s %s", time.monotonic() - clock, orjson.dumps(counts).decode())
        results.append(result)
    batch.flush()  # a failure is logged there: the runs are done, only their ends stay `running`
    return results


def _call(
    fn: Callable[[], Mapping[str, Any]], secrets: tuple[str, ...], jlog: JobLog
) -> tuple[dict[str, Any], str | None]:
    """Run `fn`: its counts, or its error as one masked line; nothing escapes."""
    try:
        # A round trip through JSON here, inside the catch, so an unstorable result is this run's error.
        return orjson.loads(orjson.dumps(dict(fn()), default=str)), None
    except Exception as exc:  # the whole point: one bad target never stops the scheduler
        error = error_line(exc, secrets)
        if isinstance(exc, MonitorError):
            jlog.warning("failed: %s", error)
        else:  # a bug or a foreign error: logged once, with its traceback (masked too)
            jlog.error("failed unexpectedly: %s\n%s", error, mask("".join(traceback.format_exception(exc)), secrets))
        return {}, error


def run_manual_batched(
    *,
    engine: Engine,
    job: str,
    target: str,
    fn: Callable[[], Mapping[str, Any]],
    batch: PollBatch,
    secrets: Iterable[str] = (),
) -> RunResult:
    """Run `fn` now in a fresh manual slot, as `run_job` does, with the run's row written after it, in one insert.

    A manual slot (`manual-<uuid>`) is unique by construction, so there is no claim to win first: the row is
    written once the run is over, complete. An unchanged source's row ("not-modified") joins `batch` (its poll
    queued its counters there too); any other run's row is inserted at once, after the poll's own unit of work.
    A crash mid-run therefore leaves no "running" row for a manual run, and loses at most the batch's rows.
    """
    secrets = tuple(secrets)
    slot = f"manual-{uuid.uuid4().hex}"  # 32 hex digits keep the slot within the 40 characters of JobRun.slot
    jlog = JobLog(log, {"job": job, "target": target, "slot": slot})
    started_at = utcnow()
    clock = time.monotonic()
    with batched(batch):
        counts, error = _call(fn, secrets, jlog)
    row = {"job": job, "target": target, "slot": slot, "status": "ok" if error is None else "error",
           "started_at": started_at, "finished_at": utcnow(), "counts": counts, "error": error}  # fmt: skip
    run_id: int | None = None
    if error is None and counts.get("outcome") == "not-modified":
        batch.run_finished(row)
    else:
        with session_scope(engine) as session:
            table = SQLModel.metadata.tables["jobrun"]
            run_id = int(session.execute(table.insert().values(**row).returning(table.c.id)).scalar_one())
    if error is None:
        jlog.info("ok in %.2f s %s", time.monotonic() - clock, orjson.dumps(counts).decode())
    return RunResult(run_id=run_id, **row)


def _record_end(engine: Engine, result: RunResult, jlog: JobLog, batch: PollBatch | None = None) -> None:
    try:
        with session_scope(engine) as session:
            if batch is not None:  # what the run queued (an unchanged poll's counters), in the same transaction
                batch.write_in(session)
            # One Core UPDATE by id (no ORM load, no ORM bulk path): it runs once per source per cycle.
            table = SQLModel.metadata.tables["jobrun"]  # JobRun's table, typed (JobRun.__table__ is not)
            session.execute(
                update(table)
                .where(table.c.id == result.run_id)
                .values(
                    status=result.status,
                    started_at=result.started_at,
                    finished_at=result.finished_at,
                    counts=result.counts,
                    error=result.error,
                )
            )
    except StoreError as exc:
        # The run's own writes are committed or rolled back already; only its record stays "running".
        jlog.error("cannot record the end of run %s: %s", result.run_id, error_line(exc))


def mark_interrupted(*, engine: Engine, started_before: datetime) -> int:
    """Close the runs a killed process left `running`, and give their scheduled slots back so they run again.

    Called when the service starts. A killed run's unit of work was rolled back (or committed whole: polls are
    idempotent), so running its slot again loses nothing and records nothing twice. The row keeps its history
    under the slot `<slot>~<run id>`. Manual runs (`monitor check`) are one-off and keep their slot; a run still
    going in another process overwrites this status when it ends, since the end of a run is recorded by id.
    """
    with session_scope(engine) as session:
        rows = queries.running_runs(session=session)
        stale = [r for r in rows if _aware(r.started_at) < started_before]
        for row in stale:
            row.status, row.finished_at = "error", started_before
            row.error = "interrupted: the process ended before the run finished"
            released = f"{row.slot}~{row.id}"
            if not row.slot.startswith("manual-") and len(released) <= SLOT_MAX_CHARS:
                row.slot = released
    return len(stale)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
