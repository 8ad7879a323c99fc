"""Announced limits: figures and operations read from `rate-limit` announcements, kept with them, used by the gate."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.gate import evaluate
from monitor.limits.table import limit_rows
from monitor.sources.announcement_limits import extract_limits
from monitor.sources.feed_poll import poll_feed
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store.models import AnnouncedLimit, FeedEntry
from monitor.store.session import session_scope
from tests.cli.inprocess import run_monitor
from tests.conftest import require_corpus
from tests.e2e.servers import Host
from tests.e2e.test_feed_polling import rss
from tests.e2e.test_spec_polling import poll, version

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_issue_example_gives_figure_burst_and_operation() -> None:
    (figure,) = extract_limits(
        "We increased the rate limit of getItemOffers to 5 requests per second with a burst of 10"
    )
    assert (figure.operation, figure.rate, figure.burst) == ("getItemOffers", 5.0, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("getOrders: rate limit lowered to 0.0167 requests per second (burst 20).", [("getOrders", 0.0167, 20)]),
        ("The usage plan of getPricing and getCompetitivePricing is now 30 requests per minute.",
         [("getPricing", 0.5, None), ("getCompetitivePricing", 0.5, None)]),
        ("searchCatalogItems 限流调整为每秒 2 次", [("searchCatalogItems", 2.0, None)]),
        ("Rate limits are unchanged for this release.", []),  # no operation named
        ("getOrders now returns BuyerInfo.", []),  # no limit words
    ],
)  # fmt: skip
def test_figures_are_read_in_their_written_forms(text: str, expected: list[tuple[str, float, int | None]]) -> None:
    got = [(f.operation, f.rate, f.burst) for f in extract_limits(text)]
    assert [(o, pytest.approx(r), b) for o, r, b in expected] == got


def test_a_real_amazon_reminder_names_the_operations_without_a_figure() -> None:
    entries = json.loads((require_corpus() / "feeds" / "amazon" / "changelog-entries.json").read_text())
    reminder = next(e for e in entries if e["title"] == "Deprecation Reminders - December 18, 2024")
    figures = extract_limits(reminder["text"])
    assert [(f.operation, f.rate) for f in figures] == [("listCatalogItems", None), ("getCatalogItem", None)]


def test_hostile_text_is_bounded() -> None:
    assert len(extract_limits("getOrders rate limit 1 requests per second\n" * 100_000)) == 1
    assert extract_limits("rate limit " + "9" * 100_000 + " requests per second getOrders") == []  # past the bound
    (huge,) = extract_limits("getOrders rate limit " + "9" * 400 + " requests per second")
    assert huge.rate is None  # 1e400 is no figure


def test_an_announced_cut_below_the_need_fails_the_gate_naming_the_announcement(
    db: Engine, host: Host, tmp_path: Path
) -> None:
    spec_url = host.serve("/ordersV0-announced.json", version("ordersV0", "7c7d355d"))  # getOrders at 1/s
    feed_url = host.serve("/changelog.rss", rss([{
        "title": "Orders API rate limit update", "url": "https://developer-docs.amazon.com/sp-api/changelog/orders",
        "text": "We reduced the rate limit of getOrders to 0.2 requests per second with a burst of 5.",
    }]), content_type="application/rss+xml")  # fmt: skip
    settings = Settings.model_validate({
        "allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"amazon-sp-api": {"specs": {"orders-v0": {"url": spec_url}},
                                        "feeds": {"changelog": {"url": feed_url}}}},
        "integrations": {"order-sync": {"uses": {"amazon-sp-api/orders-v0": [{"operation": "getOrders", "rate": "0.5/s"}]}}},
    })  # fmt: skip
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0, read_timeout_s=2)) as fetcher:
        poll(settings, db, fetcher, T0)
        ((platform, name, feed),) = settings.feed_sources()
        poll_feed(settings=settings, engine=db, fetcher=fetcher, platform=platform, name=name, source=feed, now=T0)

    with session_scope(db) as session:
        entry = session.exec(select(FeedEntry)).one()
        assert entry.category == "rate-limit"
        (kept,) = session.exec(select(AnnouncedLimit)).all()
        assert (kept.entry_id, kept.operation, kept.rate, kept.burst) == (entry.id, "getOrders", 0.2, 5)
        (row,) = limit_rows(session=session, settings=settings, integration="order-sync")
        assert row.announced is not None and row.announced.rate == 0.2 and row.documented.rate == 1.0  # type: ignore[union-attr]
        decision = evaluate(session=session, settings=settings, integration="order-sync", environment="production",
                            now=T0 + timedelta(minutes=5))  # fmt: skip
    assert decision.decision == "fail"
    (reason,) = [r for r in decision.reasons if r.kind == "rate-limit"]
    assert f"announced rate limit 0.2 requests per second (17,280 calls a day) in announcement {entry.id}" in (
        reason.message
    )
    assert "is below the need of 0.5/s" in reason.message
    # `monitor announcements` shows the figures beside the entry, in text and JSON.
    config = tmp_path / "monitor.yaml"
    config.write_text(f"database_url: {db.url.render_as_string(hide_password=False)}\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "250"}
    listed = run_monitor(["announcements", "--format", "json", "--config", str(config)], env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (shown,) = json.loads(listed.stdout)
    assert shown["limits"] == [{"operation": "getOrders", "rate": 0.2, "burst": 5}]
    text = run_monitor(["announcements", "--config", str(config)], env=env, cwd=tmp_path)
    assert "getOrders 0.2/s burst 5" in text.stdout
