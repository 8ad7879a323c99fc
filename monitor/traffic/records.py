"""Observed findings as Change rows (against = "observed"): confirmed, flapping and gone like spec drift.

One observation (a dropped capture, a contract run's answers) is one "poll" of the traffic: a finding present in it
is seen once more (confirmed after `confirm_after` observations); a finding absent from an observation that did
exercise its operations is gone; an observation that never called an operation says nothing about its findings.
Counts accumulate over observations, so a row reads "missing in 37 of 40 answers since 2026-12-01".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from sqlmodel import Session, select

from monitor.store.models import Change
from monitor.store.queries import fingerprint
from monitor.traffic.observe import COUNT_ARGS, message

AGAINST = "observed"


def identity(change: dict[str, Any]) -> str:
    """The fingerprint of an observed finding: its rule, place and stable arguments, never its counts."""
    stable = {k: v for k, v in change["args"].items() if k not in COUNT_ARGS}
    return fingerprint(change["id"], change["location"], stable)


def record_observed(
    *, session: Session, source_id: str, changes: Iterable[dict[str, Any]], exercised: Iterable[str],
    contract_id: int | None, now: datetime, confirm_after: int,
) -> dict[str, int]:  # fmt: skip
    """Store one observation's findings (diff-shaped dicts); returns counts by outcome (new, seen, gone, flapping).

    `exercised` are the operation labels this observation had answers for: only their findings can be gone."""
    counts = {"new": 0, "seen": 0, "gone": 0, "flapping": 0, "confirmed": 0}
    present: set[str] = set()
    for c in changes:
        fp = identity(c)
        present.add(fp)
        row = session.exec(
            select(Change).where(Change.source_id == source_id, Change.against == AGAINST, Change.fingerprint == fp)
        ).first()
        args = orjson.loads(orjson.dumps(c["args"], default=str))
        if row is None:
            status = "confirmed" if confirm_after <= 1 else "pending"
            counts["confirmed" if status == "confirmed" else "new"] += 1
            session.add(Change(
                source_id=source_id, against=AGAINST, fingerprint=fp, rule_id=c["id"], level=c["level"],
                location=c["location"][:2000], message=c["message"][:2000], args=args, operations=c["operations"],
                old_snapshot_id=contract_id, new_snapshot_id=None, status=status, first_seen_at=now, last_seen_at=now,
            ))  # fmt: skip
            continue
        merged = dict(row.args)
        if row.status == "gone":  # it came back: a new run of answers, counted afresh
            row.appearances += 1
            row.seen_count = 1
            row.status = "flapping"
            counts["flapping"] += 1
            merged.update(count=0, total=0)
        else:
            row.seen_count += 1
            counts["seen"] += 1
            if row.status == "pending" and row.seen_count >= confirm_after:
                row.status = "confirmed"
                counts["confirmed"] += 1
        merged["count"] = int(merged.get("count") or 0) + int(args.get("count") or 0)
        merged["total"] = int(merged.get("total") or 0) + int(args.get("total") or 0)
        merged["since"] = min(filter(None, (merged.get("since"), args.get("since"))), default=None)
        merged["until"] = max(filter(None, (merged.get("until"), args.get("until"))), default=None)
        row.args = merged
        row.message = message(row.rule_id, merged, c["operations"][0] if c["operations"] else None)[:2000]
        row.level, row.operations, row.last_seen_at, row.old_snapshot_id = c["level"], c["operations"], now, contract_id
        session.add(row)
    covered = set(exercised)
    for row in session.exec(
        select(Change).where(Change.source_id == source_id, Change.against == AGAINST, Change.status != "gone")
    ).all():
        if row.fingerprint not in present and row.operations and set(row.operations) <= covered:
            row.status = "gone"
            row.last_seen_at = now
            session.add(row)
            counts["gone"] += 1
    session.flush()
    return counts
