"""Every fault between us and Slack, on SQLite and PostgreSQL: each delivery key in exactly one Slack message.

Routes name channels (`#alerts`); the fake Slack, like Slack, takes names only in chat.postMessage, so every
"was it already sent?" lookup must use the channel's id. Follow-ups must land in the first message's thread.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.alerts.dispatcher import Dispatcher
from monitor.store.models import Alert, AlertDelivery, utcnow
from monitor.store.session import session_scope
from tests.alerts.conftest import add_alert, make_settings
from tests.alerts.fake_slack import FakeSlack


def deliveries(engine: Engine) -> list[AlertDelivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all())


def wait_for(condition: Callable[[], bool], timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the fake Slack did not get there in time"
        time.sleep(0.02)


def assert_once_each_and_threaded(engine: Engine, slack: FakeSlack) -> None:
    """Each delivery key in exactly one message; a follow-up in the thread of its fingerprint's first message."""
    keys = slack.keys()
    rows = deliveries(engine)
    assert sorted(keys) == sorted(r.delivery_key for r in rows), "a key missing or posted twice"
    assert {r.status for r in rows} == {"sent"}
    by_key = {k: m for m in slack.posts() for k in m["metadata"]["event_payload"]["delivery_keys"]}
    with session_scope(engine) as session:
        alerts = {a.id: a for a in session.exec(select(Alert)).all()}
    first: dict[str, dict[str, Any]] = {}
    for row in rows:  # in id order: the first delivery of a fingerprint opened its thread
        message = by_key[row.delivery_key]
        assert row.ts == message["ts"] and row.channel == message["channel"]  # the id, as Slack answers
        if row.fingerprint not in first:
            first[row.fingerprint] = message
            assert message["thread_ts"] is None
        else:
            parent = first[row.fingerprint]
            assert message["thread_ts"] == parent["ts"] and message["channel"] == parent["channel"]
            assert alerts[row.alert_id].state == "resolved"


def deliver_all(dispatcher: Dispatcher, now: datetime, slack: FakeSlack, rounds: int = 8) -> datetime:
    """Dispatch until nothing is left, each round past any backoff; returns the simulated time reached."""
    for _ in range(rounds):
        dispatcher.run_once(now)
        now += timedelta(minutes=11)  # past alerts.max_backoff and any lease
        if {r.status for r in deliveries(dispatcher.engine)} <= {"sent"}:
            break
    return now


