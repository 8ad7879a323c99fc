"""Small factories for gate tests: a configured integration, a polled spec with a contract, drift, runs, entries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.store import queries
from monitor.store.models import FeedEntry, utcnow
from monitor.store.session import session_scope

SOURCE = "shop/orders"
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Orders", "version": "1"},
    "paths": {
        "/orders": {"get": {"operationId": "getOrders", "responses": {"200": {"description": "ok"}}}},
        "/orders/{orderId}": {
            "get": {
                "operationId": "getOrder",
                "parameters": [{"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/refunds": {"post": {"operationId": "createRefund", "responses": {"201": {"description": "ok"}}}},
    },
}


def settings_dict(*, sandbox: bool = False, **gate: Any) -> dict[str, Any]:
    """The configuration as it would be written in config/monitor.yaml."""
    platform: dict[str, Any] = {"specs": {"orders": {"url": "http://127.0.0.1:1/orders.json"}}}
    if sandbox:
        platform["sandbox"] = {"base_url": "http://127.0.0.1:1", "is_sandbox": True}
    return {
        "platforms": {"shop": platform},
        "integrations": {
            "order-sync": {
                "uses": {SOURCE: ["getOrders", "GET /orders/{id}"]},
                "environments": {"production": {}, "staging": {"report_only": True}, "lenient": {"fail_on": []}},
            },
            "invoice-sync": {"uses": {"shop/invoices": ["getInvoices"]}},  # a source never polled: unknown
        },
        "gate": gate,
    }


def settings(*, sandbox: bool = False, **gate: Any) -> Settings:
    return Settings.model_validate(settings_dict(sandbox=sandbox, **gate))


def polled_source(engine: Engine, *, polled_at: datetime | None = None) -> int:
    """A spec source polled successfully at `polled_at` (default now) whose contract is its current version."""
    now = polled_at or utcnow()
    body = orjson.dumps(SPEC)
    with session_scope(engine) as session:
        queries.ensure_source(session=session, source_id=SOURCE, platform="shop", name="orders", kind="spec",
                              url="http://127.0.0.1:1/orders.json")  # fmt: skip
        session.flush()
        snap = queries.add_snapshot(session=session, source_id=SOURCE, digest=queries.content_hash(SPEC), body=body,
                                    fmt="openapi-3.0", title="Orders", version="1", now=now)  # fmt: skip
        queries.set_contract(session=session, source_id=SOURCE, snapshot_id=snap.id or 0, by="test", reason="",
                             action="pin", now=now)  # fmt: skip
        queries.record_success(session=session, source_id=SOURCE, now=now, not_modified=False)
        assert snap.id is not None
        return snap.id


def drift(engine: Engine, snapshot_id: int, *, level: str = "breaking", operations: list[str] | None = None,
          rule: str = "response-property-removed") -> int:  # fmt: skip
    """One confirmed drift change against the contract; returns its id."""
    change = {"id": rule, "level": level, "location": f"{rule}:{level}:{operations}", "message": f"{rule} happened",
              "args": {"n": str(operations)}, "operations": operations if operations is not None else ["GET /orders"]}  # fmt: skip
    with session_scope(engine) as session:
        queries.record_drift(session=session, source_id=SOURCE, changes=[change], contract_id=snapshot_id,
                             current_id=snapshot_id, now=utcnow(), confirm_after=1)  # fmt: skip
    with session_scope(engine) as session:
        rows = queries.list_changes(session=session, source_id=SOURCE, against="contract")
        return next(r.id for r in rows if r.rule_id == rule and r.operations == change["operations"])  # type: ignore[return-value]


def contract_run(engine: Engine, results: dict[str, str], *, at: datetime | None = None) -> int:
    """A finished sandbox run of `shop` with one status per operation label."""
    at = at or utcnow()
    with session_scope(engine) as session:
        run = queries.start_contract_run(session=session, suite="shop", source_id=SOURCE, base_url="http://127.0.0.1:1",
                                         phases=["examples"], seed=1, now=at)  # fmt: skip
        failed = any(s in queries.FAILING for s in results.values())
        queries.finish_contract_run(session=session, run=run, status="failed" if failed else "passed", counts={},
                                    error=None, results=[{"operation": op, "status": s} for op, s in results.items()],
                                    now=at)  # fmt: skip
        assert run.id is not None
        return run.id


def announcement(engine: Engine, *, removal: date, operations: list[list[str]] | None = None,
                 category: str = "removal") -> int:  # fmt: skip
    with session_scope(engine) as session:
        queries.ensure_source(session=session, source_id="shop/news", platform="shop", name="news", kind="feed",
                              url="http://127.0.0.1:1/feed")  # fmt: skip
        session.flush()
        entry = FeedEntry(source_id="shop/news", entry_key=f"k{removal}{category}", title=f"getOrders {category}",
                          link="https://example.com/news/1", content_hash="0" * 64, category=category,
                          removal_date=removal, operations=operations or [[SOURCE, "GET /orders"]])  # fmt: skip
        session.add(entry)
        session.flush()
        assert entry.id is not None
        return entry.id


def days(n: int) -> timedelta:
    return timedelta(days=n)
