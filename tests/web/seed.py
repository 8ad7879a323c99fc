"""A seeded store for dashboard tests: one platform with a healthy spec and a failing feed, breaking drift on a used
operation, a hostile announcement with a removal date, and three days of sandbox contract runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.demo.marketplace import spec_bytes
from monitor.store import queries
from monitor.store.models import Change, ContractRun, FeedEntry, OperationResult, Source
from monitor.store.session import session_scope

HOSTILE_CHANGE = "<script>alert('change')</script> was removed"
HOSTILE_TITLE = "<img src=x onerror=alert(1)> Deprecation: buyerEmail will be removed"
FEED_ERROR = "fetch failed: HTTP 503 from http://127.0.0.1:9/feed.xml"
DRIFT_MESSAGE = "The query parameter `createdAfter` became required"
REMOVAL_IN_DAYS = 5


def settings(*, tokens: list[dict[str, object]] | None = None, public: bool = False) -> Settings:
    return Settings.model_validate({
        "api": {"tokens": tokens or [], "public_dashboard": public},
        "platforms": {"acme": {
            "specs": {"orders": {"url": "http://127.0.0.1:9/specs/orders.yaml", "every": "5m"}},
            "feeds": {"news": {"url": "http://127.0.0.1:9/feed.xml", "every": "5m"}},
            "sandbox": {"base_url": "http://127.0.0.1:9", "is_sandbox": True},
        }},
        "integrations": {"order-sync": {
            "uses": {"acme/orders": ["listOrders", "getOrder", "getOrderItems"]},
            "environments": {"prod": {}, "staging": {"report_only": True}},
        }},
    })  # fmt: skip


def seed(engine: Engine, now: datetime) -> None:
    body = spec_bytes("v1.yaml")
    with session_scope(engine) as session:
        session.add(Source(id="acme/orders", platform="acme", name="orders", kind="spec",
                           url="http://127.0.0.1:9/specs/orders.yaml", last_polled_at=now - timedelta(minutes=2),
                           last_success_at=now - timedelta(minutes=2), polls=12))  # fmt: skip
        session.add(Source(id="acme/news", platform="acme", name="news", kind="feed", url="http://127.0.0.1:9/feed.xml",
                           last_polled_at=now - timedelta(minutes=1), last_success_at=now - timedelta(hours=3),
                           consecutive_failures=3, last_error=FEED_ERROR, polls=12))  # fmt: skip
        session.flush()
        snapshot = queries.add_snapshot(session=session, source_id="acme/orders",
                                        digest=queries.content_hash(yaml.safe_load(body)), body=body, fmt="openapi-3.0",
                                        title="Acme Marketplace Orders API", version="1.0.0", now=now - timedelta(days=3))  # fmt: skip
        assert snapshot.id is not None
        queries.set_contract(session=session, source_id="acme/orders", snapshot_id=snapshot.id, by="test",
                             reason="seed", action="pin", now=now - timedelta(days=3))  # fmt: skip
        session.add(Change(source_id="acme/orders", against="contract", fingerprint="f" * 64,
                           rule_id="request-parameter-became-required", level="breaking",
                           location="#/paths/~1orders/get/parameters/query/createdAfter", message=DRIFT_MESSAGE,
                           args={"parameter": "createdAfter", "in": "query"}, operations=["GET /orders"],
                           first_seen_at=now - timedelta(hours=1), last_seen_at=now - timedelta(minutes=2)))  # fmt: skip
        session.add(Change(source_id="acme/orders", against="previous", fingerprint="e" * 64,
                           rule_id="api-path-removed-without-deprecation", level="info", location="#/paths/~1x",
                           message=HOSTILE_CHANGE, args={}, operations=["POST /orders/{orderId}/shipment"],
                           first_seen_at=now - timedelta(hours=2), last_seen_at=now - timedelta(hours=2)))  # fmt: skip
        session.add(FeedEntry(source_id="acme/news", entry_key="deprecation-1", title=HOSTILE_TITLE,
                              link="javascript:alert(1)", summary="", content_hash="c" * 64,
                              published_at=now - timedelta(hours=5), category="deprecation", severity="high",
                              removal_date=(now + timedelta(days=REMOVAL_IN_DAYS)).date(),
                              operations=[["acme/orders", "GET /orders/{}"]], first_seen_at=now - timedelta(hours=5)))  # fmt: skip
        # Three days of runs over three operations: 3/3, then 2/3 (one failure), then 3/3 today.
        for days_ago, failing in ((2, 0), (1, 1), (0, 0)):
            at = now - timedelta(days=days_ago, minutes=5)
            run = ContractRun(suite="acme", source_id="acme/orders", base_url="http://127.0.0.1:9",
                              status="failed" if failing else "passed", started_at=at, finished_at=at)  # fmt: skip
            session.add(run)
            session.flush()
            assert run.id is not None
            for i, op in enumerate(("GET /orders", "GET /orders/{orderId}", "GET /orders/{orderId}/items")):
                status = "failed" if i < failing else "passed"
                session.add(OperationResult(run_id=run.id, suite="acme", source_id="acme/orders", operation=op,
                                            status=status, cases=2, at=at))  # fmt: skip
