"""Service commands: config check, version, db upgrade, run, check, and their helpers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # annotations only: commands import what they use, so `monitor --help` stays fast
    from monitor.config import Settings
    from monitor.jobs.cycle import CycleOutcome

from monitor.cli.app import (
    EXIT_OK,
    EXIT_UNKNOWN,
    ConfigOption,
    ListFormat,
    app,
)
from monitor.cli.common import configure_logging, new_table, plural, print_table, write_json

config_app = typer.Typer(help="Validate and inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None, typer.Argument(help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Same as FILE.")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
) -> None:
    """Validate the configuration and print what will be watched."""
    from monitor.config import load_settings
    from monitor.redact import redact_url

    settings = load_settings(file or config)
    require_platforms(settings, file or config)
    if format is ListFormat.json:
        write_json(watched_json(settings))
        return
    out = [f"database: {redact_url(settings.database_url)}"]
    for platform, name, spec in settings.spec_sources():
        out.append(f"spec  {platform}/{name}  every {spec.every}  {redact_url(spec.url)}")
    for platform, name, feed in settings.feed_sources():
        out.append(f"{feed.kind:<5} {platform}/{name}  every {feed.every}  {redact_url(feed.url)}")
    for platform, p in settings.platforms.items():
        if p.sandbox is not None:
            s = p.sandbox
            every = f"every {s.every}" if s.every else "on demand"
            out.append(f"sandbox {platform}  {redact_url(s.base_url)}  auth {s.auth.type}  {every}  "
                       f"rate {s.rate_limit}  phases {','.join(s.phases)}")  # fmt: skip
    for item in observe_json(settings):
        where = [f"folder {item['folder']} every {timedelta(seconds=item['every_s'])}"] if item["folder"] else []
        where += ["contract-test answers"] if item["contract_runs"] else []
        out.append(f"observe {item['contract']}  {' and '.join(where) or 'nothing (no folder, no contract runs)'}  "
                   f"confirm after {plural(item['confirm_after'], 'observation')}")  # fmt: skip
    for name, integration in settings.integrations.items():
        uses = ", ".join(f"{k}: {plural(len(v), 'operation')}" + (f" ({n} with a rate need)" if (n := sum(
            1 for e in integration.use_entries.get(k, {}).values() if set(e) - {"operation", "fields"})) else "")
            for k, v in integration.uses.items())  # fmt: skip
        out.append(f"integration {name}  {uses}  environments: {', '.join(integration.environments)}")
    sys.stdout.write("\n".join(out) + "\n")


def watched_json(settings: Settings) -> dict[str, Any]:
    """`config check --format json`: what will be watched, every URL masked as in the text form."""
    from monitor.redact import redact_url

    sources = [{"source": f"{p}/{n}", "kind": "spec", "every_s": s.every.total_seconds(), "url": redact_url(s.url)}
               for p, n, s in settings.spec_sources()]  # fmt: skip
    sources += [{"source": f"{p}/{n}", "kind": f.kind, "every_s": f.every.total_seconds(), "url": redact_url(f.url)}
                for p, n, f in settings.feed_sources()]  # fmt: skip
    sandboxes = [{"suite": p, "base_url": redact_url(s.base_url), "auth": s.auth.type, "rate_limit": s.rate_limit,
                  "every_s": s.every.total_seconds() if s.every else None, "phases": list(s.phases)}
                 for p, s in settings.sandboxes()]  # fmt: skip
    integrations = [{"integration": name, "uses": {k: list(v) for k, v in i.uses.items()},
                     "environments": list(i.environments)} for name, i in settings.integrations.items()]  # fmt: skip
    return {"database": redact_url(settings.database_url), "sources": sources, "sandboxes": sandboxes,
            "observe": observe_json(settings), "integrations": integrations}  # fmt: skip


def observe_json(settings: Settings) -> list[dict[str, Any]]:
    """The traffic each learned or published contract is observed from (`platforms.<p>.observe`)."""
    return [{"contract": f"{platform}/{name}", "folder": str(o.folder) if o.folder else None,
             "every_s": o.every.total_seconds(), "contract_runs": o.contract_runs, "confirm_after": o.confirm_after,
             "integration": o.integration}
            for platform, p in settings.platforms.items() for name, o in p.observe.items()]  # fmt: skip


@app.command()
def version() -> None:
    """Print the version."""
    from monitor import __version__

    sys.stdout.write(f"monitor {__version__}\n")


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


class RunMode(StrEnum):
    single = "single"  # APScheduler in this process (SQLite or PostgreSQL)
    distributed = "distributed"  # API + tick here; `monitor worker` processes run the jobs (PostgreSQL)


@app.command()
def run(
    once: Annotated[
        str | None, typer.Option("--once", help="Run one job (poll-specs, poll-feeds) over all its sources, then exit.")
    ] = None,
    mode: Annotated[
        RunMode,
        typer.Option("--mode", help="single: run jobs here; distributed: API + tick, `monitor worker` runs jobs."),
    ] = RunMode.single,
    config: ConfigOption = None,
) -> None:
    """Run the scheduler in the foreground until SIGINT/SIGTERM (or one job once with --once)."""
    from monitor.config import load_settings

    settings = load_settings(config)
    require_platforms(settings, config)
    if mode is RunMode.distributed:
        from monitor.cli.worker import run_distributed
        from monitor.config import config_file

        run_distributed(settings, once=once, config_path=config_file(config))
        return
    configure_logging(logging_level="INFO")
    if once is None:
        from monitor.api.process import serve_status_api
        from monitor.config import config_file
        from monitor.jobs.scheduler import start_service

        # the configuration is reloaded on SIGHUP and when the file changes
        start_service(settings, config_path=config_file(config), serve_api=serve_status_api)
        return
    outcomes = run_cycle(settings, job=once, show_progress=False)
    print_outcomes(outcomes, breaking_drift(settings, [o.source_id for o in outcomes if o.kind == "spec"]))
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


@app.command()
def check(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Poll every configured source once now: a table per source, then a verdict. Exit 3 if any source failed."""
    from monitor.config import load_settings

    settings = load_settings(config)
    require_platforms(settings, config)
    configure_logging(logging_level="ERROR")  # failures are in the table; only bugs (with traceback) are logged
    outcomes = run_cycle(settings, only=source, show_progress=format is ListFormat.text)
    drift = breaking_drift(settings, [o.source_id for o in outcomes if o.kind == "spec"])
    if format is ListFormat.json:
        write_json([outcome_json(o, drift) for o in outcomes])
    else:
        print_outcomes(outcomes, drift)
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


