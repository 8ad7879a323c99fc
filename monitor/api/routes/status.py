"""Read-only views: source and sandbox health, changes, announcements, contract runs and contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from monitor.api.auth import require
from monitor.api.deps import MAX_ID, EngineDep, Limit, OptionalName, SessionDep, SettingsDep
from monitor.api.errors import ERROR_RESPONSES, NotFound
from monitor.api.schemas import (
    AnnouncementPublic,
    ChangePublic,
    ContractPublic,
    ContractRunDetail,
    ContractRunPublic,
    ErrorPublic,
    JobRunPublic,
    SandboxStatus,
    SourceStatus,
    StatusPublic,
)
from monitor.health import Heartbeat
from monitor.jobs.contracts import contract_status
from monitor.store import queries
from monitor.store.models import Change, ContractRun, FeedEntry, utcnow

router = APIRouter(tags=["status"], dependencies=[Depends(require("read"))], responses=ERROR_RESPONSES)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorPublic, "description": "No such item"}}
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/status", response_model=StatusPublic)
def status(request: Request, session: SessionDep, settings: SettingsDep) -> StatusPublic:
    """Every configured source (and any stored one) with its health, and every sandbox's latest contract run."""
    heartbeat: Heartbeat = request.app.state.heartbeat
    rows = {s.id: s for s in queries.list_sources(session=session)}
    configured = {f"{p}/{n}": ("spec", p) for p, n, _ in settings.spec_sources()}
    configured |= {f"{p}/{n}": (f.kind, p) for p, n, f in settings.feed_sources()}
    sources = []
    for source_id in sorted(set(rows) | set(configured)):
        row = rows.get(source_id)
        kind, platform = configured.get(source_id, (row.kind if row else "spec", source_id.split("/", 1)[0]))
        sources.append(SourceStatus(
            id=source_id, platform=platform, kind=kind, configured=source_id in configured,
            url=row.url if row else None, last_polled_at=_aware(row.last_polled_at) if row else None,
            last_success_at=_aware(row.last_success_at) if row else None, last_error=row.last_error if row else None,
            consecutive_failures=row.consecutive_failures if row else 0,
            healthy=bool(row and row.last_success_at and row.consecutive_failures == 0),
            next_retry_at=_aware(row.next_retry_at) if row and row.consecutive_failures else None,
        ))  # fmt: skip
    sandboxes = []
    for platform, config in settings.platforms.items():
        if config.sandbox is None:
            continue
        runs = queries.list_contract_runs(session=session, suite=platform, limit=1)
        ops = queries.operation_statuses(session=session, suite=platform)
        sandboxes.append(SandboxStatus(
            platform=platform, last_run_id=runs[0].id if runs else None, last_status=runs[0].status if runs else None,
            last_finished_at=_aware(runs[0].finished_at) if runs else None,
            failing_operations=sum(1 for o in ops if o.status in queries.FAILING),
            flaky_operations=sum(1 for o in ops if o.flaky),
        ))  # fmt: skip
    return StatusPublic(sources=sources, sandboxes=sandboxes, scheduler_alive=heartbeat.is_alive(),
                        evaluated_at=utcnow())  # fmt: skip


@router.get("/changes", response_model=list[ChangePublic])
def changes(
    session: SessionDep,
    limit: Limit = 100,
    source: OptionalName = None,
    against: Annotated[Literal["previous", "contract", "observed"] | None, Query()] = None,
    level: Annotated[Literal["breaking", "warning", "info"] | None, Query()] = None,
    include_gone: bool = False,
) -> Any:
    """Changes upstream (`previous`) and drift from the contract (`contract`), newest first."""
    return queries.list_changes(session=session, source_id=source, against=against, level=level,
                                include_gone=include_gone, limit=limit)  # fmt: skip


@router.get("/changes/{change_id}", response_model=ChangePublic, responses=NOT_FOUND)
def change(session: SessionDep, change_id: ItemId) -> Any:
    row = session.get(Change, change_id)
    if row is None:
        raise NotFound(f"no change with id {change_id}")
    return row


@router.get("/announcements", response_model=list[AnnouncementPublic])
def announcements(
    session: SessionDep,
    limit: Limit = 100,
    source: OptionalName = None,
    category: OptionalName = None,
    with_dates: Annotated[bool, Query(description="Only entries with a removal or effective date")] = False,
) -> Any:
    """Announcements from feeds and changelog pages, classified, with dates and linked operations."""
    return queries.list_entries(session=session, source_id=source, category=category, with_dates=with_dates,
                                limit=limit)  # fmt: skip


@router.get("/announcements/{entry_id}", response_model=AnnouncementPublic, responses=NOT_FOUND)
def announcement(session: SessionDep, entry_id: ItemId) -> Any:
    row = session.get(FeedEntry, entry_id)
    if row is None:
        raise NotFound(f"no announcement with id {entry_id}")
    return row


@router.get("/runs", response_model=list[ContractRunPublic])
def runs(session: SessionDep, limit: Limit = 100, suite: OptionalName = None) -> Any:
    """Sandbox contract test runs, newest first."""
    return queries.list_contract_runs(session=session, suite=suite, limit=limit)


@router.get("/runs/{run_id}", response_model=ContractRunDetail, responses=NOT_FOUND)
def run(session: SessionDep, run_id: ItemId) -> Any:
    """One contract run with its per-operation results."""
    row = session.get(ContractRun, run_id)
    if row is None:
        raise NotFound(f"no contract run with id {run_id}")
    results = queries.run_results(session=session, run_id=run_id)
    return ContractRunDetail.model_validate({**row.model_dump(), "results": [r.model_dump() for r in results]})


@router.get("/jobs", response_model=list[JobRunPublic])
def jobs(session: SessionDep, limit: Limit = 100, job: OptionalName = None) -> Any:
    """Job runs (polls, contract runs, reports) with their outcome, newest first."""
    return queries.list_runs(session=session, job=job, limit=limit)


@router.get("/contracts", response_model=list[ContractPublic])
def contracts(settings: SettingsDep, engine: EngineDep) -> Any:
    """Every configured spec source's contract, current upstream version and drift by level."""
    return [
        ContractPublic(
            source_id=s.source_id,
            contract=_snapshot(s.contract),
            pinned_at=_aware(s.pinned_at),
            pinned_by=s.pinned_by,
            reason=s.reason,
            current=_snapshot(s.current),
            drift=s.drift,
        )
        for s in contract_status(settings=settings, engine=engine)
    ]


def _snapshot(ref: Any) -> dict[str, Any] | None:
    return None if ref is None else {"id": ref.id, "version": ref.version, "first_seen_at": _aware(ref.first_seen_at)}
