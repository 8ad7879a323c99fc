"""Polls write their alerts into the outbox in their own transaction: spec changes, drift, announcements, dates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.alerts.dispatcher import Dispatcher
from monitor.config import Settings
from monitor.sources.feed_poll import poll_feed
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.sources.specs import poll_spec
from monitor.store.models import Alert
from monitor.store.session import session_scope
from tests.alerts.fake_slack import TOKEN, FakeSlack
from tests.conftest import require_corpus
from tests.e2e.servers import Host
from tests.e2e.test_feed_polling import rss

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def spec(paths: list[str]) -> bytes:
    ops = {p: {"get": {"operationId": p.strip("/"), "responses": {"200": {"description": "ok"}}}} for p in paths}
    return json.dumps({"swagger": "2.0", "info": {"title": "Orders", "version": "v0"}, "paths": ops}).encode()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0)) as f:
        yield f


def alerts(engine: Engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).all())


def test_a_spec_poll_enqueues_changes_and_drift_and_their_resolution(
    db: Engine, database_url: str, host: Host, fetcher: Fetcher, tmp_path: Path, slack: FakeSlack
) -> None:
    url = host.serve("/orders.json", spec(["/orders", "/items"]))
    settings = Settings.model_validate({
        "database_url": database_url, "allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"amazon-sp-api": {"specs": {"orders-v0": {"url": url}}}},
        "integrations": {"order-sync": {"uses": {"amazon-sp-api/orders-v0": ["GET /orders", "GET /items"]}}},
        "alerts": {"slack": {"token": TOKEN, "base_url": slack.base_url, "default_channel": "#api",
                             "routes": [{"match": {"kind": "drift", "level": "breaking"}, "channel": "#api-breaking"}]},
                   "group_wait": "0s"},
    })  # fmt: skip
    ((platform, name, source),) = settings.spec_sources()

    def poll(at: datetime) -> Any:
        return poll_spec(settings=settings, engine=db, fetcher=fetcher, platform=platform, name=name, source=source,
                         now=at)  # fmt: skip

    poll(T0)  # the first version is pinned as the contract: nothing to tell
    assert alerts(db) == []
    host.serve("/orders.json", spec(["/orders"]))
    poll(T0 + timedelta(hours=6))
    kinds = [(a.kind, a.state, a.labels["level"]) for a in alerts(db)]
    assert kinds == [("change", "info", "breaking"), ("drift", "firing", "breaking")]
    assert "GET /items" in alerts(db)[1].text
    poll(T0 + timedelta(hours=7))  # not modified: nothing new
    assert len(alerts(db)) == 2
    host.serve("/orders.json", spec(["/orders", "/items"]))
    poll(T0 + timedelta(hours=12))
    assert [(a.kind, a.state) for a in alerts(db)][2:] == [("change", "info"), ("drift", "resolved")]

    Dispatcher(settings, db).run_once(T0 + timedelta(hours=12))
    assert [p["channel"] for p in slack.posts()] == [slack.id_of(c) for c in ("#api", "#api-breaking", "#api-breaking")]
    assert slack.posts("#api")[0]["text"].startswith("2 spec changes: amazon-sp-api/orders-v0")  # one group
    drift_first, drift_resolved = slack.posts("#api-breaking")
    assert drift_resolved["thread_ts"] == drift_first["ts"] and slack.updates[0]["ts"] == drift_first["ts"]


def test_announcements_alert_once_and_moved_dates_follow_up_in_their_thread(
    db: Engine, database_url: str, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    corpus = require_corpus()
    entries = json.loads((corpus / "feeds/amazon/changelog-entries.json").read_text())
    reminders = [e for e in entries if e["title"].startswith("Deprecation Reminders")]
    url = host.serve("/changelog.rss", rss(reminders[:1]))
    settings = Settings.model_validate({
        "database_url": database_url, "allow_hosts": ["127.0.0.1"],
        "platforms": {"amazon-sp-api": {"feeds": {"changelog": {"url": url}}}},
    })  # fmt: skip
    ((platform, name, source),) = settings.feed_sources()
    moved = 0
    for i in range(1, len(reminders) + 1):
        host.serve("/changelog.rss", rss(reminders[:i]))
        result = poll_feed(settings=settings, engine=db, fetcher=fetcher, platform=platform, name=name, source=source,
                           now=T0 + timedelta(days=i))  # fmt: skip
        moved += result.moved_dates
    stored = alerts(db)
    announcements = [a for a in stored if a.kind == "announcement"]
    dated = [a for a in stored if a.kind == "date-moved"]
    assert len(announcements) == len(reminders)  # one per new entry, never again on a re-read
    assert len(dated) == moved >= 1
    assert all("Removal date moved for" in a.title and "(was " in a.title for a in dated)
    # a moved date shares the fingerprint (so the thread) of an earlier announcement about its subject
    assert {a.fingerprint for a in dated} & {a.fingerprint for a in announcements}
