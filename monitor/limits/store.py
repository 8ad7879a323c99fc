"""Observed and announced limits in the database: record them, and read the latest per operation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from monitor.engine.limits import format_rate
from monitor.engine.model import operation_key
from monitor.limits.headers import parse_limit
from monitor.store.models import AnnouncedLimit, ContractRun, FeedEntry, ObservedLimit


def observed_rows(operations: Iterable[Any]) -> list[dict[str, Any]]:
    """ObservedLimit fields from a run's per-operation results (sandbox.runner.OperationResult): headers and 429s."""
    rows = []
    for op in operations:
        if not op.rate_limit_headers and not op.throttled:
            continue
        parsed = parse_limit(op.rate_limit_headers)
        moment = op.rate_limit_seen_at or op.throttled_at
        rows.append({
            "operation": op.label, "rate": parsed.rate if parsed else None, "header": parsed.header if parsed else None,
            "value": parsed.value if parsed else None, "headers": dict(op.rate_limit_headers),
            "throttled": op.throttled,
            "seen_at": datetime.fromtimestamp(moment, UTC) if moment else None,
        })  # fmt: skip
    return rows


def record_observed(*, session: Session, run: ContractRun, rows: Iterable[Mapping[str, Any]], now: datetime) -> None:
    assert run.id is not None
    for row in rows:
        session.add(ObservedLimit(run_id=run.id, suite=run.suite, source_id=run.source_id,
                                  **{**row, "seen_at": row.get("seen_at") or now}))  # fmt: skip


def latest_observed(*, session: Session, source_id: str) -> dict[str, ObservedLimit]:
    """Operation key -> its latest observation (headers or a 429): one row per operation, however many runs."""
    newest = (
        select(func.max(ObservedLimit.id)).where(ObservedLimit.source_id == source_id).group_by(ObservedLimit.operation)
    )  # ids grow with time: a run stores its rows when it finishes
    rows = session.exec(
        select(ObservedLimit).where(col(ObservedLimit.id).in_(newest)).order_by(col(ObservedLimit.id).desc())
    ).all()
    latest: dict[str, ObservedLimit] = {}
    for row in rows:
        method, _, path = row.operation.partition(" ")
        latest.setdefault(operation_key(method, path), row)
    return latest


def record_announced(*, session: Session, entry: FeedEntry, limits: Iterable[Any]) -> None:
    """Keep the limits an announcement gives (sources.announcement_limits.AnnouncedFigure) with the entry."""
    assert entry.id is not None
    for figure in limits:
        session.add(AnnouncedLimit(entry_id=entry.id, operation=figure.operation[:300], rate=figure.rate,
                                   burst=figure.burst, text=figure.text[:500],
                                   announced_at=entry.published_at or entry.first_seen_at))  # fmt: skip


def latest_announced(*, session: Session, operations: Iterable[str]) -> dict[str, AnnouncedLimit]:
    """Operation name (operationId as announcements write it) -> the newest announced figure."""
    names = list(set(operations))
    if not names:
        return {}
    rows = session.exec(
        select(AnnouncedLimit).where(col(AnnouncedLimit.operation).in_(names))
        .order_by(col(AnnouncedLimit.announced_at).desc(), col(AnnouncedLimit.id).desc())
    ).all()  # fmt: skip
    latest: dict[str, AnnouncedLimit] = {}
    for row in rows:
        latest.setdefault(row.operation, row)
    return latest


def announced_by_entry(*, session: Session, entry_ids: Iterable[int]) -> dict[int, list[AnnouncedLimit]]:
    """The figures each announcement gave (`monitor announcements` shows them beside the entry)."""
    ids = [i for i in set(entry_ids) if i is not None]
    found: dict[int, list[AnnouncedLimit]] = {}
    if not ids:
        return found
    rows = session.exec(select(AnnouncedLimit).where(col(AnnouncedLimit.entry_id).in_(ids))
                        .order_by(col(AnnouncedLimit.id))).all()  # fmt: skip
    for row in rows:
        found.setdefault(row.entry_id, []).append(row)
    return found


def announced_text(limit: AnnouncedLimit) -> str:
    """`getItemOffers 5/s burst 10`: an announced figure as a person reads it."""
    parts = [limit.operation]
    if limit.rate is not None:
        parts.append(f"{format_rate(limit.rate)}/s")
    if limit.burst is not None:
        parts.append(f"burst {limit.burst}")
    return " ".join(parts)
