"""The nightly report: its facts from the store, three renderings, storage, the outbox, the routes and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.alerts.dispatcher import Dispatcher
from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import Settings
from monitor.engine.model import operation_key
from monitor.gate.tokens import new_token, token_hash
from monitor.reports.nightly import assemble
from monitor.reports.render import to_slack
from monitor.reports.schedule import run_nightly
from monitor.reports.store import generate_nightly
from monitor.store import models, queries
from monitor.store.models import Alert, Change, FeedEntry, JobRun, Report, Source
from monitor.store.session import session_scope
from tests.alerts.fake_slack import TOKEN, FakeSlack, Receiver, fake_slack, receiver

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SOURCE = "amazon-sp-api/orders-v0"
SPEC = json.dumps({"swagger": "2.0", "info": {"title": "Orders", "version": "v0"}, "paths": {
    "/orders": {"get": {"operationId": "getOrders", "responses": {"200": {"description": "ok"}}}},
    "/orders/{orderId}": {"get": {"operationId": "getOrder", "responses": {"200": {"description": "ok"}}}}}}).encode()  # fmt: skip


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as rec:
        yield rec


READ_TOKEN = new_token()  # reports follow the dashboard's access rule: a token with the read scope


def settings_for(database_url: str, slack: FakeSlack | None = None, hook: Receiver | None = None) -> Settings:
    alerts: dict[str, Any] = {"group_wait": "0s", "dashboard_url": "https://monitor.example.com"}
    if slack:
        alerts["slack"] = {"token": TOKEN, "base_url": slack.base_url, "routes": []}
    if hook:
        alerts["webhooks"] = [{"name": "teams", "url": hook.url, "routes": [{"kind": "report"}],
                               "headers": {"Authorization": "Bearer hook-secret-1"}}]  # fmt: skip
    return Settings.model_validate({
        "database_url": database_url, "alerts": alerts,
        "reports": {"nightly": {"cron": "0 2 * * *", "timezone": "Asia/Shanghai", "slack_channel": "#api-changes"}},
        "integrations": {"order-sync": {"uses": {SOURCE: ["getOrders"]}}},
        "api": {"tokens": [{"name": "reader", "scopes": ["read"], "sha256": token_hash(READ_TOKEN)}]},
    })  # fmt: skip


def seed(engine: Engine) -> None:
    """A day of facts: changes, an announcement touching order-sync, runs, a gate decision, a failing feed."""
    with session_scope(engine) as session:
        queries.ensure_source(session=session, source_id=SOURCE, platform="amazon-sp-api", name="orders-v0",
                              kind="spec", url="http://x")  # fmt: skip
        snap = queries.add_snapshot(session=session, source_id=SOURCE, digest="d1", body=SPEC, fmt="swagger-2.0",
                                    title="Orders", version="v0", now=NOW - timedelta(days=3))  # fmt: skip
        session.get(Source, SOURCE).content_hash = "d1"  # type: ignore[union-attr]
        feed = queries.ensure_source(session=session, source_id="amazon-sp-api/changelog", platform="amazon-sp-api",
                                     name="changelog", kind="feed", url="http://x/feed")  # fmt: skip
        feed.consecutive_failures, feed.last_error = 3, "HTTP 503"
        session.flush()
        for i, level in enumerate(["breaking", "breaking", "warning", "info"]):
            session.add(Change(source_id=SOURCE, against="previous", fingerprint=f"f{i}", rule_id="api-removed",
                               level=level, location="#/paths", message=f"change <b>{i}</b>", args={},
                               operations=["GET /orders"], new_snapshot_id=snap.id,
                               first_seen_at=NOW - timedelta(hours=2 + i), last_seen_at=NOW))  # fmt: skip
        session.add(Change(source_id=SOURCE, against="previous", fingerprint="old", rule_id="api-removed",
                           level="breaking", location="#/paths", message="two days ago", args={}, operations=[],
                           first_seen_at=NOW - timedelta(days=2), last_seen_at=NOW))  # fmt: skip
        session.add(FeedEntry(source_id="amazon-sp-api/changelog", entry_key="e1",
                              title="getOrders <script>alert(1)</script> will be removed", link="https://x/e1",
                              content_hash="h1", category="removal", severity="high",
                              removal_date=date(2027, 1, 15), subject="orders-v0",
                              operations=[[SOURCE, operation_key("GET", "/orders")]],
                              first_seen_at=NOW - timedelta(hours=5)))  # fmt: skip
        session.add(FeedEntry(source_id="amazon-sp-api/changelog", entry_key="e2", title="Unrelated removal",
                              content_hash="h2", category="removal", removal_date=date(2027, 1, 1),
                              operations=[[SOURCE, "GET /elsewhere"]], first_seen_at=NOW - timedelta(days=9)))  # fmt: skip
        run = queries.start_contract_run(session=session, suite="amazon-sp-api", source_id=SOURCE, base_url="http://s",
                                         phases=["examples"], seed=0, now=NOW - timedelta(hours=3))  # fmt: skip
        queries.finish_contract_run(session=session, run=run, status="failed", counts={}, error=None,
                                    now=NOW - timedelta(hours=3), results=[
                                        {"operation": "GET /orders", "status": "passed"},
                                        {"operation": "GET /orders/{orderId}", "status": "passed"},
                                        {"operation": "GET /items", "status": "failed"}])  # fmt: skip
        session.add(models.GateDecision(integration="order-sync", environment="production", decision="fail",
                                        evaluated_at=NOW - timedelta(hours=1)))  # fmt: skip
        session.add(models.Deployment(integration="order-sync", environment="staging", version="1.4.2", by="ci",
                                      at=NOW - timedelta(hours=4)))  # fmt: skip


def test_the_report_gathers_the_day(db: Engine, database_url: str) -> None:
    seed(db)
    settings = settings_for(database_url)
    with session_scope(db) as session:
        data = assemble(session=session, settings=settings, until=NOW, since=NOW - timedelta(hours=24),
                        day=NOW.date())  # fmt: skip
    assert data.changes_by_level == {"breaking": 2, "warning": 1, "info": 1}  # the old one is outside the day
    assert data.changes_by_platform == {"amazon-sp-api": {"breaking": 2, "warning": 1, "info": 1}}
    assert [a["title"] for a in data.announcements] == ["getOrders <script>alert(1)</script> will be removed"]
    assert [(r["removal_date"], r["integrations"]) for r in data.removals] == [("2027-01-15", ["order-sync"])]
    assert data.runs == [{"suite": "amazon-sp-api", "runs": 1, "passed": 0, "failed": 1, "error": 0,
                          "operation_results": 3, "operation_pass_rate": 0.6667}]  # fmt: skip
    assert data.gate is not None and data.gate["by_decision"]["fail"] == 1
    assert data.gate["deployments"][0]["version"] == "1.4.2"
    assert [s["source"] for s in data.failing_sources] == ["amazon-sp-api/changelog"]
    assert [p.changes for p in data.week][-1] == 4 and data.week[-1].pass_rate == pytest.approx(2 / 3)


def test_the_nightly_report_is_stored_sent_once_to_slack_and_webhooks_and_served(
    db: Engine, database_url: str, slack: FakeSlack, hook: Receiver
) -> None:
    seed(db)
    settings = settings_for(database_url, slack, hook)
    report = generate_nightly(settings=settings, engine=db, now=NOW)
    assert report.day == date(2026, 11, 28)  # 10:00 in Shanghai
    assert "## Upcoming removals touching our integrations (1)" in report.markdown
    assert "| amazon-sp-api | 2 | 1 | 1 |" in report.markdown
    assert "<script>" not in report.html and "&lt;script&gt;" in report.html  # escaped
    assert "<svg" in report.html and "<polyline" in report.html
    generate_nightly(settings=settings, engine=db, now=NOW + timedelta(minutes=5))  # a re-run the same day
    with session_scope(db) as session:
        assert len(session.exec(select(Report)).all()) == 1
        assert [a.kind for a in session.exec(select(Alert)).all()] == ["report"]  # enqueued once

    with Dispatcher(settings, db) as dispatcher:
        dispatcher.run_once(NOW + timedelta(minutes=6))
    [posted] = slack.posts()
    assert posted["channel"] == slack.id_of("#api-changes") and posted["text"] == "API monitor report 2026-11-28"
    assert posted["blocks"][-1]["elements"][0]["text"] == "<https://monitor.example.com/reports/2026-11-28|Full report>"
    [body] = hook.bodies
    assert body["alerts"][0]["kind"] == "report" and "Upcoming removals" in body["alerts"][0]["text"]
    assert hook.headers[0]["Authorization"] == "Bearer hook-secret-1"
    assert hook.headers[0]["Idempotency-Key"] == body["delivery_keys"][0]

    server = ApiServer(create_app(settings, db), host="127.0.0.1", port=0).start()  # the real app, on loopback
    try:
        reader = {"Authorization": f"Bearer {READ_TOKEN}"}
        with httpx.Client(base_url=server.url, timeout=10, headers=reader) as client:
            latest = client.get("/reports/latest")
            assert latest.status_code == 200 and "API monitor report 2026-11-28" in latest.text
            assert latest.headers["content-type"].startswith("text/html")
            markdown = client.get("/reports/2026-11-28?format=markdown").text  # the re-run replaced the first
            assert markdown.startswith("# API monitor report 2026-11-28") and "to 2026-11-28T02:05:00" in markdown
            assert len(client.get("/reports/2026-11-28?format=slack").json()["blocks"]) >= 3
            assert client.get("/reports/2026-11-27").status_code == 404
            assert client.get("/reports/yesterday").status_code == 422
    finally:
        server.stop()


def test_slack_blocks_stay_within_limits_however_big_the_day(db: Engine, database_url: str) -> None:
    with session_scope(db) as session:
        queries.ensure_source(session=session, source_id="ebay/feed", platform="ebay", name="feed", kind="feed",
                              url="http://x")  # fmt: skip
        session.flush()
        for i in range(300):
            session.add(FeedEntry(source_id="ebay/feed", entry_key=f"e{i}", title="x" * 900 + f" {i}", content_hash=f"h{i}",
                                  first_seen_at=NOW - timedelta(hours=1)))  # fmt: skip
        for i in range(200):
            session.add(Source(id=f"p{i}/s", platform=f"p{i}", name="s", kind="spec", url="http://x",
                               consecutive_failures=1))  # fmt: skip
    settings = settings_for(database_url)
    with session_scope(db) as session:
        data = assemble(session=session, settings=settings, until=NOW, since=NOW - timedelta(hours=24), day=NOW.date())
    blocks = to_slack(data, link="https://m/reports/2026-11-28")
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert any("and 290 more in the full report" in b["text"]["text"] for b in blocks if b["type"] == "section")


def test_the_scheduled_job_makes_one_report_per_day(db: Engine, database_url: str) -> None:
    settings = settings_for(database_url)
    run_nightly(settings, db, NOW)
    run_nightly(settings, db, NOW + timedelta(minutes=1))  # a second process, or a restart: the slot is taken
    with session_scope(db) as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "nightly-report")).all()
        assert [(r.slot, r.status) for r in runs] == [("2026-11-28", "ok")]
        assert len(session.exec(select(Report)).all()) == 1


def test_monitor_report_prints_each_format_and_rejects_a_bad_span(
    db: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    config = tmp_path / "monitor.yaml"
    config.write_text(f"database_url: {database_url}\n")
    for fmt, expected in [("markdown", "# API monitor report"), ("html", "<!doctype html>"), ("slack", '"blocks"')]:
        with pytest.raises(SystemExit) as exit_info:
            main(["report", "--since", "7d", "--format", fmt, "--config", str(config)])
        assert exit_info.value.code == 0
        assert expected in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--since", "yesterday", "--config", str(config)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
