"""The `deliver-alerts` job: the dispatcher every few seconds, in the scheduler of `monitor run`."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from monitor.alerts.dispatcher import Dispatcher, is_configured
from monitor.config import Settings
from monitor.redact import error_line

log = logging.getLogger("monitor.alerts")

JOB = "deliver-alerts"


def add_dispatch_job(scheduler: BaseScheduler, settings: Settings, engine: Engine, *, now: datetime) -> None:
    """Nothing is added without a destination (Slack or a webhook): the outbox then simply keeps the alerts."""
    if not is_configured(settings):
        return
    dispatcher = Dispatcher(settings, engine)
    # The dispatcher travels as the job's argument: a configuration reload closes it when it replaces the job.
    every = IntervalTrigger(seconds=settings.alerts.dispatch_every.total_seconds(), timezone="UTC")
    scheduler.add_job(deliver, every, args=[dispatcher], id=JOB, name=JOB, next_run_time=now, max_instances=1,
                      coalesce=True)  # fmt: skip


def deliver(dispatcher: Dispatcher) -> None:
    """One delivery cycle; never raises (a database outage is logged and the next cycle tries again).

    Not recorded as job runs: it runs every few seconds, and every delivery keeps its own state and error."""
    try:
        dispatcher.run_once()
    except Exception as exc:
        log.error("%s: cycle failed: %s", JOB, error_line(exc))
