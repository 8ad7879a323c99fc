"""The `poll-specs` job: poll one configured spec source (fetch, snapshot, diff against previous and contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings, SpecSource
from monitor.errors import ConfigError
from monitor.sources.fetcher import Fetcher
from monitor.sources.specs import poll_spec
from monitor.store.models import utcnow

JOB = "poll-specs"


def find_source(settings: Settings, source_id: str) -> tuple[str, str, SpecSource]:
    """(platform, name, source) of a configured spec source `platform/name`."""
    found = settings.spec_source(source_id)
    if found is None:
        raise ConfigError(f"{source_id}: no such spec source in the configuration")
    return found


def run(
    settings: Settings, engine: Engine, fetcher: Fetcher, source_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Poll one spec source now; returns the counts recorded on the job run. Errors are raised after being stored."""
    platform, name, source = find_source(settings, source_id)
    now = now or utcnow()
    polled = poll_spec(
        settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=now
    )
    return dict(polled.counts())
