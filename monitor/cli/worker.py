"""`monitor worker`: a procrastinate worker running scheduled jobs from the PostgreSQL queue (distributed mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pathlib import Path

    from monitor.config import Settings

from monitor.cli.app import ConfigOption, app
from monitor.cli.common import configure_logging


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at the same time (threads).")
    ] = 8,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", help="Only this queue (monitor-jobs, monitor-sandbox, monitor-tick); repeatable."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Worker name in logs (default: worker).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run scheduled jobs from the PostgreSQL queue until SIGINT/SIGTERM (needs a postgresql database_url)."""
    import logging

    from monitor.config import load_settings
    from monitor.distributed.app import QUEUE_JOBS, QUEUE_SANDBOX, QUEUE_TICK, conninfo
    from monitor.errors import InputError

    settings = load_settings(config)
    conninfo(settings.database_url)  # not PostgreSQL: exit 2 with the reason, before anything starts
    unknown = sorted(set(queue or ()) - {QUEUE_JOBS, QUEUE_SANDBOX, QUEUE_TICK})
    if unknown:
        raise InputError(f"unknown queue {unknown[0]!r}; queues: {QUEUE_JOBS}, {QUEUE_SANDBOX}, {QUEUE_TICK}")
    configure_logging(logging_level="INFO")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # two INFO lines per job drown our own
    from monitor.config import config_file
    from monitor.distributed.worker import run_worker

    run_worker(settings, concurrency=concurrency, queues=queue, name=name, config_path=config_file(config))


def run_distributed(settings: Settings, *, once: str | None, config_path: Path | None = None) -> None:
    """`monitor run --mode distributed`: the status API and the tick; jobs run in `monitor worker` processes."""
    import logging

    from monitor.distributed.app import conninfo
    from monitor.errors import InputError

    if once is not None:
        raise InputError("--once runs a job in this process; use it without --mode distributed")
    conninfo(settings.database_url)
    configure_logging(logging_level="INFO")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    from monitor.distributed.worker import run_api_and_tick

    run_api_and_tick(settings, config_path=config_path)
