"""Reads and writes; each takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from monitor.store.models import (
    AnnouncedDate,
    Change,
    Contract,
    ContractEvent,
    FeedEntry,
    JobRun,
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


def list_entries(*, session: Session, source_id: str | None = None, limit: int = 500) -> Sequence[FeedEntry]:
    query = select(FeedEntry)
    if source_id:
        query = query.where(FeedEntry.source_id == source_id)
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


def running_runs(*, session: Session) -> Sequence[JobRun]:
    return session.exec(select(JobRun).where(JobRun.status == "running")).all()


def list_runs(*, session: Session, job: str | None = None, limit: int = 200) -> Sequence[JobRun]:
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    return session.exec(query.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)).all()
