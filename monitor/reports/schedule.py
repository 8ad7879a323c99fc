"""The `nightly-report` job: a cron trigger in the report's time zone, one run per day whatever the processes."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.jobs.runner import run_job
from monitor.redact import error_line
from monitor.reports.store import generate_nightly, report_day
from monitor.store.models import utcnow

log = logging.getLogger("monitor.reports")

JOB = "nightly-report"


def add_nightly_job(scheduler: BaseScheduler, settings: Settings, engine: Engine, *, now: datetime) -> None:
    nightly = settings.reports.nightly
    if nightly is None:
        return
    trigger = CronTrigger.from_crontab(nightly.cron, timezone=ZoneInfo(nightly.timezone))
    scheduler.add_job(partial(run_nightly, settings, engine), trigger, id=JOB, name=JOB, max_instances=1,
                      coalesce=True, misfire_grace_time=3600)  # fmt: skip


def run_nightly(settings: Settings, engine: Engine, now: datetime | None = None) -> None:
    """The slot is the report's date: two processes (or a restart) make and send one report a day."""
    now = now or utcnow()
    day = report_day(settings, now)

    def make() -> dict[str, object]:
        report = generate_nightly(settings=settings, engine=engine, now=now)
        return {"day": day.isoformat(), **report.summary}

    try:
        run_job(engine=engine, job=JOB, target="nightly", slot=day.isoformat(), fn=make)
    except Exception as exc:  # the claim failed (database down): tomorrow's run, or `monitor report`, will do
        log.error("%s: cannot claim a run: %s", JOB, error_line(exc))
