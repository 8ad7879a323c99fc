"""The ordersV0 history served locally: the gate passes before 15d2d98d and fails after it on a rate-limit reason.

Real Amazon versions are replayed by the e2e spec host (tests/e2e/servers.py) and polled by the real job code; the
integration declares it needs getOrders at 0.5 requests per second, which 15d2d98d cuts to 0.0167.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.gate import evaluate
from monitor.gate.decision import Decision
from monitor.gate.waivers import create_waiver
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store import queries
from monitor.store.session import session_scope
from tests.e2e.servers import Host
from tests.e2e.test_spec_polling import poll, version

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SOURCE = "amazon-sp-api/orders-v0"
BEFORE, AFTER = "7c7d355d", "15d2d98d"  # consecutive ordersV0 versions in the corpus: 2021-04-15, 2022-05-18


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), read_timeout_s=2, deadline_s=10.0, retries=1,
                         backoff_base_s=0.01, max_bytes=2 * 1024 * 1024)  # fmt: skip
    with Fetcher(policy) as f:
        yield f


def settings_for(tmp_path: Path, url: str, uses: list[Any], **extra: Any) -> Settings:
    return Settings.model_validate({
        **extra,
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"amazon-sp-api": {"specs": {"orders-v0": {"url": url}}}},
        "integrations": {"order-sync": {"uses": {SOURCE: uses}}},
    })  # fmt: skip


def decide(db: Engine, settings: Settings, at: datetime) -> Decision:
    with session_scope(db) as session:
        return evaluate(session=session, settings=settings, integration="order-sync", environment="production",
                        now=at)  # fmt: skip


def replay(db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path, uses: list[Any]) -> tuple[Settings, Decision]:
    """Poll BEFORE (pinned as the contract), check the gate passes, then poll AFTER; the decision after it."""
    url = host.serve("/ordersV0-limits.json", version("ordersV0", BEFORE))
    settings = settings_for(tmp_path, url, uses)
    poll(settings, db, fetcher, T0)
    before = decide(db, settings, T0 + timedelta(minutes=1))
    assert before.decision == "pass", [r.message for r in before.reasons]
    host.serve("/ordersV0-limits.json", version("ordersV0", AFTER))
    poll(settings, db, fetcher, T0 + timedelta(hours=1))
    return settings, decide(db, settings, T0 + timedelta(hours=1, minutes=1))


def test_the_gate_fails_when_15d2d98d_cuts_get_orders_below_the_need(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    settings, after = replay(db, host, fetcher, tmp_path, ["getOrder", {"operation": "getOrders", "rate": "0.5/s"}])
    assert after.decision == "fail" and after.deployable is False
    limited = [r for r in after.reasons if r.kind == "rate-limit"]
    assert len(limited) == 1, [r.message for r in after.reasons]
    (reason,) = limited
    assert reason.severity == "fail" and reason.ref_kind == "operation"
    assert "getOrders (GET /orders/v0/orders): documented rate limit 1 -> 0.0167 requests per second" in reason.message
    assert "(86,400 -> 1,443 calls a day) in the current upstream spec is below the need of 0.5/s" in reason.message
    # the same cut is not reported twice as drift; getOrder (no need declared) still gets its drift reason
    assert not [r for r in after.reasons if r.kind == "drift" and "GET /orders/v0/orders:" in r.message]

    with session_scope(db) as session:  # a waiver on the operation works on it like on any reason
        create_waiver(session=session, kind="operation", target="amazon-sp-api GET /orders/v0/orders",
                      reason="batching orders until the new plan", author="ana",
                      expires_at=T0 + timedelta(days=2), integration="order-sync", now=T0)  # fmt: skip
    waived = decide(db, settings, T0 + timedelta(hours=1, minutes=2))
    assert [r.kind for r in waived.waived] == ["rate-limit"]
    assert not [r for r in waived.reasons if r.kind == "rate-limit"]


def test_a_documented_decrease_that_still_meets_the_need_warns(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    _, after = replay(db, host, fetcher, tmp_path, [{"operation": "getOrders", "per_day": 1000}])
    limited = [r for r in after.reasons if r.kind == "rate-limit"]
    assert [r.severity for r in limited] == ["warn"]
    assert "decreased from the contract, still meeting the need of 1000/day (1,000 calls a day)" in limited[0].message
    assert after.decision in ("warn", "fail")  # other drift of this pair may fail on its own


def test_a_decrease_below_the_need_is_breaking_drift_from_the_contract(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    """The diff against the contract uses the need too: the stored change is breaking and says the shortfall."""
    replay(db, host, fetcher, tmp_path, [{"operation": "getOrders", "rate": "0.5/s"}])
    with session_scope(db) as session:
        drift = [c for c in queries.list_changes(session=session, against="contract")
                 if c.rule_id == "operation-rate-limit-decreased"]  # fmt: skip
    assert [c.level for c in drift] == ["breaking"]
    assert "Below the need of 0.5/s" in drift[0].message


def test_a_cut_on_a_used_operation_is_alerted_with_the_figures_and_the_need(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    from sqlmodel import select

    from monitor.store.models import Alert

    replay(db, host, fetcher, tmp_path, ["getOrder", {"operation": "getOrders", "rate": "0.5/s"}])
    with session_scope(db) as session:
        alerts = session.exec(select(Alert).where(Alert.kind == "rate-limit")).all()
    by_op = {a.labels["operation"]: a for a in alerts}
    cut = by_op["GET /orders/v0/orders"]
    assert cut.title == (
        "Rate limit cut for getOrders (order-sync): 1 -> 0.0167 requests per second (86,400 -> 1,443 calls a day); "
        "needs 0.5/s (43,200 calls a day): below the need"
    )
    assert (cut.state, cut.labels["level"], cut.labels["integration"]) == ("firing", "breaking", "order-sync")
    other = by_op["GET /orders/v0/orders/{orderId}"]  # getOrder is used without a need: a warning, not a page
    assert other.labels["level"] == "warning" and "no need declared" in other.title
    assert "GET /orders/v0/orders/{orderId}/orderItems" not in by_op  # not used by the integration


def test_the_report_the_dashboard_and_the_api_show_the_table_with_the_cut_highlighted(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    import httpx

    from monitor.api.app import create_app
    from monitor.demo.serving import serve_in_thread
    from monitor.gate.tokens import token_hash
    from monitor.reports.nightly import assemble
    from monitor.reports.render import to_html, to_markdown, to_slack

    uses: list[Any] = ["getOrder", {"operation": "getOrders", "rate": "0.5/s"}]
    settings, _ = replay(db, host, fetcher, tmp_path, uses)
    until = T0 + timedelta(days=1)
    with session_scope(db) as session:
        data = assemble(session=session, settings=settings, until=until, since=T0, day=T0.date())
    cut = next(row for row in data.limits if row["operation"] == "getOrders (GET /orders/v0/orders)")
    assert cut["decreased"] and cut["short"] and cut["headroom"] == "-97%"
    assert cut["documented"] == "0.0167/s (1,443/day), burst 20 (contract 1/s (86,400/day))"
    assert cut["history"] == "1 -> 0.0167; 1 -> 20"  # the upstream change of rate, then of burst
    markdown = to_markdown(data)
    assert "## Rate limits of the operations our integrations use" in markdown
    assert "| order-sync | getOrders (GET /orders/v0/orders) | 0.5/s | **decreased:** 0.0167/s (1,443/day)" in markdown
    assert '<tr class="breaking"><td>order-sync</td><td>getOrders (GET /orders/v0/orders)</td>' in to_html(data)
    slack = "\n".join(b.get("text", {}).get("text", "") for b in to_slack(data))
    assert "*Rate limits decreased or below the need (2):*" in slack  # getOrders short, getOrder cut

    token = "mon_limits-read-token"
    api = {"tokens": [{"name": "r", "scopes": ["read"], "sha256": token_hash(token)}]}
    served = settings_for(tmp_path, host.url("/ordersV0-limits.json"), uses, api=api)
    server = serve_in_thread(create_app(served, db))
    try:
        with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
            page = client.get("/")
            assert page.status_code == 200
            assert 'id="limits-title">Rate limits of the operations our integrations use' in page.text
            assert '<tr class="limit limit-decreased limit-short">' in page.text
            answer = client.get("/api/v1/limits", params={"integration": "order-sync"})
            assert answer.status_code == 200
            rows = {r["operation_id"]: r for r in answer.json()}
            assert rows["getOrders"]["documented"]["rate"] == 0.0167 and rows["getOrders"]["contract"]["rate"] == 1.0
            assert client.get("/api/v1/limits", params={"integration": "nope"}).status_code == 404
            assert httpx.get(f"{server.url}/api/v1/limits").status_code == 401
    finally:
        server.stop()
