"""The `poll-feeds` job: poll one configured announcement source (an RSS/Atom feed or a changelog page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.sources.fetcher import Fetcher
from monitor.store.models import utcnow

JOB = "poll-feeds"


def run(
    settings: Settings, engine: Engine, fetcher: Fetcher, source_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Poll one announcement source now; returns the counts recorded on the job run."""
    # Imported here so feedparser and the HTML parser load only in processes that poll feeds.
    from monitor.sources.feed_poll import poll_feed

    platform, name, source = settings.feed_source(source_id)
    now = now or utcnow()
    polled = poll_feed(
        settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=now
    )
    return dict(polled.counts())
