"""INFO shows one line per poll outcome; APScheduler's routine lines are DEBUG, also after a failed poll."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.jobs.scheduler import build_scheduler
from monitor.sources.fetcher import Fetcher
from monitor.store.models import JobRun
from monitor.store.session import session_scope
from tests.jobs.spec_host import V1, SpecHost, config_data, orders_version

ROUTINE = ("Adding job tentatively", "executed successfully", "Running job")


def finished_runs(engine: Engine) -> int:
    from sqlmodel import select

    with session_scope(engine) as session:
        return sum(1 for r in session.exec(select(JobRun)).all() if r.finished_at is not None)


def test_one_info_line_per_poll_outcome_and_apscheduler_routine_at_debug(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    specs = {"good": host.serve("/good.json", orders_version(V1)), "bad": host.fail("/bad.json")}
    settings = Settings.model_validate(config_data(tmp_path, database_url, specs, every="6h"))
    with caplog.at_level(logging.INFO):
        scheduler = build_scheduler(settings, db, fetcher, run_once_first=True)  # "Adding job tentatively" here
        scheduler.start()
        try:
            deadline = time.monotonic() + 20
            while finished_runs(db) < 2 or any(j.pending for j in scheduler.get_jobs()):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            time.sleep(0.2)  # APScheduler logs "executed successfully" just after the job function returns
        finally:
            scheduler.shutdown(wait=True)
    lines = [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert not [line for line in lines if any(p in line[2] for p in ROUTINE)], lines
    per_poll = [line for line in lines if line[0] == "monitor.jobs"]
    assert len([line for line in per_poll if "amazon-sp-api/good" in line[2]]) == 1, per_poll
    assert len([line for line in per_poll if "amazon-sp-api/bad" in line[2]]) == 1, per_poll
