"""Helpers shared by the commands: tables, JSON and time formatting, logging set-up, settings plus engine."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: commands import what they use, so `monitor --help` stays fast
    from rich.table import Table
    from sqlalchemy.engine import Engine

    from monitor.config import Settings
    from monitor.jobs.contracts import ContractStatus, SnapshotRef
    from monitor.store.models import Change as ChangeRow
    from monitor.store.models import FeedEntry, JobRun


def new_table(*headers: str) -> Table:
    """A rich table whose cells fold rather than cut: a source id or an error is never shown as `amazon-sp…`."""
    from rich.table import Table

    table = Table()
    for i, header in enumerate(headers):
        # The first column names the row (a source, a job): it keeps its width, the others wrap around it.
        table.add_column(header, overflow="fold", no_wrap=i == 0)
    return table


def print_table(table: Table) -> None:
    from rich.console import Console

    # Piped output gets a wide console, so tables are not wrapped at 80 columns in logs and scripts.
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)


def write_json(items: list[dict[str, Any]] | dict[str, Any]) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")


def utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC (what every table shows); a naive one is taken as UTC."""
    from datetime import UTC

    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def when(moment: datetime | None) -> str:
    aware = utc(moment)
    return aware.strftime("%Y-%m-%d %H:%M:%S") if aware else ""


def day(day: date | None) -> str:
    return day.isoformat() if day else ""


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    a, b = utc(start), utc(end)
    return (b - a).total_seconds() if a and b else None


def snapshot_text(ref: SnapshotRef | None) -> str:
    if ref is None:
        return "none"
    return f"#{ref.id} {ref.version}".strip()


def snapshot_json(ref: SnapshotRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"id": ref.id, "version": ref.version, "first_seen_at": utc(ref.first_seen_at)}


def status_json(s: ContractStatus) -> dict[str, Any]:
    return {"source": s.source_id, "contract": snapshot_json(s.contract), "pinned_at": utc(s.pinned_at),
            "pinned_by": s.pinned_by, "reason": s.reason, "current": snapshot_json(s.current), "drift": s.drift}  # fmt: skip


def change_json(c: ChangeRow) -> dict[str, Any]:
    return {
        "change_id": c.id, "id": c.rule_id, "source": c.source_id, "against": c.against, "level": c.level,
        "status": c.status, "operations": c.operations, "location": c.location, "message": c.message, "args": c.args,
        "old_snapshot_id": c.old_snapshot_id, "new_snapshot_id": c.new_snapshot_id, "seen_count": c.seen_count,
        "appearances": c.appearances, "first_seen_at": utc(c.first_seen_at), "last_seen_at": utc(c.last_seen_at),
    }  # fmt: skip


def entry_json(e: FeedEntry) -> dict[str, Any]:
    return {
        "entry_id": e.id, "source": e.source_id, "title": e.title, "link": e.link, "summary": e.summary,
        "published_at": utc(e.published_at), "category": e.category, "severity": e.severity,
        "effective_date": e.effective_date, "removal_date": e.removal_date, "subject": e.subject, "apis": e.apis,
        "operations": e.operations, "first_seen_at": utc(e.first_seen_at),
    }  # fmt: skip


def run_json(r: JobRun) -> dict[str, Any]:
    return {
        "run_id": r.id, "job": r.job, "target": r.target, "slot": r.slot, "status": r.status,
        "started_at": utc(r.started_at), "finished_at": utc(r.finished_at),
        "duration_s": seconds(r.started_at, r.finished_at), "counts": r.counts, "error": r.error,
    }  # fmt: skip


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 new entry`, `2 new entries`: the count with the noun that fits it (English, so the caller names odd forms)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def configure_logging(*, logging_level: str) -> None:
    import logging

    logging.basicConfig(
        level=logging_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines describe its plugins, not our data


_ENGINES: list[Engine] = []  # opened by `store`, closed by `main` when the command ends


def store(config: Path | None) -> tuple[Settings, Engine]:
    """Settings and an engine for a command that reads or edits the store (it does not migrate: `db upgrade` does).

    `main` disposes the engine when the command ends, so a command run in a longer-lived process (tests, an
    embedding tool) leaves no PostgreSQL connection open."""
    from monitor.config import load_settings
    from monitor.store.session import make_engine

    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    _ENGINES.append(engine)
    return settings, engine


def dispose_engines() -> None:
    while _ENGINES:
        _ENGINES.pop().dispose()
