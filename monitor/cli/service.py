"""Service commands: config check, version, db upgrade, run, check, and their helpers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
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
    app,
)
from monitor.cli.common import configure_logging, new_table, print_table

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
            s = p.sandbox
            every = f"every {s.every}" if s.every else "on demand"
            out.append(f"sandbox {platform}  {redact_url(s.base_url)}  auth {s.auth.type}  {every}  "
                       f"rate {s.rate_limit}  phases {','.join(s.phases)}")  # fmt: skip
    for name, integration in settings.integrations.items():
        uses = ", ".join(f"{k}: {len(v)} operation(s)" + (f" ({n} with a rate need)" if (n := sum(
            1 for e in integration.use_entries.get(k, {}).values() if set(e) - {"operation", "fields"})) else "")
            for k, v in integration.uses.items())  # fmt: skip
        out.append(f"integration {name}  {uses}  environments: {', '.join(integration.environments)}")
    sys.stdout.write("\n".join(out) + "\n")


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
        RunMode, typer.Option("--mode", help="single: run jobs here; distributed: API + tick, `monitor worker` runs jobs.")
    ] = RunMode.single,
    config: ConfigOption = None,
) -> None:
    """Run the scheduler in the foreground until SIGINT/SIGTERM (or one job once with --once)."""
    from monitor.config import load_settings

    settings = load_settings(config)
    if mode is RunMode.distributed:
        from monitor.cli.worker import run_distributed
        from monitor.config import config_file

        run_distributed(settings, once=once, config_path=config_file(config))
        return
    configure_logging(logging_level="INFO")
    if once is None:
        from monitor.config import config_file
        from monitor.jobs.scheduler import start_service

        start_service(settings, config_path=config_file(config))  # reloaded on SIGHUP and when it changes
        return
    outcomes = run_cycle(settings, job=once, show_progress=False)
    print_outcomes(outcomes)
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


@app.command()
def check(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    config: ConfigOption = None,
) -> None:
    """Poll every configured source once now; a table of outcomes. Exit 3 if any source failed."""
    from monitor.config import load_settings

    settings = load_settings(config)
    configure_logging(logging_level="ERROR")  # failures are in the table; only bugs (with traceback) are logged
    outcomes = run_cycle(settings, only=source, show_progress=True)
    print_outcomes(outcomes)
    raise typer.Exit(EXIT_UNKNOWN if any(o.status == "error" for o in outcomes) else EXIT_OK)


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


def print_outcomes(outcomes: list[CycleOutcome]) -> None:
    table = new_table("Source", "Kind", "Outcome", "Changes / new entries", "Error")
    for o in outcomes:
        outcome = str(o.counts.get("outcome", o.status)) if o.status == "ok" else o.status
        table.add_row(o.source_id, o.kind, outcome, describe_counts(o.counts), o.error or "")
    print_table(table)
    failed = sum(o.status == "error" for o in outcomes)
    sys.stdout.write(f"{len(outcomes)} source(s) polled, {failed} failed\n")


def describe_counts(counts: Mapping[str, Any]) -> str:
    """The counts worth a glance: upstream changes and new drift for specs, new entries for feeds."""
    labels = (
        ("upstream_changes", "upstream change(s)"),
        ("flapping", "flapping"),
        ("drift_new", "new drift"),
        ("drift_gone", "drift gone"),
        ("new_entries", "new entr(y/ies)"),
        ("moved_dates", "moved date(s)"),
        ("files", "capture(s) observed"),  # observe-traffic
        ("breaking", "breaking finding(s)"),
    )
    parts = [f"{counts[key]} {label}" for key, label in labels if counts.get(key)]
    if counts.get("malformed"):
        parts.append("malformed")
    return ", ".join(parts) or ("-" if counts else "")
