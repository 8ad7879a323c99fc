"""Announcement feeds served locally from the real corpus: malformed kept, empty fine, dates moved, ops linked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.errors import FeedError
from monitor.sources.feed_poll import poll_feed
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.sources.specs import poll_spec
from monitor.store import queries
from monitor.store.models import Source
from monitor.store.session import session_scope
from tests.conftest import require_corpus
from tests.e2e.servers import Host

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def corpus_file(relative: str) -> Path:
    return require_corpus() / relative


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0, read_timeout_s=2)) as f:
        yield f


def settings(tmp_path: Path, feeds: dict[str, str], specs: dict[str, str] | None = None) -> Settings:
    platform: dict[str, Any] = {"feeds": {name: {"url": url} for name, url in feeds.items()}}
    if specs:
        platform["specs"] = {name: {"url": url} for name, url in specs.items()}
    return Settings.model_validate({"allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "c"),
                                    "platforms": {"amazon-sp-api": platform}})  # fmt: skip


def poll_feeds(s: Settings, engine: Engine, fetcher: Fetcher, at: datetime) -> list[Any]:
    return [poll_feed(settings=s, engine=engine, fetcher=fetcher, platform=p, name=n, source=f, now=at)
            for p, n, f in s.feed_sources()]  # fmt: skip


def rss(entries: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document built from real changelog entries (the corpus keeps them as JSON excerpts)."""
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(e['url'])}</link><guid>{escape(e['url'])}</guid>"
        f"<pubDate>{format_datetime(T0 + timedelta(days=i))}</pubDate><description>{escape(e['text'])}</description></item>"
        for i, e in enumerate(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>SP-API</title>{items}</channel></rss>'.encode()


def test_truncated_ebay_feed_keeps_its_valid_entry_and_is_flagged(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = host.serve(
        "/ebay.rss",
        corpus_file("feeds/ebay/api-deprecation.rss.partial.xml").read_bytes(),
        content_type="application/rss+xml",
    )
    (result,) = poll_feeds(settings(tmp_path, {"ebay": url}), db, fetcher, T0)
    assert result.new_entries >= 1 and result.is_malformed
    with session_scope(db) as session:
        entries = queries.list_entries(session=session)
        source = session.get(Source, "amazon-sp-api/ebay")
        assert source is not None and source.last_error and "malformed" in source.last_error
        assert source.consecutive_failures == 0  # flagged, not failed
        assert any(e.removal_date is not None for e in entries)


def test_empty_feed_is_fine_and_unchanged_feeds_are_not_reparsed(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = host.serve("/index.rss", corpus_file("feeds/amazon/sp-api-index.rss.xml").read_bytes())
    s = settings(tmp_path, {"index": url})
    (first,) = poll_feeds(s, db, fetcher, T0)
    assert first.outcome == "updated" and first.new_entries == 0 and not first.is_malformed
    (second,) = poll_feeds(s, db, fetcher, T0 + timedelta(hours=1))
    assert second.outcome == "not-modified" and host.not_modified == 1


def test_garbage_is_an_error_that_keeps_stored_entries(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    entries = json.loads(corpus_file("feeds/amazon/changelog-entries.json").read_text())
    url = host.serve("/changelog.rss", rss(entries[:2]))
    s = settings(tmp_path, {"changelog": url})
    poll_feeds(s, db, fetcher, T0)
    host.serve("/changelog.rss", b"\x00\x01 not a feed \xff")
    with pytest.raises(FeedError):
        poll_feeds(s, db, fetcher, T0 + timedelta(hours=1))
    with session_scope(db) as session:
        assert len(queries.list_entries(session=session)) == 2


def test_reminders_move_dates_and_link_catalog_items_operations(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    spec_url = host.serve(
        "/catalogItemsV0.json", corpus_file("amazon/catalogItemsV0/040090b1_2025-02-26.json").read_bytes()
    )
    entries = json.loads(corpus_file("feeds/amazon/changelog-entries.json").read_text())
    reminders = [e for e in entries if e["title"].startswith("Deprecation Reminders")]
    feed_url = host.serve("/changelog.rss", rss(reminders[:1]))
    s = settings(tmp_path, {"changelog": feed_url}, {"catalog-items-v0": spec_url})
    ((platform, name, spec_source),) = s.spec_sources()
    poll_spec(settings=s, engine=db, fetcher=fetcher, platform=platform, name=name, source=spec_source, now=T0)
    moved = 0
    for i in range(1, len(reminders) + 1):  # the changelog grows one post at a time, as it did
        host.serve("/changelog.rss", rss(reminders[:i]))
        (result,) = poll_feeds(s, db, fetcher, T0 + timedelta(days=i))
        moved += result.moved_dates
    with session_scope(db) as session:
        stored = queries.list_entries(session=session)
        assert len(stored) == len(reminders)  # each post stored once, however often the feed is read
        linked = {tuple(op) for e in stored for op in e.operations}
        assert ("amazon-sp-api/catalog-items-v0", "GET /catalog/v0/items") in linked
        subjects = {
            d.subject for e in stored if e.subject for d in queries.date_history(session=session, subject=e.subject)
        }
        histories = [
            sorted({d.removal_date for d in queries.date_history(session=session, subject=sub)}) for sub in subjects
        ]
    assert moved >= 1 and any(len(h) >= 3 for h in histories), histories  # Catalog Items v0 moved several times
