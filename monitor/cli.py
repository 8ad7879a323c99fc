"""The `monitor` command line: parses arguments, calls the library, maps errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # annotations only: commands import what they use, so `monitor --help` stays fast
    from rich.table import Table
    from sqlalchemy.engine import Engine

    from monitor.config import Settings
    from monitor.jobs.contracts import ContractStatus, SnapshotRef
    from monitor.jobs.cycle import CycleOutcome
    from monitor.store.models import Change as ChangeRow
    from monitor.store.models import FeedEntry, JobRun

app = typer.Typer(
    name="monitor",
    help="Marketplace API contract testing and change monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Exit codes are the public contract of every command (see README).
EXIT_OK, EXIT_FINDING, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    githubactions = "githubactions"


class FailOn(StrEnum):
    breaking = "breaking"
    warning = "warning"
    info = "info"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The old spec (JSON or YAML; Swagger 2.0, OpenAPI 3.0 or 3.1).")],
    new: Annotated[Path, typer.Argument(help="The new spec.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a change reaches this level.")] = FailOn.breaking,
    usage: Annotated[Path | None, typer.Option(help="Only the operations (and fields) this usage file lists.")] = None,
    ignore: Annotated[Path | None, typer.Option(help="Accepted changes: rule, operation, reason, expires.")] = None,
    allow_external_refs: Annotated[
        bool, typer.Option(help="Follow $refs to other files inside the spec's own folder.")
    ] = False,
) -> None:
    """Compare two API specs and report what changed, breaking changes first."""
    from monitor.engine import DiffOptions, Level, load_ignore, load_spec, load_usage
    from monitor.engine import diff as run_diff
    from monitor.engine.render import RENDERERS

    options = DiffOptions(
        usage=load_usage(usage) if usage else None,
        ignore=load_ignore(ignore) if ignore else (),
    )
    result = run_diff(
        load_spec(old, allow_external_refs=allow_external_refs),
        load_spec(new, allow_external_refs=allow_external_refs),
        options,
    )
    sys.stdout.write(RENDERERS[format.value](result))
    if result.reaches(Level(fail_on.value)):
        raise typer.Exit(EXIT_FINDING)


@app.command()
def rules(
    format: Annotated[str, typer.Option("--format", "-f", help="text or markdown (docs/rules.md).")] = "text",
) -> None:
    """List the rule catalogue: id, level, direction and description."""
    from monitor.engine.docs import rules_markdown, rules_text

    if format not in ("text", "markdown"):
        raise typer.BadParameter(f"unknown format {format!r}: use text or markdown")
    sys.stdout.write(rules_markdown() if format == "markdown" else rules_text())


config_app = typer.Typer(help="Validate and inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None, typer.Argument(help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Same as FILE.")] = None,
) -> None:
    """Validate the configuration and print what will be watched."""
    from monitor.config import load_settings
    from monitor.redact import redact_url

    settings = load_settings(file or config)
    out = [f"database: {redact_url(settings.database_url)}"]
    for platform, name, spec in settings.spec_sources():
        out.append(f"spec  {platform}/{name}  every {spec.every}  {redact_url(spec.url)}")
    for platform, name, feed in settings.feed_sources():
        out.append(f"{feed.kind:<5} {platform}/{name}  every {feed.every}  {redact_url(feed.url)}")
    for platform, p in settings.platforms.items():
        if p.sandbox is not None:
            out.append(f"sandbox {platform}  {redact_url(p.sandbox.base_url)}  auth {p.sandbox.auth.type}")
    for name, integration in settings.integrations.items():
        uses = ", ".join(f"{k}: {len(v)} operation(s)" for k, v in integration.uses.items())
        out.append(f"integration {name}  {uses}  environments: {', '.join(integration.environments)}")
    sys.stdout.write("\n".join(out) + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    from monitor import __version__

    sys.stdout.write(f"monitor {__version__}\n")


ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
]


class ListFormat(StrEnum):
    text = "text"
    json = "json"


class Against(StrEnum):
    previous = "previous"
    contract = "contract"


db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database tables to the latest schema."""
    from monitor.config import load_settings
    from monitor.redact import redact_url
    from monitor.store.migrate import upgrade

    settings = load_settings(config)
    upgrade(settings.database_url)
    sys.stdout.write(f"database {redact_url(settings.database_url)} is up to date\n")


