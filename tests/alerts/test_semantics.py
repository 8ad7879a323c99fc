"""Alertmanager semantics: grouping, group interval, repeat interval, threads, silences, inhibition, flapping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.hooks import alert_acknowledged, alert_changes, enqueue_contract_run
from monitor.store import queries
from monitor.store.models import Alert, Change, SilenceRule, utcnow
from monitor.store.session import session_scope
from tests.alerts.conftest import add_alert, alert_row, make_settings
from tests.alerts.fake_slack import FakeSlack


def alerts(engine: Engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).all())


def test_grouping_waits_then_batches_and_follow_ups_go_in_the_thread(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    settings = make_settings(slack, database_url, group_wait="30s", group_interval="5m", repeat_interval="4h",
                             dashboard_url="https://monitor.example.com")  # fmt: skip
    dispatcher = Dispatcher(settings, db)
    t0 = utcnow()
    add_alert(db, 1, now=t0)
    add_alert(db, 2, now=t0)
    assert dispatcher.run_once(t0 + timedelta(seconds=10)).messages == 0  # group wait gathers more
    assert dispatcher.run_once(t0 + timedelta(seconds=31)).messages == 1
    [first] = slack.posts()
    assert first["text"].startswith("2 contract drift: amazon-sp-api")
    assert [b["type"] for b in first["blocks"]] == ["header", "section", "section", "context"]
    assert "https://monitor.example.com" in first["blocks"][-1]["elements"][0]["text"]

    add_alert(db, 3, now=t0 + timedelta(seconds=40))  # same group: waits for the group interval
    assert dispatcher.run_once(t0 + timedelta(minutes=2)).messages == 0
    assert dispatcher.run_once(t0 + timedelta(minutes=5, seconds=31)).messages == 1
    assert slack.posts()[1]["text"] == "alert 3"

    t1 = t0 + timedelta(minutes=10)  # alert 1 resolves: a reply in the thread, the parent stays (2 still fires)
    add_alert(db, 1, now=t1, state="resolved")
    dispatcher.run_once(t1)
    reply = slack.posts()[2]
    assert reply["thread_ts"] == first["ts"] and reply["text"] == "Resolved: alert 1"
    assert slack.updates == []
    add_alert(db, 2, now=t1, state="resolved")  # the last one: the parent is rewritten as resolved
    dispatcher.run_once(t1 + timedelta(seconds=1))
    assert slack.posts()[3]["thread_ts"] == first["ts"]
    assert slack.updates == [{"channel": slack.id_of("#alerts"), "ts": first["ts"], "text": f"Resolved: {first['text'][:4000]}"
                              .split("\n")[0]}]  # fmt: skip

    # alert 3 fires again: within the repeat interval it is suppressed, after it a "still firing" reply
    add_alert(db, 3, now=t1, key="again-1")
    dispatcher.run_once(t1 + timedelta(seconds=2))
    assert alerts(db)[-1].status == "suppressed" and len(slack.posts()) == 4
    later = t0 + timedelta(hours=5)
    add_alert(db, 3, now=later, key="again-2")
    dispatcher.run_once(later)
    assert slack.posts()[4]["thread_ts"] == slack.posts()[1]["ts"]
    assert slack.posts()[4]["text"] == "Still firing: alert 3"


def test_silences_from_config_and_database_mute_matching_alerts_until_they_end(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    now = utcnow()
    settings = make_settings(slack, database_url, silences=[
        {"match": {"source": "amazon-sp-api/s1"}, "ends_at": (now + timedelta(hours=1)).isoformat(),
         "reason": "known: migration in progress"}])  # fmt: skip
    with session_scope(db) as session:
        session.add(
            SilenceRule(
                match={"source": "amazon-sp-api/s2"}, starts_at=now, ends_at=now + timedelta(hours=1), reason="db"
            )
        )
        session.add(
            SilenceRule(
                match={"source": "amazon-sp-api/s3"}, starts_at=now, ends_at=now - timedelta(minutes=1), reason="old"
            )
        )
    ids = [add_alert(db, n, now=now) for n in (1, 2, 3)]
    Dispatcher(settings, db).run_once(now)
    assert [alert_row(db, i).status for i in ids] == ["silenced", "silenced", "routed"]
    assert "known: migration in progress" in (alert_row(db, ids[0]).note or "")
    assert [p["text"] for p in slack.posts()] == ["alert 3"]
    after = now + timedelta(hours=2)  # the silence has ended: the same source alerts again
    later = add_alert(db, 1, now=after, key="after-silence")
    Dispatcher(settings, db).run_once(after)
    assert alert_row(db, later).status == "routed"
    assert alert_row(db, ids[0]).status == "suppressed"  # the later alert of the same thing speaks for it
    assert alert_row(db, ids[1]).status == "routed"  # still firing when its silence ended: told now, with the new one
    last = slack.posts()[-1]["text"]
    assert "alert 1" in last and "alert 2" in last and len(slack.posts()) == 2


def _run(db: Engine, status: str, results: list[dict[str, Any]], now: Any, error: str | None = None) -> None:
    with session_scope(db) as session:
        run = queries.start_contract_run(session=session, suite="amazon-sp-api", source_id="amazon-sp-api/orders-v0",
                                         base_url="http://127.0.0.1:1", phases=["examples"], seed=0, now=now)  # fmt: skip
        rows = [{"operation": r["operation"], "status": r["status"], "checks_failed": r.get("checks_failed", {})}
                for r in results]  # fmt: skip
        queries.finish_contract_run(session=session, run=run, status=status, counts={}, error=error, results=rows,
                                    now=now)  # fmt: skip
        enqueue_contract_run(session=session, run=run, results=rows)


def test_a_sandbox_that_is_down_inhibits_its_operation_failures(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    settings = make_settings(slack, database_url)
    dispatcher = Dispatcher(settings, db)
    t = utcnow()
    _run(db, "failed", [{"operation": "GET /orders", "status": "failed", "checks_failed": {"status_code": 1}},
                        {"operation": "GET /items", "status": "passed"}], t)  # fmt: skip
    dispatcher.run_once(t)
    assert [p["text"] for p in slack.posts()] == ["GET /orders fails its contract in the amazon-sp-api sandbox"]
    t += timedelta(hours=1)
    _run(db, "error", [{"operation": "GET /orders", "status": "error"}, {"operation": "GET /items", "status": "error"}],
         t, error="connection refused")  # fmt: skip
    dispatcher.run_once(t)
    sandbox, *ops = alerts(db)[-3:]
    assert sandbox.kind == "sandbox" and sandbox.status == "routed"
    assert [(a.labels["operation"], a.status) for a in ops] == [
        ("GET /orders", "inhibited"),
        ("GET /items", "inhibited"),
    ]
    assert slack.posts()[-1]["text"].startswith("Sandbox amazon-sp-api cannot be tested: connection refused")
    t += timedelta(hours=1)
    _run(db, "passed", [{"operation": "GET /orders", "status": "passed"}, {"operation": "GET /items", "status": "passed"}],
         t)  # fmt: skip
    dispatcher.run_once(t)
    texts = [p["text"] for p in slack.posts()[-2:]]
    assert texts == ["Resolved: Sandbox amazon-sp-api answers again",
                     "Resolved: GET /orders passes again in the amazon-sp-api sandbox"]  # fmt: skip
    assert len(slack.posts()) == 4 and len(slack.updates) == 2  # both parents marked resolved


def _drift(db: Engine, present: bool, now: Any, snapshots: tuple[int, int]) -> None:
    change = {"id": "response-property-removed", "level": "breaking", "location": "#/definitions/Order/status",
              "message": "the property `status` was removed", "args": {"property": "status"},
              "operations": ["GET /orders/v0/orders"]}  # fmt: skip
    with session_scope(db) as session:
        queries.record_drift(session=session, source_id="amazon-sp-api/orders-v0", changes=[change] if present else [],
                             contract_id=snapshots[0], current_id=snapshots[1], now=now, confirm_after=1)  # fmt: skip
        alert_changes(session=session, source_id="amazon-sp-api/orders-v0", now=now)


def test_a_flapping_drift_alerts_once_then_not_on_every_flip(db: Engine, database_url: str, slack: FakeSlack) -> None:
    settings = make_settings(slack, database_url)
    now = utcnow()
    with session_scope(db) as session:
        queries.ensure_source(session=session, source_id="amazon-sp-api/orders-v0", platform="amazon-sp-api",
                              name="orders-v0", kind="spec", url="http://x")  # fmt: skip
        ids = tuple(queries.add_snapshot(session=session, source_id="amazon-sp-api/orders-v0", digest=d, body=b"{}",
                                         fmt="swagger-2.0", title="t", version="v", now=now).id or 0 for d in "ab")  # fmt: skip
    dispatcher = Dispatcher(settings, db)
    for i, present in enumerate([True, False, True, False, True, False, True]):
        _drift(db, present, now + timedelta(hours=i), ids)  # type: ignore[arg-type]
        dispatcher.run_once(now + timedelta(hours=i))
    assert [(a.kind, a.state) for a in alerts(db)] == [("drift", "firing"), ("drift", "resolved"), ("drift", "info")]
    posts = slack.posts()
    assert len(posts) == 3
    assert posts[0]["text"] == "Drift from the contract: the property `status` was removed"
    assert posts[1]["thread_ts"] == posts[2]["thread_ts"] == posts[0]["ts"]
    assert posts[2]["text"].startswith("Flapping drift (2 appearances, further flips not alerted)")
    with session_scope(db) as session:  # acknowledged (a gate waiver): a note in the same thread
        change = session.exec(select(Change)).one()
        alert_acknowledged(session=session, change=change, author="ana", reason="adapted in PR 42",
                           expires_at=now + timedelta(days=7), now=now + timedelta(hours=8))  # fmt: skip
    dispatcher.run_once(now + timedelta(hours=8))
    assert slack.posts()[3]["thread_ts"] == posts[0]["ts"]
    assert slack.posts()[3]["text"].startswith("Acknowledged by ana until ")


def test_an_alert_still_firing_when_its_silence_ends_is_sent_then_once(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    now = utcnow()
    with session_scope(db) as session:
        session.add(SilenceRule(match={"source": "amazon-sp-api/s1"}, starts_at=now, ends_at=now + timedelta(hours=1),
                                reason="maintenance window"))  # fmt: skip
    held = add_alert(db, 1, now=now)
    dispatcher = Dispatcher(make_settings(slack, database_url), db)
    dispatcher.run_once(now)
    dispatcher.run_once(now + timedelta(minutes=30))
    assert alert_row(db, held).status == "silenced" and slack.posts() == []
    dispatcher.run_once(now + timedelta(hours=1, minutes=1))  # the silence is over and nothing resolved it
    dispatcher.run_once(now + timedelta(hours=1, minutes=2))
    assert [p["text"] for p in slack.posts()] == ["alert 1"]
    assert alert_row(db, held).status == "routed"
