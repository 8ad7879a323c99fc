"""Delivery through the outbox to a fake Slack: outages, rate limits, timeouts, crashes; once each, in order."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.outbox import enqueue
from monitor.store.models import Alert, AlertDelivery, utcnow
from monitor.store.session import session_scope
from tests.alerts.conftest import add_alert, make_settings
from tests.alerts.fake_slack import FakeSlack


def deliveries(engine: Engine) -> list[AlertDelivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all())


def test_an_alert_exists_only_if_its_transaction_commits(db: Engine) -> None:
    now = utcnow()
    with pytest.raises(RuntimeError), session_scope(db) as session:
        enqueue(session=session, kind="drift", fingerprint="f", dedupe_key="k", title="t", now=now)
        raise RuntimeError("the poll failed after enqueueing")
    with session_scope(db) as session:
        assert session.exec(select(Alert)).all() == []
        assert enqueue(session=session, kind="drift", fingerprint="f", dedupe_key="k", title="t", now=now)
    with session_scope(db) as session:  # the same event again (a retried poll): stored once
        assert enqueue(session=session, kind="drift", fingerprint="f", dedupe_key="k", title="t", now=now) is None


def test_an_outage_of_many_cycles_then_recovery_delivers_every_alert_once_in_order(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    settings = make_settings(slack, database_url, group_by=["source"])
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    slack.down = True
    ids = []
    for cycle in range(12):  # alerts keep arriving while Slack answers 500
        ids += [add_alert(db, 3 * cycle + i, now=now) for i in range(3)]
        stats = dispatcher.run_once(now)
        assert stats.sent == 0 and stats.failed >= 1
        now += timedelta(minutes=11)  # past the longest backoff
    rows = deliveries(db)
    assert {r.status for r in rows} == {"pending"} and rows[0].attempts == 12
    assert "HTTP 500" in (rows[0].last_error or "")
    slack.down = False
    for _ in range(3):
        dispatcher.run_once(now)
        now += timedelta(minutes=11)
    posted_titles = [p["text"] for p in slack.posts()]
    assert posted_titles == [f"alert {n}" for n in range(36)]  # every one, once, in order
    assert len(slack.keys()) == len(set(slack.keys())) == 36
    assert {r.status for r in deliveries(db)} == {"sent"}
    assert all(r.ts and r.channel == slack.id_of("#alerts") for r in deliveries(db))
    dispatcher.close()


def test_a_crash_between_posting_and_marking_does_not_post_twice(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    settings = make_settings(slack, database_url, group_by=["source"])
    now = utcnow()
    for n in range(3):
        add_alert(db, n, now=now)

    def die(_batch: list[AlertDelivery]) -> None:
        raise SystemExit("killed between chat.postMessage and the mark")

    with pytest.raises(SystemExit):
        Dispatcher(settings, db, after_post=die).run_once(now)
    assert len(slack.posts()) == 1
    assert [r.status for r in deliveries(db)] == ["sending", "pending", "pending"]
    restarted = Dispatcher(settings, db)
    stats = restarted.run_once(now + timedelta(seconds=10))  # the dead claim still holds: nothing happens
    assert stats.sent == 0 and len(slack.posts()) == 1
    slack.script = ["500"]  # claim expired (seconds, not minutes), but the history cannot be read yet: no post
    stats = restarted.run_once(now + timedelta(seconds=20))
    assert stats.failed == 1 and len(slack.posts()) == 1 and deliveries(db)[0].status == "sending"
    stats = restarted.run_once(now + timedelta(minutes=4))  # found in the history: marked, not re-posted
    assert stats.recovered == 1 and stats.sent == 3
    assert [p["text"] for p in slack.posts()] == ["alert 0", "alert 1", "alert 2"]
    assert "conversations.history" in slack.calls
    first = deliveries(db)[0]
    assert first.status == "sent" and first.ts == slack.posts()[0]["ts"]


def test_a_timeout_is_retried_without_a_double_post(db: Engine, database_url: str, slack: FakeSlack) -> None:
    settings = make_settings(slack, database_url)
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    add_alert(db, 0, now=now)
    slack.script = ["hang:2"]  # Slack takes the message but answers after our 1 s timeout
    stats = dispatcher.run_once(now)
    assert stats.failed == 1 and ("TimeoutError" in stats.errors[0] or "timed out" in stats.errors[0])
    assert deliveries(db)[0].status == "sending"  # unknown outcome: look before posting again
    time.sleep(1.2)  # let the fake record the late message
    stats = dispatcher.run_once(now + timedelta(minutes=1))
    assert stats.recovered == 1
    assert len(slack.posts()) == 1 and deliveries(db)[0].status == "sent"


def test_429_waits_for_retry_after_and_500_backs_off(db: Engine, database_url: str, slack: FakeSlack) -> None:
    settings = make_settings(slack, database_url)
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    add_alert(db, 0, now=now)
    slack.script = ["429:1", "429:30"]  # the handler waits 1 s and retries; the second 429 comes back to us
    stats = dispatcher.run_once(now)
    assert stats.failed == 1 and "rate limited" in stats.errors[0]
    row = deliveries(db)[0]
    assert row.next_attempt_at.replace(tzinfo=now.tzinfo) - now >= timedelta(seconds=30)  # Retry-After honoured
    assert dispatcher.run_once(now + timedelta(seconds=10)).sent == 0  # not before
    slack.script = ["500"]
    assert dispatcher.run_once(now + timedelta(seconds=31)).failed == 1
    assert dispatcher.run_once(now + timedelta(seconds=50)).sent == 1
    assert slack.calls.count("chat.postMessage") == 4 and len(slack.posts()) == 1


@pytest.mark.parametrize("problem", ["invalid_auth", "channel_not_found"])
def test_a_config_problem_is_reported_in_one_line_and_the_alert_kept(
    db: Engine, database_url: str, slack: FakeSlack, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    if problem == "invalid_auth":
        settings = make_settings(slack, database_url, slack={"token": "xoxb-wrong-secret", "base_url": slack.base_url,
                                                            "default_channel": "#alerts"})  # fmt: skip
    else:
        slack.channels = {"elsewhere": "C0ELSEWHERE"}
        settings = make_settings(slack, database_url)
    now = utcnow()
    add_alert(db, 0, now=now)
    with caplog.at_level(logging.ERROR, logger="monitor.alerts"):
        stats = Dispatcher(settings, db).run_once(now)
    assert stats.failed == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "monitor.alerts"]
    assert len(lines) == 1 and problem in lines[0] and "\n" not in lines[0]
    assert "xoxb-wrong-secret" not in lines[0]
    row = deliveries(db)[0]
    assert row.status == "pending" and problem in (row.last_error or "")
    assert row.next_attempt_at.replace(tzinfo=now.tzinfo) - now == settings.alerts.max_backoff
    if problem == "channel_not_found":  # fixed by the operator: delivered on the next attempt
        slack.channels["alerts"] = "C0ALERTS01"
        Dispatcher(settings, db).run_once(now + settings.alerts.max_backoff)
        assert len(slack.posts()) == 1 and deliveries(db)[0].status == "sent"
