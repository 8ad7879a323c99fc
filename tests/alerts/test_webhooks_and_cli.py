"""Webhooks beside Slack through the same outbox; the `monitor alerts` commands; the schema matches the models."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.schedule import add_dispatch_job
from monitor.store.models import AlertDelivery, SilenceRule, utcnow
from monitor.store.session import session_scope
from tests.alerts.conftest import add_alert, make_settings
from tests.alerts.fake_slack import FakeSlack, receiver

MINE = {"alert", "alertdelivery", "alertthread", "silencerule", "report"}


def test_a_webhook_gets_the_same_alerts_retries_and_never_leaks_its_url(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    with receiver() as hook:
        secret_url = hook.url + "?sig=webhook-signature-secret"
        settings = make_settings(slack, database_url, webhooks=[
            {"name": "tickets", "url": secret_url, "routes": [{"level": "breaking"}]}])  # fmt: skip
        now = utcnow()
        add_alert(db, 1, now=now)
        add_alert(db, 2, now=now, labels={"level": "info"})  # not routed to the webhook
        hook.status = 503
        with Dispatcher(settings, db) as dispatcher:
            stats = dispatcher.run_once(now)
            assert len(slack.posts()) == 1 and hook.bodies == []
            assert stats.errors == ["webhook tickets: HTTP 503"]
            hook.status = 200
            dispatcher.run_once(now + timedelta(seconds=6))
        [body] = hook.bodies
        assert [a["title"] for a in body["alerts"]] == ["alert 1"]
        assert hook.headers[0]["Idempotency-Key"] == body["delivery_keys"][0]
        with session_scope(db) as session:
            rows = session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all()
        assert sorted(r.destination for r in rows) == ["slack:#alerts", "slack:#alerts", "webhook:tickets"]
        assert all(r.status == "sent" for r in rows)
        hook.status = 401  # a revoked credential: a config problem, kept, retried at the longest backoff
        add_alert(db, 3, now=now)
        with Dispatcher(settings, db) as dispatcher:
            stats = dispatcher.run_once(now + timedelta(minutes=1))
        assert stats.errors == ["webhook tickets: HTTP 401"]
        with session_scope(db) as session:
            errors = [r.last_error or "" for r in session.exec(select(AlertDelivery)).all()]
        assert not any("webhook-signature-secret" in e or str(hook.port) in e for e in errors)


def test_monitor_alerts_silence_list_and_deliver(
    db: Engine, database_url: str, slack: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    config = tmp_path / "monitor.yaml"
    config.write_text(f"database_url: {database_url}\nalerts:\n  group_wait: 0s\n  group_interval: 0s\n  slack:\n    token: ${{SLACK_TOKEN}}\n"
                      f"    base_url: {slack.base_url}\n    default_channel: '#alerts'\n")  # fmt: skip

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--config", str(config)])
        out = capsys.readouterr()
        return int(exit_info.value.code or 0), out.out, out.err

    import os

    os.environ["SLACK_TOKEN"] = "xoxb-test-token-123"
    try:
        code, out, _ = run(
            "alerts", "silence", "--match", "source=amazon-sp-api/s1", "--for", "2h", "--reason", "known"
        )
        assert code == 0 and out.startswith("silence 1 until ")
        code, _, err = run("alerts", "silence", "--match", "nolabel", "--for", "2h", "--reason", "x")
        assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
        add_alert(db, 1, now=utcnow())
        add_alert(db, 2, now=utcnow())
        code, out, _ = run("alerts", "deliver")
        assert code == 0 and "sent 1 in 1 message, silenced 1" in out
        code, out, _ = run("alerts", "list", "--format", "json")
        assert code == 0 and '"status": "silenced"' in out and '"destination": "slack:#alerts"' in out
        slack.down = True
        add_alert(db, 3, now=utcnow())
        code, _, err = run("alerts", "deliver")
        assert code == 3 and "HTTP 500" in err
        assert "xoxb-test-token-123" not in out + err
    finally:
        del os.environ["SLACK_TOKEN"]
    with session_scope(db) as session:
        assert session.exec(select(SilenceRule)).one().reason == "known"


def test_the_dispatcher_is_scheduled_only_with_a_destination(slack: FakeSlack) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from monitor.store.session import make_engine

    engine = make_engine("sqlite://")
    for settings, expected in [(make_settings(None), []), (make_settings(slack), ["deliver-alerts"])]:
        scheduler = BackgroundScheduler()
        add_dispatch_job(scheduler, settings, engine, now=utcnow())
        assert [j.id for j in scheduler.get_jobs()] == expected
    engine.dispose()


def test_the_migration_creates_exactly_the_models_tables(db: Engine) -> None:
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    mine = [d for d in diff if _table_of(d) in MINE]
    assert mine == []


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(name, str) and name in MINE:
            return name
    return None
