"""The `poll-feeds` job: poll one configured announcement source (an RSS/Atom feed or a changelog page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import FeedSource, Settings
from monitor.errors import ConfigError
from monitor.sources.fetcher import Fetcher
from monitor.store.models import utcnow

JOB = "poll-feeds"


def find_source(settings: Settings, source_id: str) -> tuple[str, str, FeedSource]:
    """(platform, name, source) of a configured feed or page source `platform/name`."""
    found = settings.feed_source(source_id)
    if found is None:
        raise ConfigError(f"{source_id}: no such feed or page source in the configuration")
    return found


def run(
    settings: Settings, engine: Engine, fetcher: Fetcher, source_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Poll one announcement source now; returns the counts recorded on the job run."""
    # Imported here so feedparser and the HTML parser load only in processes that poll feeds.
    from monitor.sources.feed_poll import poll_feed

    platform, name, source = find_source(settings, source_id)
    now = now or utcnow()
    polled = poll_feed(
        settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=now
    )
    return dict(polled.counts())
