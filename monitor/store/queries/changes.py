"""Changes between versions and drift from the contract: recorded, confirmed, flapping, listed.

Each function takes the session first (keyword-only) and never commits: the caller owns the unit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from monitor.store.models import Change


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
