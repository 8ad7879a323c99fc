"""The `contract-tests` job: run one platform's sandbox suite against its contract specs and store the results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.errors import SandboxError
from monitor.sandbox.suite import JOB, run_platform_suite
from monitor.sources.fetcher import Fetcher

__all__ = ["JOB", "run"]


def run(
    settings: Settings, engine: Engine, _fetcher: Fetcher, suite: str, now: datetime | None = None
) -> dict[str, Any]:
    """Run the suite of platform `suite` now; the counts go on the job run. A run that could not judge the sandbox
    (unreachable, token refused, budget spent) raises after storing, so the job run is recorded as an error."""
    outcome = run_platform_suite(settings, engine, suite, now=now)
    counts = outcome.counts()
    if outcome.status == "error":
        reason = next((run.error for run in outcome.runs if run.status == "error" and run.error), "error")
        raise SandboxError(f"{suite}: {reason}")
    return counts
