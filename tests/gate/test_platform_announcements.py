"""A Shopee deprecation notice, in English and in Chinese, naming Open API 1.0 paths and a date, moves the gate of an
integration using those operations to `warn`, then to `fail` within `fail_days` of the date.

Everything runs as in the service: the integration's v1 contract is a spec source and the two announcement pages are
page sources on a local host, polled by the real poll functions; the gate is evaluated at dates before the deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.gate.decision import evaluate
from monitor.sources.feed_poll import poll_feed
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.sources.specs import poll_spec
from monitor.store import queries
from monitor.store.session import session_scope
from tests.e2e.servers import Host

TESTS = Path(__file__).resolve().parent.parent
PAGES = TESTS / "sources" / "fixtures" / "platforms"
V1_CONTRACT = TESTS / "sandbox" / "platforms" / "shopee-order-sync-v1.yaml"


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0, read_timeout_s=2)) as f:
        yield f


def configured(host: Host, tmp_path: Path, uses: list[str]) -> Settings:
    spec = host.serve("/shopee-v1.yaml", V1_CONTRACT.read_bytes(), content_type="application/yaml")
    en = host.serve("/announcements/en", (PAGES / "shopee-en.html").read_bytes(), content_type="text/html")
    zh = host.serve("/announcements/zh", (PAGES / "shopee-zh.html").read_bytes(), content_type="text/html")
    return Settings.model_validate({
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"shopee": {
            "specs": {"order-sync-v1": {"url": spec}},
            "feeds": {"announcements-en": {"url": en, "kind": "page", "selector": "article"},
                      "announcements-zh": {"url": zh, "kind": "page", "selector": "article"}},
        }},
        "integrations": {"order-sync": {"uses": {"shopee/order-sync-v1": uses}}},
    })  # fmt: skip


def poll_all(settings: Settings, engine: Engine, fetcher: Fetcher, at: datetime) -> None:
    for platform, name, source in settings.spec_sources():  # specs first: announcements link to their operations
        poll_spec(
            settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=at
        )
    for platform, name, source in settings.feed_sources():
        poll_feed(
            settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=at
        )


def decide(settings: Settings, engine: Engine, at: datetime) -> tuple[str, list[str]]:
    with session_scope(engine) as session:
        decision = evaluate(session=session, settings=settings, integration="order-sync", environment="production",
                            now=at)  # fmt: skip
    return decision.decision, [f"{r.kind}/{r.severity}: {r.message}" for r in decision.reasons]


def test_shopee_v1_deprecation_warns_then_fails_for_an_integration_using_those_paths(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings = configured(host, tmp_path, ["GetOrdersList", "POST /api/v1/items/update_stock"])
    july = datetime(2022, 7, 15, 9, tzinfo=UTC)  # 26 days before the 10 August 2022 deadline: within warn_days (30)
    poll_all(settings, db, fetcher, july)
    with session_scope(db) as session:
        entries = {e.title: e for e in queries.list_entries(session=session)}
        en = entries["[Important] Open API 1.0 Deprecation Plan"]
        zh = entries["【重要】Open API 1.0 下线计划"]
        for entry in (en, zh):
            assert str(entry.removal_date) == "2022-08-10" and entry.severity == "high"
            assert ["shopee/order-sync-v1", "POST /api/v1/orders/basics"] in entry.operations
            assert ["shopee/order-sync-v1", "POST /api/v1/items/update_stock"] in entry.operations
        assert en.subject == zh.subject  # one subject, one date history, whichever language announced it
    value, reasons = decide(settings, db, july)
    assert value == "warn", reasons
    announced = [r for r in reasons if r.startswith("announcement/")]
    assert len(announced) == 2 and all("2022-08-10 (in 26 days)" in r for r in announced), reasons
    assert any("POST /api/v1/orders/basics" in r and "Open API 1.0 下线计划" in r for r in announced)

    august = datetime(2022, 8, 5, 9, tzinfo=UTC)  # 5 days left: within fail_days (7)
    poll_all(settings, db, fetcher, august)  # unchanged pages and spec: nothing new, sources fresh
    value, reasons = decide(settings, db, august)
    assert value == "fail", reasons
    assert sum(r.startswith("announcement/fail") for r in reasons) == 2, reasons


def test_the_notice_does_not_touch_an_integration_on_open_api_2(db: Engine, host: Host, fetcher: Fetcher,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    settings = configured(host, tmp_path, ["GET /api/v2/order/get_order_list"])  # a v2 path: not in the notice
    at = datetime(2022, 8, 5, 9, tzinfo=UTC)
    poll_all(settings, db, fetcher, at)
    _, reasons = decide(settings, db, at)
    assert not any(r.startswith("announcement/") for r in reasons), reasons