@app.command()
def run(
    once: Annotated[
        str | None, typer.Option("--once", help="Run one job (poll-specs, poll-feeds) over all its sources, then exit.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the scheduler in the foreground until SIGINT/SIGTERM (or one job once with --once)."""
    from monitor.config import load_settings

    settings = load_settings(config)
    _configure_logging(logging_level="INFO")
    if once is None:
        from monitor.jobs.scheduler import start_service

        start_service(settings)
        return
    outcomes = _run_cycle(settings, job=once, show_progress=False)
    _print_outcomes(outcomes)
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


@app.command()
def check(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    config: ConfigOption = None,
) -> None:
    """Poll every configured source once now; a table of outcomes. Exit 3 if any source failed."""
    from monitor.config import load_settings

    settings = load_settings(config)
    _configure_logging(logging_level="ERROR")  # failures are in the table; only bugs (with traceback) are logged
    outcomes = _run_cycle(settings, only=source, show_progress=True)
    _print_outcomes(outcomes)
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


contracts_app = typer.Typer(
    help="The contracts: the spec versions integrations were built against.", no_args_is_help=True
)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("status")
def contracts_status(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Every spec source's contract, its current upstream version and the drift between them."""
    from monitor.jobs.contracts import contract_status

    settings, engine = _store(config)
    statuses = contract_status(settings=settings, engine=engine)
    if format is ListFormat.json:
        _write_json([_status_json(s) for s in statuses])
        return
    table = _table("Source", "Contract", "Pinned", "By", "Current", "Breaking", "Warning", "Info")
    for s in statuses:
        table.add_row(
            s.source_id,
            _snapshot_text(s.contract),
            _when(s.pinned_at),
            s.pinned_by or "",
            _snapshot_text(s.current),
            *(str(s.drift.get(level, 0)) for level in ("breaking", "warning", "info")),
        )
    _print_table(table)


@contracts_app.command("pin")
def contracts_pin(
    source: Annotated[str, typer.Argument(help="The spec source (platform/name).")],
    reason: Annotated[str, typer.Option("--reason", help="Why this version is the contract.")] = "",
    config: ConfigOption = None,
) -> None:
    """Make the current upstream version of a source its contract."""
    _move_contract(config, source, action="pin", reason=reason, snapshot_id=None)


@contracts_app.command("accept")
def contracts_accept(
    source: Annotated[str, typer.Argument(help="The spec source (platform/name).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the team accepts it (required).")],
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", help="The stored version to accept (default: the current one).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Move a contract forward once the integration has adapted; records who, when and why."""
    _move_contract(config, source, action="accept", reason=reason, snapshot_id=snapshot)


def _move_contract(config: Path | None, source: str, *, action: str, reason: str, snapshot_id: int | None) -> None:
    import os

    from monitor.jobs.contracts import move_contract

    settings, engine = _store(config)
    by = os.environ.get("USER") or "cli"
    moved = move_contract(settings=settings, engine=engine, source_id=source, action=action, by=by, reason=reason,
                          snapshot_id=snapshot_id)  # fmt: skip
    was = f"snapshot {moved.from_snapshot_id}" if moved.from_snapshot_id is not None else "no contract"
    drift = ", ".join(f"{n} {k}" for k, n in moved.drift.items() if n) or "none"
    sys.stdout.write(f"{moved.source_id}: {action} {_snapshot_text(moved.to)} (was {was}); drift now: {drift}\n")


sandbox_app = typer.Typer(help="A local replica of an API, served from its spec's sandbox cases.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    spec: Annotated[Path, typer.Argument(help="The spec whose x-amzn-api-sandbox cases and examples to serve.")],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8081,
    allow_external_refs: Annotated[
        bool, typer.Option(help="Follow $refs to other files inside the spec's own folder.")
    ] = False,
) -> None:
    """Serve SPEC's static sandbox cases (most specific match; 400 when none) until SIGINT/SIGTERM."""
    import uvicorn

    from monitor.engine import load_spec
    from monitor.sandbox.replica import build_replica

    replica = build_replica(load_spec(spec, allow_external_refs=allow_external_refs))
    sys.stderr.write(f"sandbox replica of {spec} on http://{host}:{port}\n")
    uvicorn.run(replica, host=host, port=port, log_level="warning")


class TestFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("test")
def test_command(
    spec: Annotated[Path, typer.Argument(help="The spec to test (JSON or YAML; Swagger 2.0 or OpenAPI 3.x).")],
    base_url: Annotated[str, typer.Option("--base-url", help="The API (or sandbox replica) to send requests to.")],
    operation: Annotated[
        list[str] | None, typer.Option("--operation", help="operationId or `METHOD /path` to test; repeatable.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")] = None,
    format: Annotated[TestFormat, typer.Option("--format", "-f", help="Output format.")] = TestFormat.text,
    time_budget: Annotated[float, typer.Option(help="Wall-clock budget in seconds.", min=0)] = 300.0,
) -> None:
    """Replay SPEC's examples (sandbox cases first) against BASE_URL; exit 0 all passed, 1 failures, 3 errors."""
    from monitor.engine import load_spec
    from monitor.errors import InputError
    from monitor.sandbox.runner import run_suite

    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    loaded = load_spec(spec)  # a missing or malformed spec is bad input (exit 2), not a failed run
    known = {op.label for op in loaded.operations.values()} | {
        op.operation_id for op in loaded.operations.values() if op.operation_id
    }
    unknown = sorted(set(operation or ()) - known)
    if unknown:
        raise InputError(f"{spec}: no such operation: {', '.join(unknown)}")
    result = run_suite(spec, base_url, operations=operation or None, time_budget_s=time_budget)
    if junit is not None:
        junit.write_text(_junit_xml(str(spec), result), encoding="utf-8")
    if format is TestFormat.json:
        from dataclasses import asdict

        _write_json([{"label": op.label, "status": op.status, **asdict(op)} for op in result.operations.values()])
    else:
        table = _table("operation", "status", "cases", "passed", "failed", "first failure")
        for op in result.operations.values():
            first = (
                op.errors[0]
                if op.errors
                else (f"{op.failures[0].check}: {op.failures[0].title}" if op.failures else "")
            )
            table.add_row(
                op.label,
                op.status,
                str(op.cases),
                str(sum(op.checks_passed.values())),
                str(sum(op.checks_failed.values())),
                _one_line(first) or (op.skipped or ""),
            )
        _print_table(table)
    problem = result.fatal or (result.errors[0] if result.errors else None)
    if problem is not None:
        sys.stderr.write(f"error: {_one_line(problem)}\n")
    if problem is not None or not result.finished or any(op.status == "error" for op in result.operations.values()):
        raise typer.Exit(EXIT_UNKNOWN)
    if result.failed:
        raise typer.Exit(EXIT_FINDING)


def _junit_xml(name: str, result: Any) -> str:
    """One testsuite, one testcase per operation: its first failure as <failure>, its first error as <error>."""
    import xml.etree.ElementTree as ET

    ops = list(result.operations.values())
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(ops)),
        failures=str(sum(op.status == "failed" for op in ops)),
        errors=str(sum(op.status == "error" for op in ops) + (1 if result.fatal else 0)),
        skipped=str(sum(op.status == "skipped" for op in ops)),
        time=f"{result.elapsed_s:.3f}",
    )
    for op in ops:
        case = ET.SubElement(suite, "testcase", classname=name, name=op.label)
        if op.errors:
            ET.SubElement(case, "error", message=_one_line(op.errors[0])[:500]).text = "\n".join(op.errors)
        elif op.failures or op.checks_failed:
            first = op.failures[0] if op.failures else None
            message = f"{first.check}: {first.title}" if first else ", ".join(op.checks_failed)
            failure = ET.SubElement(case, "failure", message=_one_line(message)[:500])
            failure.text = "\n\n".join(f"{f.check}: {f.title}\n{f.message}\n{f.curl}" for f in op.failures)
        elif op.status == "skipped":
            ET.SubElement(case, "skipped", message=op.skipped or "no cases")
    if result.fatal:
        case = ET.SubElement(suite, "testcase", classname=name, name="run")
        ET.SubElement(case, "error", message=_one_line(result.fatal)[:500]).text = result.fatal
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


@app.command()
def changes(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    level: Annotated[FailOn | None, typer.Option("--level", help="Only this level.")] = None,
    against: Annotated[
        Against | None, typer.Option("--against", help="previous (upstream changes) or contract (drift).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 500,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List stored changes (upstream and drift against contracts), newest first."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = _store(config)
    with session_scope(engine) as session:
        rows = queries.list_changes(session=session, source_id=source, against=against.value if against else None,
                                    level=level.value if level else None, limit=limit)  # fmt: skip
    if format is ListFormat.json:
        _write_json([_change_json(c) for c in rows])
        return
    table = _table("Source", "Against", "Level", "Status", "Rule", "Operations", "Message", "Last seen")
    for c in rows:
        ops = ", ".join(c.operations[:3]) + (f" (+{len(c.operations) - 3})" if len(c.operations) > 3 else "")
        table.add_row(c.source_id, c.against, c.level, c.status, c.rule_id, ops, c.message, _when(c.last_seen_at))
    _print_table(table)


@app.command()
def announcements(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 500,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List stored announcements (feed and changelog entries), classified, newest first."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = _store(config)
    with session_scope(engine) as session:
        rows = queries.list_entries(session=session, source_id=source, limit=limit)
    if format is ListFormat.json:
        _write_json([_entry_json(e) for e in rows])
        return
    table = _table("Source", "Published", "Category", "Severity", "Removal", "Title", "Operations")
    for e in rows:
        ops = ", ".join(str(link[1]) if len(link) > 1 else str(link) for link in e.operations[:3])
        table.add_row(e.source_id, _when(e.published_at), e.category, e.severity, _day(e.removal_date), e.title, ops)
    _print_table(table)


@app.command()
def runs(
    job: Annotated[str | None, typer.Option("--job", help="Only this job (poll-specs, poll-feeds, ...).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 200,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List recorded job runs, newest first."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = _store(config)
    with session_scope(engine) as session:
        rows = queries.list_runs(session=session, job=job, limit=limit)
    if format is ListFormat.json:
        _write_json([_run_json(r) for r in rows])
        return
    table = _table("Job", "Target", "Slot", "Status", "Started", "Took", "Counts", "Error")
    for r in rows:
        took = _seconds(r.started_at, r.finished_at)
        counts = " ".join(f"{k}={v}" for k, v in r.counts.items() if v not in (0, False, None))
        table.add_row(r.job, r.target, r.slot, r.status, _when(r.started_at),
                      "" if took is None else f"{took:.2f}s", counts, r.error or "")  # fmt: skip
    _print_table(table)


# -- helpers of the service commands ------------------------------------------------------------------------------


def _configure_logging(*, logging_level: str) -> None:
    import logging

    logging.basicConfig(
        level=logging_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines describe its plugins, not our data


def _store(config: Path | None) -> tuple[Settings, Engine]:
    """Settings and an engine for a command that reads or edits the store (it does not migrate: `db upgrade` does)."""
    from monitor.config import load_settings
    from monitor.store.session import make_engine

    settings = load_settings(config)
    return settings, make_engine(settings.database_url)


def _run_cycle(
    settings: Settings, *, only: str | None = None, job: str | None = None, show_progress: bool
) -> list[CycleOutcome]:
    from monitor.jobs.cycle import run_cycle
    from monitor.jobs.polls import polls_for
    from monitor.sources.fetcher import Fetcher, FetchPolicy
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    polls = polls_for(settings, only=only, job=job)  # a bad --source or job name fails before the database is touched
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        from monitor.jobs.contracts import sync_contract_files

        sync_contract_files(settings=settings, engine=engine)
        with Fetcher(FetchPolicy(allow_hosts=tuple(settings.allow_hosts))) as fetcher:
            if not show_progress:
                return run_cycle(settings, engine, fetcher, only=only, job=job)
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = (TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
                task = progress.add_task("polling", total=len(polls))
                return run_cycle(settings, engine, fetcher, only=only, job=job,
                                 on_progress=lambda _outcome: progress.advance(task))  # fmt: skip
    finally:
        engine.dispose()


def _print_outcomes(outcomes: list[CycleOutcome]) -> None:
    table = _table("Source", "Kind", "Outcome", "Changes / new entries", "Error")
    for o in outcomes:
        outcome = str(o.counts.get("outcome", o.status)) if o.status == "ok" else o.status
        table.add_row(o.source_id, o.kind, outcome, _describe_counts(o.counts), o.error or "")
    _print_table(table)
    failed = sum(o.status == "error" for o in outcomes)
    sys.stdout.write(f"{len(outcomes)} source(s) polled, {failed} failed\n")


def _describe_counts(counts: Mapping[str, Any]) -> str:
    """The counts worth a glance: upstream changes and new drift for specs, new entries for feeds."""
    labels = (
        ("upstream_changes", "upstream change(s)"),
        ("flapping", "flapping"),
        ("drift_new", "new drift"),
        ("drift_gone", "drift gone"),
        ("new_entries", "new entr(y/ies)"),
        ("moved_dates", "moved date(s)"),
    )
    parts = [f"{counts[key]} {label}" for key, label in labels if counts.get(key)]
    if counts.get("malformed"):
        parts.append("malformed")
    return ", ".join(parts) or ("-" if counts else "")


def _table(*headers: str) -> Table:
    """A rich table whose cells fold rather than cut: a source id or an error is never shown as `amazon-sp…`."""
    from rich.table import Table

    table = Table()
    for i, header in enumerate(headers):
        # The first column names the row (a source, a job): it keeps its width, the others wrap around it.
        table.add_column(header, overflow="fold", no_wrap=i == 0)
    return table


def _print_table(table: Table) -> None:
    from rich.console import Console

    # Piped output gets a wide console, so tables are not wrapped at 80 columns in logs and scripts.
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)


def _write_json(items: list[dict[str, Any]]) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    from datetime import UTC

    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None) -> str:
    aware = _utc(moment)
    return aware.strftime("%Y-%m-%d %H:%M:%S") if aware else ""


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    a, b = _utc(start), _utc(end)
    return (b - a).total_seconds() if a and b else None


def _snapshot_text(ref: SnapshotRef | None) -> str:
    if ref is None:
        return "none"
    return f"#{ref.id} {ref.version}".strip()


def _snapshot_json(ref: SnapshotRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"id": ref.id, "version": ref.version, "first_seen_at": _utc(ref.first_seen_at)}


def _status_json(s: ContractStatus) -> dict[str, Any]:
    return {"source": s.source_id, "contract": _snapshot_json(s.contract), "pinned_at": _utc(s.pinned_at),
            "pinned_by": s.pinned_by, "reason": s.reason, "current": _snapshot_json(s.current), "drift": s.drift}  # fmt: skip


def _change_json(c: ChangeRow) -> dict[str, Any]:
    return {
        "change_id": c.id, "id": c.rule_id, "source": c.source_id, "against": c.against, "level": c.level,
        "status": c.status, "operations": c.operations, "location": c.location, "message": c.message, "args": c.args,
        "old_snapshot_id": c.old_snapshot_id, "new_snapshot_id": c.new_snapshot_id, "seen_count": c.seen_count,
        "appearances": c.appearances, "first_seen_at": _utc(c.first_seen_at), "last_seen_at": _utc(c.last_seen_at),
    }  # fmt: skip


def _entry_json(e: FeedEntry) -> dict[str, Any]:
    return {
        "entry_id": e.id, "source": e.source_id, "title": e.title, "link": e.link, "summary": e.summary,
        "published_at": _utc(e.published_at), "category": e.category, "severity": e.severity,
        "effective_date": e.effective_date, "removal_date": e.removal_date, "subject": e.subject, "apis": e.apis,
        "operations": e.operations, "first_seen_at": _utc(e.first_seen_at),
    }  # fmt: skip


def _run_json(r: JobRun) -> dict[str, Any]:
    return {
        "run_id": r.id, "job": r.job, "target": r.target, "slot": r.slot, "status": r.status,
        "started_at": _utc(r.started_at), "finished_at": _utc(r.finished_at),
        "duration_s": _seconds(r.started_at, r.finished_at), "counts": r.counts, "error": r.error,
    }  # fmt: skip


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; known errors become one line on stderr and an exit code, never a traceback."""
    from monitor.engine.errors import EngineError
    from monitor.errors import InputError, MonitorError, StoreError, UpstreamError

    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        code = 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        sys.stderr.write(f"error: {_one_line(exc.format_message())}\n")
        code = EXIT_BAD_INPUT
    except (EngineError, InputError) as exc:
        sys.stderr.write(f"error: {_one_line(str(exc))}\n")
        code = EXIT_BAD_INPUT
    except (UpstreamError, MonitorError) as exc:  # upstream or the database (StoreError): unknown, try again later
        message = _one_line(str(exc))
        if isinstance(exc, StoreError) and ("no such table" in message or "UndefinedTable" in message):
            message += " (a new database? run `monitor db upgrade`)"
        sys.stderr.write(f"error: {message}\n")
        code = EXIT_UNKNOWN
    except BrokenPipeError:
        code = EXIT_OK
    sys.exit(code if isinstance(code, int) else EXIT_OK)
