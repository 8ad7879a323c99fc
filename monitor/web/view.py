"""What the dashboard shows, read from the store in one session: source health, gate decisions, timeline, pass rates.

Read-only: nothing here writes or commits (the gate's audit trail records decisions the pipeline asked for, not page
views). Every text comes from the store or upstream and is escaped by the template, never here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from monitor.config import Settings
from monitor.gate import Decision, evaluate
from monitor.redact import error_line
from monitor.store import queries
from monitor.store.models import ContractRun, OperationResult, Source

log = logging.getLogger("monitor.web")

TIMELINE_ITEMS = 60  # newest changes and announcements together; older ones are in `monitor changes/announcements`
PASS_RATE_DAYS = 14
RUNS_SHOWN = 30
COUNTED = ("passed", "failed", "error")  # skipped operations say nothing about the sandbox


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    id: str
    name: str
    kind: str
    url: str  # stored redacted
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_retry_at: datetime | None = None  # a failed source's next try (the scheduler's backoff)

    @property
    def state(self) -> str:
        """ok, failing (the last poll failed), warning (succeeded with a problem) or never (not polled yet)."""
        if self.last_polled_at is None:
            return "never"
        if self.consecutive_failures:
            return "failing"
        return "warning" if self.last_error else "ok"


@dataclass(frozen=True, slots=True)
class SandboxHealth:
    base_url: str  # stored redacted
    status: str | None  # of the latest run: passed, failed, error, running; None when it never ran
    finished_at: datetime | None
    error: str | None


@dataclass(slots=True)
class PlatformView:
    name: str
    sources: list[SourceHealth] = field(default_factory=list)
    sandbox: SandboxHealth | None = None


@dataclass(frozen=True, slots=True)
class GateView:
    integration: str
    environment: str
    decision: Decision | None  # None when it could not be evaluated
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    kind: str  # change, announcement
    source_id: str
    title: str
    level: str  # breaking, warning, info for changes; the category for announcements
    detail: str  # rule id and comparison for changes; severity for announcements
    operations: list[str]
    status: str | None = None  # of a change: pending, confirmed, flapping, gone
    removal_date: date | None = None
    days_left: int | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """Operations passed out of those counted, in one bucket (a UTC day, or one run)."""

    label: str  # 2026-11-28, or the run's finish time
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class PassRates:
    suite: str
    days: list[Rate]  # oldest first, days without runs left out
    runs: list[Rate]  # the latest runs, oldest first: what a fresh install (or the demo) has to show


@dataclass(slots=True)
class Dashboard:
    generated_at: datetime
    platforms: list[PlatformView]
    gates: list[GateView]
    timeline: list[TimelineItem]
    pass_rates: list[PassRates]
    limits: list[dict[str, Any]] = field(default_factory=list)  # monitor.limits.table.display_row per used operation


def build_dashboard(*, session: Session, settings: Settings, now: datetime) -> Dashboard:
    """Everything the page shows, as of `now`."""
    return Dashboard(
        generated_at=now,
        platforms=platforms(session=session, settings=settings),
        gates=gates(session=session, settings=settings, now=now),
        timeline=timeline(session=session, today=now.date()),
        pass_rates=pass_rates(session=session, now=now),
        limits=limits(session=session, settings=settings),
    )


def limits(*, session: Session, settings: Settings) -> list[dict[str, Any]]:
    """The rate-limits table of every integration (the same rows as `monitor limits` and the nightly report)."""
    from monitor.limits.table import all_rows, display_row

    return [display_row(r) for r in all_rows(session=session, settings=settings)]


def platforms(*, session: Session, settings: Settings) -> list[PlatformView]:
    """Configured platforms first (in config order), then any platform only the store still knows."""
    views = {name: PlatformView(name) for name in settings.platforms}
    for source in queries.list_sources(session=session):
        view = views.setdefault(source.platform, PlatformView(source.platform))
        view.sources.append(_health(source))
    for name, view in views.items():
        platform = settings.platforms.get(name)
        if platform is not None and platform.sandbox is not None:
            view.sandbox = _sandbox(session, name)
    return list(views.values())


def _health(source: Source) -> SourceHealth:
    return SourceHealth(id=source.id, name=source.name, kind=source.kind, url=source.url,
                        last_polled_at=_utc(source.last_polled_at), last_success_at=_utc(source.last_success_at),
                        consecutive_failures=source.consecutive_failures, last_error=source.last_error,
                        next_retry_at=_utc(source.next_retry_at) if source.consecutive_failures else None)  # fmt: skip


def _sandbox(session: Session, suite: str) -> SandboxHealth:
    runs = queries.list_contract_runs(session=session, suite=suite, limit=1)
    if not runs:
        return SandboxHealth(base_url="", status=None, finished_at=None, error=None)
    run = runs[0]
    return SandboxHealth(base_url=run.base_url, status=run.status, finished_at=_utc(run.finished_at), error=run.error)


def gates(*, session: Session, settings: Settings, now: datetime) -> list[GateView]:
    """The gate per integration and environment; one that cannot be evaluated shows its error, not a blank page."""
    views = []
    for integration, config in settings.integrations.items():
        for environment in config.environments:
            try:
                decision = evaluate(session=session, settings=settings, integration=integration,
                                    environment=environment, now=now)  # fmt: skip
                views.append(GateView(integration, environment, decision))
            except Exception as exc:  # one broken evaluation must not take the whole page down
                log.warning("dashboard: gate %s/%s: %s", integration, environment, error_line(exc))
                views.append(GateView(integration, environment, None, error_line(exc)))
    return views


_AGAINST = {"contract": "drift from the contract", "observed": "drift observed in real answers"}


def timeline(*, session: Session, today: date, limit: int = TIMELINE_ITEMS) -> list[TimelineItem]:
    """Newest first: changes (upstream and drift, gone ones included: they are history) and announcements."""
    items = [
        TimelineItem(
            at=_utc(c.first_seen_at) or c.first_seen_at,
            kind="change",
            source_id=c.source_id,
            title=c.message,
            level=c.level,
            detail=f"{c.rule_id} · {_AGAINST.get(c.against, 'upstream')}",
            operations=list(c.operations),
            status=c.status,
        )
        for c in queries.list_changes(session=session, include_gone=True, limit=limit)
    ]
    for e in queries.list_entries(session=session, limit=limit):
        days = (e.removal_date - today).days if e.removal_date else None
        ops = [f"{pair[1]}" for pair in e.operations if isinstance(pair, (list, tuple)) and len(pair) == 2]
        items.append(TimelineItem(at=_utc(e.published_at) or _utc(e.first_seen_at) or e.first_seen_at,
                                  kind="announcement", source_id=e.source_id, title=e.title, level=e.category,
                                  detail=f"{e.severity} severity", operations=ops, removal_date=e.removal_date,
                                  days_left=days, link=_safe_link(e.link)))  # fmt: skip
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _safe_link(link: str | None) -> str | None:
    """Only http(s) links become hrefs: a feed is hostile input, and `javascript:` is a link too."""
    if link and link.lower().startswith(("https://", "http://")):
        return link
    return None


def pass_rates(
    *, session: Session, now: datetime, days: int = PASS_RATE_DAYS, runs: int = RUNS_SHOWN
) -> list[PassRates]:
    """Per suite: operations passed / (passed + failed + error) per UTC day over the last `days` days, and per run
    for the latest `runs` runs.

    Counted in SQL per run and status; days are taken from each run's finish time in Python, so one query serves
    SQLite and PostgreSQL alike (their date functions and time zones differ).
    """
    since = now - timedelta(days=days)
    rows = session.execute(
        sa_select(ContractRun.suite, ContractRun.id, ContractRun.finished_at, OperationResult.status, func.count())
        .join(OperationResult, col(OperationResult.run_id) == col(ContractRun.id))
        .where(col(ContractRun.finished_at) >= since, col(OperationResult.status).in_(COUNTED))
        .group_by(ContractRun.suite, ContractRun.id, ContractRun.finished_at, OperationResult.status)
    ).all()  # fmt: skip
    per_run: dict[str, dict[tuple[datetime, int], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for suite, run_id, finished_at, status, n in rows:
        bucket = per_run[suite][(_utc(finished_at) or now, run_id)]
        bucket[1] += n
        bucket[0] += n if status == "passed" else 0
    result = []
    for suite, by_run in sorted(per_run.items()):
        by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for (finished, _run_id), (passed, total) in by_run.items():
            day = by_day[finished.astimezone(UTC).date()]
            day[0] += passed
            day[1] += total
        ordered = sorted(by_run.items())[-runs:]
        result.append(PassRates(
            suite,
            [Rate(d.isoformat(), p, t) for d, (p, t) in sorted(by_day.items())],
            [Rate(f"{at:%Y-%m-%d %H:%M:%S} UTC (run {run_id})", p, t) for (at, run_id), (p, t) in ordered],
        ))  # fmt: skip
    return result