def require_platforms(settings: Settings, config: Path | None) -> None:
    """A configuration that watches nothing is a mistake (an empty file, a wrong path), not a quiet pass."""
    from monitor.config import DEFAULT_CONFIG
    from monitor.errors import ConfigError

    if not settings.platforms:
        import os

        where = config or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG
        raise ConfigError(f"{where}: no platforms configured: add a `platforms:` section (see config/README.md)")


def breaking_drift(settings: Settings, source_ids: list[str]) -> dict[str, int]:
    """Per spec source, the breaking drift from its contract now current (restricted to the operations used)."""
    from monitor.store import queries
    from monitor.store.session import make_engine, session_scope

    if not source_ids:
        return {}
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return {s: queries.drift_by_level(session=session, source_id=s)["breaking"] for s in source_ids}
    finally:
        engine.dispose()


def run_cycle(
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


def print_outcomes(outcomes: list[CycleOutcome], drift: Mapping[str, int] | None = None) -> None:
    """A row per source (breaking changes of a new version, breaking drift on used operations), then a verdict."""
    drift = drift or {}
    table = new_table("Source", "Kind", "Outcome", "Breaking changes", "Breaking drift", "Other", "Error")
    for o in outcomes:
        outcome = str(o.counts.get("outcome", o.counts.get("status", o.status))) if o.status == "ok" else o.status
        is_spec = o.kind == "spec"
        breaking = str(o.counts.get("upstream_breaking", 0)) if is_spec and o.status == "ok" else ""
        table.add_row(o.source_id, o.kind, outcome, breaking, str(drift.get(o.source_id, 0)) if is_spec else "",
                      describe_counts(o.counts), o.error or "")  # fmt: skip
    print_table(table)
    sys.stdout.write(summary_line(outcomes, drift) + "\n" + verdict(outcomes, drift) + "\n")


def summary_line(outcomes: list[CycleOutcome], drift: Mapping[str, int]) -> str:
    failed = sum(o.status == "error" for o in outcomes)
    upstream = sum(int(o.counts.get("upstream_breaking", 0)) for o in outcomes)
    return (f"{plural(len(outcomes), 'source')} polled, {failed} failed; {plural(upstream, 'breaking change')} "
            f"upstream, {plural(sum(drift.values()), 'breaking drift change')} on used operations")  # fmt: skip


def verdict(outcomes: list[CycleOutcome], drift: Mapping[str, int]) -> str:
    """The one line that says what to do: breaking drift first (it breaks integrations), then failed sources."""
    failed = [o.source_id for o in outcomes if o.status == "error"]
    drifted = [source for source, n in drift.items() if n]
    failing_ops = sum(int(o.counts.get("failed", 0)) + int(o.counts.get("errors", 0))
                      for o in outcomes if o.kind == "sandbox" and o.status == "ok")  # fmt: skip
    notes = []
    if drifted:
        notes.append(f"breaking drift on used operations of {', '.join(drifted)} "
                     "(monitor changes --against contract --level breaking)")  # fmt: skip
    if failing_ops:
        notes.append(f"{plural(failing_ops, 'sandbox operation')} failing (monitor sandbox results)")
    if failed:
        notes.append(f"{plural(len(failed), 'source')} could not be checked: {', '.join(failed)}")
    if not notes:
        upstream = sum(int(o.counts.get("upstream_breaking", 0)) for o in outcomes)
        tail = f" ({plural(upstream, 'breaking change')} upstream, none on used operations)" if upstream else ""
        return f"verdict: OK: nothing breaks the integrations{tail}"
    word = "BREAKING" if drifted or failing_ops else "INCOMPLETE"
    return f"verdict: {word}: " + "; ".join(notes)


def outcome_json(o: CycleOutcome, drift: Mapping[str, int]) -> dict[str, Any]:
    return {"source": o.source_id, "kind": o.kind, "status": o.status, "counts": dict(o.counts), "error": o.error,
            "breaking_drift": drift.get(o.source_id) if o.kind == "spec" else None}  # fmt: skip


def describe_counts(counts: Mapping[str, Any]) -> str:
    """The counts worth a glance: upstream changes and new drift for specs, new entries for feeds."""
    labels = (
        ("upstream_changes", "upstream change"),
        ("flapping", "flapping change"),
        ("drift_new", "new drift change"),
        ("drift_gone", "drift change gone", "drift changes gone"),
        ("new_entries", "new entry", "new entries"),
        ("moved_dates", "moved date"),
        ("files", "capture observed", "captures observed"),  # observe-traffic
        ("breaking", "breaking finding"),
        ("failed", "failed operation"),
        ("errors", "operation in error", "operations in error"),
    )
    parts = [plural(int(counts[key]), *names) for key, *names in labels if counts.get(key)]
    if counts.get("malformed"):
        parts.append("malformed")
    return ", ".join(parts) or ("-" if counts else "")
