"""Assemble a report's facts from the store: changes, announcements, removal dates, contract runs, gate, sources."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from monitor.config import Settings
from monitor.contracts import spec_of
from monitor.engine import EngineError
from monitor.engine.filters import normalise_operation_ref
from monitor.store import models, queries
from monitor.store.models import Change, ContractRun, FeedEntry, OperationResult, Source

UPCOMING_DAYS = 180  # removal dates this far ahead are "upcoming"
MAX_LISTED = 50  # rows per list in a report; counts stay exact


@dataclass
class DayPoint:
    day: date
    changes: int
    results: int
    passed: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.results if self.results else None


@dataclass
class ReportData:
    """Everything a report shows, as plain values: every renderer reads this and nothing else."""

    since: datetime
    until: datetime
    day: date
    changes_by_level: dict[str, int] = field(default_factory=dict)
    changes_by_platform: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)  # current drift per source and level
    announcements: list[dict[str, Any]] = field(default_factory=list)
    announcements_total: int = 0  # the list stops at MAX_LISTED
    removals: list[dict[str, Any]] = field(default_factory=list)  # upcoming dates touching our integrations
    runs: list[dict[str, Any]] = field(default_factory=list)  # per suite: runs, passed, operation pass rate
    gate: dict[str, Any] | None = None  # None when the gate tables do not exist
    failing_sources: list[dict[str, Any]] = field(default_factory=list)
    week: list[DayPoint] = field(default_factory=list)
    limits: list[dict[str, Any]] = field(default_factory=list)  # per integration and used operation (limits.table)

    def summary(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(), "day": self.day.isoformat(),
            "changes": sum(self.changes_by_level.values()), "changes_by_level": self.changes_by_level,
            "announcements": self.announcements_total, "removals": len(self.removals),
            "failing_sources": len(self.failing_sources),
            "runs": {r["suite"]: r["operation_pass_rate"] for r in self.runs},
            "gate": (self.gate or {}).get("by_decision"),
        }  # fmt: skip


def assemble(*, session: Session, settings: Settings, until: datetime, since: datetime, day: date) -> ReportData:
    """The facts of [since, until): a day for the nightly report, any span for `monitor report --since`."""
    data = ReportData(since=since, until=until, day=day)
    _changes(session, data)
    _announcements(session, settings, data)
    _runs(session, data)
    _gate(session, data)
    data.failing_sources = [
        {
            "source": s.id,
            "failures": s.consecutive_failures,
            "error": s.last_error or "",
            "since": _iso(s.last_success_at),
        }
        for s in session.exec(select(Source).where(Source.consecutive_failures > 0).order_by(Source.id)).all()
    ]
    data.week = _week(session, until)
    from monitor.limits.table import all_rows, display_row

    data.limits = [display_row(r) for r in all_rows(session=session, settings=settings)]
    return data


def _changes(session: Session, data: ReportData) -> None:
    rows = session.exec(
        select(Change)
        .where(Change.against == "previous", Change.first_seen_at >= data.since, Change.first_seen_at < data.until)
        .order_by(col(Change.id))
    ).all()
    levels: Counter[str] = Counter()
    platforms: dict[str, Counter[str]] = defaultdict(Counter)
    for c in rows:
        levels[c.level] += 1
        platforms[c.source_id.split("/", 1)[0]][c.level] += 1
    data.changes_by_level = {lv: levels.get(lv, 0) for lv in ("breaking", "warning", "info")}
    data.changes_by_platform = {p: dict(v) for p, v in sorted(platforms.items())}
    order = {"breaking": 0, "warning": 1, "info": 2}
    data.changes = [
        {"source": c.source_id, "level": c.level, "rule": c.rule_id, "message": c.message, "status": c.status,
         "operations": c.operations[:5]}
        for c in sorted(rows, key=lambda c: (order.get(c.level, 3), c.id or 0))[:MAX_LISTED]
    ]  # fmt: skip
    for source_id in sorted({c.source_id for c in session.exec(select(Change).where(Change.against == "contract"))}):
        counts = queries.drift_by_level(session=session, source_id=source_id)
        if any(counts.values()):
            data.drift.append({"source": source_id, **counts})
    observed = session.exec(select(Change.source_id, Change.level).where(Change.against == "observed",
                                                                         Change.status != "gone")).all()  # fmt: skip
    for source_id in sorted({row[0] for row in observed}):  # drift seen in real answers, beside the spec's
        counts = {
            lv: sum(1 for s, level in observed if s == source_id and level == lv)
            for lv in ("breaking", "warning", "info")
        }
        data.drift.append({"source": f"{source_id} (observed in traffic)", **counts})


def _announcements(session: Session, settings: Settings, data: ReportData) -> None:
    new = session.exec(
        select(FeedEntry)
        .where(FeedEntry.first_seen_at >= data.since, FeedEntry.first_seen_at < data.until)
        .order_by(col(FeedEntry.id))
    ).all()
    data.announcements = [_entry(e) for e in new[:MAX_LISTED]]
    data.announcements_total = len(new)
    used = _used_operations(session, settings)
    today = data.until.date()
    upcoming = session.exec(
        select(FeedEntry)
        .where(col(FeedEntry.removal_date) >= today, col(FeedEntry.removal_date) <= today + timedelta(UPCOMING_DAYS))
        .order_by(col(FeedEntry.removal_date), col(FeedEntry.id))
    ).all()
    seen: set[tuple[str, str]] = set()
    for e in upcoming:
        touched = sorted(
            {
                name
                for name, ops in used.items()
                for op in e.operations
                if len(op) > 1 and (op[0], normalise_operation_ref(op[1])) in ops
            }
        )
        key = (e.subject or e.title, str(e.removal_date))
        if touched and key not in seen:
            seen.add(key)
            data.removals.append({**_entry(e), "integrations": touched,
                                  "days_left": (e.removal_date - today).days if e.removal_date else None})  # fmt: skip


def _used_operations(session: Session, settings: Settings) -> dict[str, set[tuple[str, str]]]:
    """Integration -> {(source, operation key)}: usage lists name operationIds or `METHOD /path`."""
    specs: dict[str, Any] = {}
    used: dict[str, set[tuple[str, str]]] = {}
    for name, integration in settings.integrations.items():
        ops: set[tuple[str, str]] = set()
        for source_id, wanted in integration.uses.items():
            if source_id not in specs:
                specs[source_id] = _current_spec(session, source_id)
            spec = specs[source_id]
            for op in spec.operations.values() if spec else ():
                if op.operation_id in wanted or op.label in wanted or op.key in wanted:
                    ops.add((source_id, op.key))
        used[name] = ops
    return used


def _current_spec(session: Session, source_id: str) -> Any:
    source = session.get(Source, source_id)
    snapshot = queries.current_snapshot(session=session, source=source) if source else None
    try:
        return spec_of(snapshot) if snapshot else None
    except EngineError:  # a stored version that no longer loads: its operations are simply not matched
        return None


def _entry(e: FeedEntry) -> dict[str, Any]:
    return {"source": e.source_id, "title": e.title, "link": e.link, "category": e.category, "severity": e.severity,
            "removal_date": _iso(e.removal_date), "effective_date": _iso(e.effective_date),
            "published_at": _iso(e.published_at)}  # fmt: skip


def _runs(session: Session, data: ReportData) -> None:
    runs = session.exec(
        select(ContractRun).where(ContractRun.started_at >= data.since, ContractRun.started_at < data.until)
    ).all()
    results = session.exec(
        select(OperationResult.suite, OperationResult.status)
        .where(OperationResult.at >= data.since, OperationResult.at < data.until)
    ).all()  # fmt: skip
    by_suite: dict[str, Counter[str]] = defaultdict(Counter)
    for suite, status in results:
        by_suite[suite][status] += 1
    for suite in sorted({r.suite for r in runs} | set(by_suite)):
        mine = [r for r in runs if r.suite == suite]
        ops = by_suite[suite]
        judged = ops["passed"] + ops["failed"] + ops["error"]
        data.runs.append({
            "suite": suite, "runs": len(mine), "passed": sum(r.status == "passed" for r in mine),
            "failed": sum(r.status == "failed" for r in mine), "error": sum(r.status == "error" for r in mine),
            "operation_results": judged, "operation_pass_rate": round(ops["passed"] / judged, 4) if judged else None,
        })  # fmt: skip


def _gate(session: Session, data: ReportData) -> None:
    """Gate decisions and deployments, read only when their tables exist (they arrive with the gate)."""
    decision_model = getattr(models, "GateDecision", None)
    deployment_model = getattr(models, "Deployment", None)
    if decision_model is None:
        return
    decisions = session.exec(
        select(decision_model).where(
            decision_model.evaluated_at >= data.since, decision_model.evaluated_at < data.until
        )
    ).all()
    by_decision = Counter(d.decision for d in decisions)
    latest: dict[tuple[str, str], Any] = {}
    for d in sorted(decisions, key=lambda d: (_aware(d.evaluated_at), d.id or 0)):
        latest[(d.integration, d.environment)] = d
    deployments = []
    if deployment_model is not None:
        deployments = [
            {"integration": d.integration, "environment": d.environment, "version": d.version, "by": d.by,
             "at": _iso(d.at)}
            for d in session.exec(
                select(deployment_model).where(deployment_model.at >= data.since, deployment_model.at < data.until)
                .order_by(col(deployment_model.at))
            ).all()[:MAX_LISTED]
        ]  # fmt: skip
    data.gate = {
        "by_decision": {k: by_decision.get(k, 0) for k in ("pass", "warn", "fail", "unknown")},
        "latest": [
            {"integration": i, "environment": e, "decision": d.decision} for (i, e), d in sorted(latest.items())
        ],
        "deployments": deployments,
    }


def _week(session: Session, until: datetime) -> list[DayPoint]:
    """Seven days ending at `until`: changes found and the operation pass rate, for the chart."""
    start = until - timedelta(days=7)
    changes = session.exec(
        select(Change.first_seen_at)
        .where(Change.against == "previous", Change.first_seen_at >= start, Change.first_seen_at < until)
    ).all()  # fmt: skip
    results = session.exec(
        select(OperationResult.at, OperationResult.status).where(
            OperationResult.at >= start, OperationResult.at < until
        )
    ).all()
    points = []
    for i in range(7):
        lo, hi = start + timedelta(days=i), start + timedelta(days=i + 1)
        day_results = [s for at, s in results if lo <= _aware(at) < hi and s != "skipped"]
        points.append(DayPoint(day=lo.date(), changes=sum(1 for at in changes if lo <= _aware(at) < hi),
                               results=len(day_results), passed=sum(1 for s in day_results if s == "passed")))  # fmt: skip
    return points


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    return value.isoformat()
