"""Reads and writes; each takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from monitor.store.models import (
    AnnouncedDate,
    Change,
    Contract,
    ContractEvent,
    ContractRun,
    FeedEntry,
    JobRun,
    OperationResult,
    Source,
    SpecSnapshot,
    utcnow,
)

# -- sources ----------------------------------------------------------------------------------------------------------


def ensure_source(*, session: Session, source_id: str, platform: str, name: str, kind: str, url: str) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        source = Source(id=source_id, platform=platform, name=name, kind=kind, url=url)
        session.add(source)
    elif source.url != url or source.kind != kind:
        source.url, source.kind = url, kind
    return source


def source_state(*, session: Session, source_id: str) -> tuple[str | None, str | None, str | None, str, str] | None:
    """(etag, last_modified, content_hash, url, kind) with one Core select: the hot path of every poll."""
    row = session.execute(
        select(Source.etag, Source.last_modified, Source.content_hash, Source.url, Source.kind).where(
            Source.id == source_id
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


def record_success(
    *, session: Session, source_id: str, now: datetime, not_modified: bool, warning: str | None = None
) -> None:
    """A successful poll: counters and times in one UPDATE, no ORM load (1,000 sources per cycle).

    `warning` flags a poll that succeeded with a problem (a malformed feed whose valid entries were kept)."""
    session.execute(
        update(Source)
        .where(col(Source.id) == source_id)
        .values(
            polls=Source.polls + 1,
            not_modified=Source.not_modified + int(not_modified),
            last_polled_at=now,
            last_success_at=now,
            consecutive_failures=0,
            last_error=warning[:1000] if warning else None,
        )
    )


def record_failure(*, session: Session, source_id: str, now: datetime, error: str) -> None:
    """A failed poll, recorded on its source; the stored versions and entries stay as they were."""
    session.execute(
        update(Source)
        .where(col(Source.id) == source_id)
        .values(
            polls=Source.polls + 1,
            last_polled_at=now,
            consecutive_failures=Source.consecutive_failures + 1,
            last_error=error[:1000],
        )
    )


def list_sources(*, session: Session) -> Sequence[Source]:
    return session.exec(select(Source).order_by(Source.id)).all()


# -- snapshots --------------------------------------------------------------------------------------------------------


def content_hash(document: Any) -> str:
    """Hash of the parsed document with sorted keys: whitespace and key order do not make a new version."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def find_snapshot(*, session: Session, source_id: str, digest: str) -> SpecSnapshot | None:
    return session.exec(
        select(SpecSnapshot).where(SpecSnapshot.source_id == source_id, SpecSnapshot.content_hash == digest)
    ).first()