FAULTS: dict[str, list[str]] = {
    "connection dropped before the request": ["drop-before"],
    "connection dropped after Slack accepted the post": ["drop-after"],
    "connection dropped during the response": ["drop-during"],
    "read timeout": ["hang:1.6"],  # our timeout is 1 s; the fake takes the message after 1.6 s
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_connection_fault_on_the_post_never_posts_twice(
    db: Engine, database_url: str, slack: FakeSlack, fault: str
) -> None:
    settings = make_settings(slack, database_url, group_by=["source"])
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    add_alert(db, 0, now=now)
    add_alert(db, 1, now=now)
    slack.script = list(FAULTS[fault])  # the first chat.postMessage meets the fault
    stats = dispatcher.run_once(now)
    assert stats.failed == 1 and slack.calls.count("chat.postMessage") == 1  # never re-sent inside the call
    if fault != "connection dropped before the request":
        wait_for(lambda: len(slack.posts()) == 1)  # Slack did take it (the timeout's message arrives late)
    assert deliveries(db)[0].status == "sending"  # no answer: look before posting again
    now = deliver_all(dispatcher, now + timedelta(seconds=1), slack)
    assert "conversations.list" in slack.calls  # the name was resolved to an id for the lookup
    # A follow-up (the first alert resolved) meets the same fault and still lands once, in the thread.
    add_alert(db, 0, now=utcnow(), state="resolved")
    slack.script = list(FAULTS[fault])
    assert dispatcher.run_once(now).failed == 1
    if fault != "connection dropped before the request":
        wait_for(lambda: len(slack.posts()) == 3)
    deliver_all(dispatcher, now + timedelta(seconds=1), slack)
    assert_once_each_and_threaded(db, slack)
    assert "conversations.replies" in slack.calls
    dispatcher.close()


def test_503_for_a_while_then_every_alert_once_in_its_thread(db: Engine, database_url: str, slack: FakeSlack) -> None:
    settings = make_settings(slack, database_url, group_by=["source"])
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    add_alert(db, 0, now=now)
    dispatcher.run_once(now)
    slack.down, slack.down_status = True, 503
    add_alert(db, 0, now=utcnow(), state="resolved")
    add_alert(db, 1, now=utcnow())
    for _ in range(4):
        now += timedelta(minutes=11)
        stats = dispatcher.run_once(now)
        assert stats.sent == 0 and "HTTP 503" in stats.errors[0]
    assert [r.status for r in deliveries(db)] == ["sent", "pending", "pending"]  # a 503 is a refusal: not sent
    slack.down = False
    deliver_all(dispatcher, now + timedelta(minutes=11), slack)
    assert_once_each_and_threaded(db, slack)
    dispatcher.close()


def test_429_with_retry_after_is_honoured_then_posted_once(db: Engine, database_url: str, slack: FakeSlack) -> None:
    settings = make_settings(slack, database_url)
    dispatcher = Dispatcher(settings, db)
    now = utcnow()
    add_alert(db, 0, now=now)
    slack.script = ["429:0", "429:40"]  # slack-sdk waits the first Retry-After; the second comes back to us
    stats = dispatcher.run_once(now)
    assert stats.failed == 1 and "rate limited" in stats.errors[0]
    row = deliveries(db)[0]
    assert row.status == "pending" and row.next_attempt_at.replace(tzinfo=now.tzinfo) - now >= timedelta(seconds=40)
    assert dispatcher.run_once(now + timedelta(seconds=30)).sent == 0  # not before Retry-After
    assert dispatcher.run_once(now + timedelta(seconds=41)).sent == 1
    assert slack.calls.count("chat.postMessage") == 3 and len(slack.posts()) == 1
    dispatcher.close()


# -- killed between post and mark -----------------------------------------------------------------------------------

KILLS = 20


def _dispatch_in_child(database_url: str, base_url: str, now: datetime) -> None:
    """A dispatcher process, as the service runs it (killed by the test at some point while it posts)."""
    from monitor.config import Settings
    from monitor.store.session import make_engine

    settings = Settings.model_validate({"database_url": database_url, "alerts": {
        "group_wait": "0s", "group_interval": "0s", "group_by": ["source"],
        "slack": {"token": "xoxb-test-token-123", "base_url": base_url, "default_channel": "#alerts",
                  "timeout": "1s"}}})  # fmt: skip
    with Dispatcher(settings, make_engine(database_url)) as dispatcher:
        dispatcher.run_once(now)


def test_sigkill_at_random_points_between_post_and_mark_never_loses_or_doubles_an_alert(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    # Children fork from a small server process that imported the dispatcher once: a kill costs milliseconds.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["monitor.alerts.dispatcher", "monitor.config", "monitor.store.session"])
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    armed, started, victim = threading.Event(), threading.Event(), {"pid": 0}

    def kill(pid: int) -> None:
        if pid <= 0:  # never a process group or "every process"
            return
        with suppress(ProcessLookupError):  # it finished first: that run is a clean one
            os.kill(pid, signal.SIGKILL)

    def on_post(_message: dict[str, Any]) -> None:
        if not armed.is_set():
            return
        armed.clear()  # one kill per child, at its first post or a moment later
        started.wait(5)
        pid = victim["pid"]
        if rng.random() < 0.5:  # before the answer leaves: posted, and the poster never knows
            kill(pid)
        else:  # while it reads the answer, marks, or posts the next message
            threading.Timer(rng.uniform(0, 0.08), kill, (pid,)).start()

    slack.on_post = on_post
    base = utcnow()
    uncertain = 0
    for i in range(KILLS):
        add_alert(db, 2 * i, now=utcnow())
        add_alert(db, 2 * i + 1, now=utcnow())
        if i:
            add_alert(db, 2 * i - 2, now=utcnow(), state="resolved")  # a follow-up for last round's alert
        posted = len(slack.posts())
        child = ctx.Process(target=_dispatch_in_child, args=(database_url, slack.base_url, base + timedelta(hours=i)))
        started.clear()
        armed.set()
        child.start()
        victim["pid"] = child.pid or 0
        started.set()
        child.join(30)
        assert child.exitcode is not None, "the child hung"
        keys = set(slack.keys())
        uncertain += sum(1 for r in deliveries(db) if r.status == "sending" and r.delivery_key in keys)
        assert len(slack.posts()) >= posted
    slack.on_post = None
    with Dispatcher(make_settings(slack, database_url, group_by=["source"]), db) as dispatcher:
        deliver_all(dispatcher, base + timedelta(hours=KILLS), slack)
    assert uncertain >= 3, f"too few kills landed between post and mark (seed {seed})"
    assert_once_each_and_threaded(db, slack)


def test_the_claim_is_renewed_while_a_slow_post_runs_and_lapses_seconds_after_a_crash(
    db: Engine, database_url: str, slack: FakeSlack
) -> None:
    settings = make_settings(slack, database_url, slack={"token": "xoxb-test-token-123", "base_url": slack.base_url,
                                                         "default_channel": "#alerts", "timeout": "5s"})  # fmt: skip
    add_alert(db, 0, now=utcnow())
    lease = timedelta(seconds=1)  # renewed every third of it: a loaded machine may be late by most of that
    slow = Dispatcher(settings, db, lease=lease)
    slack.script = ["hang:2.2"]  # a post that outlasts the lease twice over
    worker = threading.Thread(target=slow.run_once)
    worker.start()
    wait_for(lambda: [r.status for r in deliveries(db)] == ["sending"])
    time.sleep(1.4)  # past the first lease: only renewals keep the claim
    other = Dispatcher(settings, db, lease=lease)
    assert other.run_once().sent == 0 and "conversations.history" not in slack.calls  # still held
    worker.join(10)
    assert [r.status for r in deliveries(db)] == ["sent"] and len(slack.posts()) == 1
    # A process that dies holding a claim stops renewing: the next dispatcher takes over within the lease.
    add_alert(db, 1, now=utcnow())

    def die(_batch: list[AlertDelivery]) -> None:
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        Dispatcher(settings, db, lease=lease, after_post=die).run_once()
    assert other.run_once().sent == 0  # the dead claim holds for the lease...
    time.sleep(lease.total_seconds() + 0.1)
    stats = other.run_once()  # ...and no longer: found in the history, marked, not posted again
    assert stats.recovered == 1 and len(slack.posts()) == 2
    other.close()
    slow.close()
