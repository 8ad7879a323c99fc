"""The `poll-specs` job: poll one configured spec source (fetch, snapshot, diff against previous and contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.sources.fetcher import Fetcher
from monitor.sources.specs import poll_spec
from monitor.store.models import utcnow

JOB = "poll-specs"


def run(
    settings: Settings, engine: Engine, fetcher: Fetcher, source_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Poll one spec source now; returns the counts recorded on the job run. Errors are raised after being stored."""
    platform, name, source = settings.spec_source(source_id)
    now = now or utcnow()
    polled = poll_spec(
        settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=now
    )
    return dict(polled.counts())