def add_snapshot(
    *, session: Session, source_id: str, digest: str, body: bytes, fmt: str, title: str, version: str, now: datetime
) -> SpecSnapshot:
    snapshot = SpecSnapshot(
        source_id=source_id, content_hash=digest, format=fmt, title=title[:500], version=version[:100],
        size_bytes=len(body), body=zlib.compress(body, 6), first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    session.add(snapshot)
    session.flush()
    return snapshot


def snapshot_body(snapshot: SpecSnapshot) -> bytes:
    return zlib.decompress(snapshot.body)


def current_snapshot(*, session: Session, source: Source) -> SpecSnapshot | None:
    if source.content_hash is None:
        return None
    return find_snapshot(session=session, source_id=source.id, digest=source.content_hash)


def list_snapshots(*, session: Session, source_id: str) -> Sequence[SpecSnapshot]:
    return session.exec(
        select(SpecSnapshot).where(SpecSnapshot.source_id == source_id).order_by(col(SpecSnapshot.id))
    ).all()


# -- changes ----------------------------------------------------------------------------------------------------------


def fingerprint(rule_id: str, location: str, args: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps([rule_id, location, args], option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def record_upstream_changes(
    *, session: Session, source_id: str, changes: Iterable[dict[str, Any]], old_id: int | None, new_id: int,
    now: datetime,
) -> tuple[int, int]:  # fmt: skip
    """Store what changed between two consecutive versions. Returns (new, flapping).

    A change seen again in a later version (an operation removed, re-added, removed again) is the same row:
    its appearances grow and it is marked flapping instead of being reported anew.
    """
    new = flapping = 0
    for c in changes:
        fp = fingerprint(c["id"], c["location"], c["args"])
        row = _change(session, source_id, "previous", fp)
        if row is None:
            session.add(_new_change(source_id, "previous", fp, c, old_id, new_id, now, "confirmed"))
            new += 1
            continue
        row.appearances += 1
        row.status = "flapping"
        row.last_seen_at, row.old_snapshot_id, row.new_snapshot_id = now, old_id, new_id
        row.operations = sorted(set(row.operations) | set(c["operations"]))
        flapping += 1
    return new, flapping


def record_drift(
    *, session: Session, source_id: str, changes: Iterable[dict[str, Any]], contract_id: int, current_id: int,
    now: datetime, confirm_after: int,
) -> dict[str, int]:  # fmt: skip
    """Replace the drift between contract and current upstream; absent changes become `gone`.

    A drift change counts (`confirmed`) only once it has been seen in `confirm_after` consecutive polls.
    """
    present: set[str] = set()
    counts = {"new": 0, "confirmed": 0, "gone": 0, "flapping": 0}
    for c in changes:
        fp = fingerprint(c["id"], c["location"], c["args"])
        present.add(fp)
        row = _change(session, source_id, "contract", fp)
        if row is None:
            status = "confirmed" if confirm_after <= 1 else "pending"
            session.add(_new_change(source_id, "contract", fp, c, contract_id, current_id, now, status))
            counts["new"] += 1
            continue
        if row.status == "gone":  # it came back: count the reappearance, restart confirmation
            row.appearances += 1
            row.seen_count = 1
            row.status = "flapping" if row.appearances >= 2 else "pending"
            counts["flapping"] += 1
        row.last_seen_at, row.old_snapshot_id, row.new_snapshot_id = now, contract_id, current_id
        row.operations, row.message, row.level = c["operations"], c["message"][:2000], c["level"]
    for row in session.exec(
        select(Change).where(Change.source_id == source_id, Change.against == "contract", Change.status != "gone")
    ).all():
        if row.fingerprint not in present:
            row.status = "gone"
            counts["gone"] += 1
    session.flush()
    counts["confirmed"] = confirm_seen(session=session, source_id=source_id, confirm_after=confirm_after, now=now,
                                       count_poll=False)  # fmt: skip
    return counts


def confirm_seen(
    *, session: Session, source_id: str, confirm_after: int, now: datetime, count_poll: bool = True
) -> int:
    """One more poll saw the current drift: bump counts and confirm what reached `confirm_after`."""
    if confirm_after <= 1:  # every drift change was confirmed when first seen: nothing to count (the hot path)
        return 0
    base = (Change.source_id == source_id, Change.against == "contract", Change.status != "gone")
    if count_poll:
        session.execute(update(Change).where(*base).values(seen_count=Change.seen_count + 1, last_seen_at=now))
    result = session.execute(
        update(Change)
        .where(*base, Change.status == "pending", Change.seen_count >= confirm_after)
        .values(status="confirmed")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _change(session: Session, source_id: str, against: str, fp: str) -> Change | None:
    return session.exec(
        select(Change).where(Change.source_id == source_id, Change.against == against, Change.fingerprint == fp)
    ).first()


def _new_change(source_id: str, against: str, fp: str, c: dict[str, Any], old_id: int | None, new_id: int,
                now: datetime, status: str) -> Change:  # fmt: skip
    return Change(
        source_id=source_id, against=against, fingerprint=fp, rule_id=c["id"], level=c["level"],
        location=c["location"][:2000], message=c["message"][:2000], args=orjson.loads(orjson.dumps(c["args"], default=str)),
        operations=c["operations"], old_snapshot_id=old_id, new_snapshot_id=new_id, status=status,
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip


def list_changes(
    *, session: Session, source_id: str | None = None, against: str | None = None, level: str | None = None,
    include_gone: bool = False, limit: int = 500,
) -> Sequence[Change]:  # fmt: skip
    query = select(Change)
    if source_id:
        query = query.where(Change.source_id == source_id)
    if against:
        query = query.where(Change.against == against)
    if level:
        query = query.where(Change.level == level)
    if not include_gone:
        query = query.where(Change.status != "gone")
    return session.exec(query.order_by(col(Change.last_seen_at).desc(), col(Change.id).desc()).limit(limit)).all()


def drift_by_level(*, session: Session, source_id: str) -> dict[str, int]:
    """How many drift changes against the contract are current, per level."""
    rows = session.exec(
        select(Change.level, func.count())
        .where(Change.source_id == source_id, Change.against == "contract", Change.status != "gone")
        .group_by(Change.level)
    ).all()
    counts = {"breaking": 0, "warning": 0, "info": 0}
    counts.update({level: int(n) for level, n in rows})
    return counts


# -- contracts --------------------------------------------------------------------------------------------------------


def get_contract(*, session: Session, source_id: str) -> Contract | None:
    return session.get(Contract, source_id)


def set_contract(
    *, session: Session, source_id: str, snapshot_id: int, by: str, reason: str, action: str, now: datetime
) -> Contract:
    contract = session.get(Contract, source_id)
    previous = contract.snapshot_id if contract else None
    if contract is None:
        contract = Contract(source_id=source_id, snapshot_id=snapshot_id, pinned_at=now, pinned_by=by, reason=reason)
        session.add(contract)
    else:
        contract.snapshot_id, contract.pinned_at, contract.pinned_by, contract.reason = snapshot_id, now, by, reason
    session.add(ContractEvent(source_id=source_id, action=action, from_snapshot_id=previous,
                              to_snapshot_id=snapshot_id, at=now, by=by, reason=reason))  # fmt: skip
    return contract


def contract_events(*, session: Session, source_id: str) -> Sequence[ContractEvent]:
    return session.exec(
        select(ContractEvent).where(ContractEvent.source_id == source_id).order_by(col(ContractEvent.id))
    ).all()


# -- announcements ----------------------------------------------------------------------------------------------------


def find_entry(*, session: Session, source_id: str, entry_key: str) -> FeedEntry | None:
    return session.exec(
        select(FeedEntry).where(FeedEntry.source_id == source_id, FeedEntry.entry_key == entry_key)
    ).first()


def entry_hashes(*, session: Session, source_id: str) -> set[str]:
    return set(session.exec(select(FeedEntry.content_hash).where(FeedEntry.source_id == source_id)).all())


def record_announced_date(
    *, session: Session, subject: str, removal_date: date, entry_id: int, announced_at: datetime
) -> bool:
    """Keep every removal date announced for a subject; True when the date is new for it (a moved date)."""
    known = session.exec(select(AnnouncedDate).where(AnnouncedDate.subject == subject)).all()
    if any(d.removal_date == removal_date and d.entry_id == entry_id for d in known):
        return False
    session.add(AnnouncedDate(subject=subject, removal_date=removal_date, entry_id=entry_id, announced_at=announced_at))
    return bool(known) and all(d.removal_date != removal_date for d in known)


def date_history(*, session: Session, subject: str) -> Sequence[AnnouncedDate]:
    return session.exec(
        select(AnnouncedDate).where(AnnouncedDate.subject == subject).order_by(col(AnnouncedDate.announced_at))
    ).all()


def list_entries(
    *, session: Session, source_id: str | None = None, category: str | None = None, with_dates: bool = False,
    limit: int = 500,
) -> Sequence[FeedEntry]:  # fmt: skip
    """Announcements newest first; `with_dates`: only those with a removal or effective date."""
    query = select(FeedEntry)
    if source_id:
        query = query.where(FeedEntry.source_id == source_id)
    if category:
        query = query.where(FeedEntry.category == category)
    if with_dates:
        query = query.where(col(FeedEntry.removal_date).is_not(None) | col(FeedEntry.effective_date).is_not(None))
    return session.exec(
        query.order_by(col(FeedEntry.first_seen_at).desc(), col(FeedEntry.id).desc()).limit(limit)
    ).all()


# -- job runs ---------------------------------------------------------------------------------------------------------


def claim_run(*, session: Session, job: str, target: str, slot: str, now: datetime | None = None) -> int:
    """Insert the run's row and return its id; the unique (job, target, slot) constraint rejects a second claim.

    A Core INSERT ... RETURNING: it happens once per source per cycle, so no ORM object is built."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    result = session.execute(
        table.insert()
        .values(job=job, target=target, slot=slot, started_at=now or utcnow(), status="running", counts={})
        .returning(table.c.id)
    )
    return int(result.scalar_one())


def claim_runs(
    *, session: Session, job: str, slots: Sequence[tuple[str, str]], now: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Claim many (target, slot) of `job` in one INSERT ... ON CONFLICT DO NOTHING RETURNING: {(target, slot): id}
    of the claims won; a slot claimed already (by anyone, any time) is absent, as `claim_run` would refuse it."""
    if not slots:
        return {}
    table = JobRun.__table__  # type: ignore[attr-defined]
    # Both dialects have ON CONFLICT DO NOTHING (SQLite >= 3.24) and RETURNING (SQLite >= 3.35).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    started_at = now or utcnow()
    rows = [{"job": job, "target": t, "slot": s, "started_at": started_at, "status": "running", "counts": {}}
            for t, s in slots]  # fmt: skip
    query = (
        insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["job", "target", "slot"])
        .returning(table.c.id, table.c.target, table.c.slot)
    )
    return {(t, s): int(i) for i, t, s in session.execute(query)}


def running_runs(*, session: Session) -> Sequence[JobRun]:
    return session.exec(select(JobRun).where(JobRun.status == "running")).all()


def list_runs(*, session: Session, job: str | None = None, limit: int = 200) -> Sequence[JobRun]:
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    return session.exec(query.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)).all()


# -- contract test runs -----------------------------------------------------------------------------------------------

FAILING = ("failed", "error")


@dataclass(frozen=True, slots=True)
class OperationStatus:
    """The gate's view of one operation of a sandbox suite: its latest result and what came before it."""

    suite: str
    source_id: str
    operation: str  # `METHOD /path`
    operation_id: str | None
    status: str  # the latest result: passed, failed, error, skipped
    at: datetime
    run_id: int
    failing_since: datetime | None  # the first result of the current unbroken run of failures
    last_passed_at: datetime | None
    flaky: bool  # passed and failed alternated within the recent window
    recent: tuple[str, ...]  # newest first


def start_contract_run(
    *, session: Session, suite: str, source_id: str, base_url: str, phases: list[str], seed: int | None,
    job_run_id: int | None = None, now: datetime | None = None,
) -> ContractRun:  # fmt: skip
    run = ContractRun(suite=suite, source_id=source_id, base_url=base_url, phases=phases, seed=seed,
                      job_run_id=job_run_id, started_at=now or utcnow())  # fmt: skip
    session.add(run)
    session.flush()
    return run


def finish_contract_run(
    *, session: Session, run: ContractRun, status: str, counts: dict[str, Any], error: str | None,
    results: Iterable[dict[str, Any]], now: datetime | None = None,
) -> None:  # fmt: skip
    """Close the run and store one row per operation (`results`: OperationResult fields, already redacted)."""
    at = now or utcnow()
    run.status, run.counts, run.error, run.finished_at = status, counts, error, at
    session.add(run)
    assert run.id is not None
    for row in results:
        session.add(OperationResult(run_id=run.id, suite=run.suite, source_id=run.source_id, at=at, **row))
    session.flush()


def list_contract_runs(*, session: Session, suite: str | None = None, limit: int = 100) -> Sequence[ContractRun]:
    query = select(ContractRun)
    if suite:
        query = query.where(ContractRun.suite == suite)
    return session.exec(
        query.order_by(col(ContractRun.started_at).desc(), col(ContractRun.id).desc()).limit(limit)
    ).all()


def run_results(*, session: Session, run_id: int) -> Sequence[OperationResult]:
    return session.exec(
        select(OperationResult).where(OperationResult.run_id == run_id).order_by(col(OperationResult.operation))
    ).all()


def operation_statuses(
    *, session: Session, suite: str | None = None, source_id: str | None = None, window: int = 10
) -> list[OperationStatus]:
    """Latest status per (suite, source, operation), with failing-since, last pass and a flaky mark.

    Only the newest `window` results per operation are read (a window function), so the cost does not grow with
    history. Flaky: within that window, passes and failures alternate at least twice (pass, fail, pass)."""
    table = OperationResult.__table__  # type: ignore[attr-defined]
    rank = (
        func.row_number()
        .over(
            partition_by=(table.c.suite, table.c.source_id, table.c.operation),
            order_by=(table.c.at.desc(), table.c.id.desc()),
        )
        .label("rank")
    )
    inner = sa_select(table.c.suite, table.c.source_id, table.c.operation, table.c.operation_id, table.c.status,
                      table.c.at, table.c.run_id, rank)  # fmt: skip
    if suite:
        inner = inner.where(table.c.suite == suite)
    if source_id:
        inner = inner.where(table.c.source_id == source_id)
    ranked = inner.subquery()
    rows = session.execute(
        sa_select(ranked)
        .where(ranked.c.rank <= window)
        .order_by(ranked.c.suite, ranked.c.source_id, ranked.c.operation, ranked.c.rank)
    ).all()
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.suite, row.source_id, row.operation), []).append(row)
    return [_operation_status(history) for history in grouped.values()]


def _operation_status(history: list[Any]) -> OperationStatus:
    """`history` is newest first."""
    latest = history[0]
    failing_since = None
    for row in history:
        if row.status not in FAILING:
            break
        failing_since = row.at
    last_passed = next((row.at for row in history if row.status == "passed"), None)
    outcomes = [row.status in FAILING for row in history if row.status != "skipped"]
    flips = sum(1 for a, b in itertools.pairwise(outcomes) if a != b)
    return OperationStatus(
        suite=latest.suite, source_id=latest.source_id, operation=latest.operation, operation_id=latest.operation_id,
        status=latest.status, at=latest.at, run_id=latest.run_id, failing_since=failing_since,
        last_passed_at=last_passed, flaky=flips >= 2, recent=tuple(row.status for row in history),
    )  # fmt: skip
