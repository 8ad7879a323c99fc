"""The `observe-traffic` job: observe the captures dropped in one observe source's folder, each file once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.sources.fetcher import Fetcher
from monitor.store.models import utcnow

JOB = "observe-traffic"


def run(
    settings: Settings, engine: Engine, fetcher: Fetcher, source_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Observe new captures of `source_id` (`platform/name`); returns the counts recorded on the job run."""
    from monitor.traffic.service import observe_folder

    platform, _, name = source_id.partition("/")
    config = settings.platforms.get(platform)
    source = config.observe.get(name) if config is not None else None
    if source is None:
        raise ConfigError(f"{source_id}: no such observe source in the configuration")
    return observe_folder(settings=settings, engine=engine, source_id=source_id, source=source, now=now or utcnow())
