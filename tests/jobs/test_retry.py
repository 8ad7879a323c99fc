"""A failed poll is tried again after 1, 2, 4 ... minutes (with jitter, capped at its interval), and health says when."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import Settings
from monitor.gate.tokens import new_token, token_hash
from monitor.jobs.retry import retry_delay
from monitor.jobs.scheduler import build_scheduler
from monitor.sources.fetcher import Fetcher
from monitor.store.models import Source, utcnow
from monitor.store.session import session_scope
from tests.jobs.spec_host import V1, SpecHost, config_data, orders_version

JOB = "poll-specs:amazon-sp-api/orders"


def test_the_delay_doubles_from_a_minute_with_jitter_and_never_exceeds_the_interval() -> None:
    rng = random.Random(7)
    every = timedelta(minutes=10)
    for failures, base in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (30, 600)]:
        delays = [retry_delay(failures, every, rng=rng).total_seconds() for _ in range(50)]
        assert all(0.8 * base <= d <= base for d in delays), (failures, min(delays), max(delays))
        assert max(delays) - min(delays) > 0.05 * base  # jittered: sources failing together spread out
    assert retry_delay(3, timedelta(minutes=3), rng=rng) <= timedelta(minutes=3)


def next_retry_at(engine: Engine) -> object:
    with session_scope(engine) as session:
        source = session.get(Source, "amazon-sp-api/orders")
        assert source is not None
        return source.next_retry_at


def test_a_failed_poll_is_retried_in_a_minute_not_at_the_next_slot_and_health_shows_when(
    db: Engine, database_url: str, host: SpecHost, fetcher: Fetcher, tmp_path: Path
) -> None:
    token = new_token()
    data = config_data(tmp_path, database_url, {"orders": host.url("/o.json")}, every="6h")
    data["api"] = {"port": 0, "tokens": [{"name": "r", "scopes": ["read"], "sha256": token_hash(token)}]}
    settings = Settings.model_validate(data)
    host.fail("/o.json")
    scheduler = build_scheduler(settings, db, fetcher)
    scheduler.start(paused=True)  # jobs get their times; nothing runs by itself
    api = ApiServer(create_app(settings, db), host="127.0.0.1", port=0).start()
    try:
        started = utcnow()
        scheduler.get_job(JOB).func()  # the regular run fails (404)
        retry = scheduler.get_job(f"retry:{JOB}")
        assert retry is not None, "a failed poll waits for its next slot, six hours away"
        wait = retry.next_run_time - started
        assert timedelta(seconds=47) <= wait <= timedelta(seconds=61)
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as client:
            (source,) = client.get("/api/v1/status").json()["sources"]
        assert source["consecutive_failures"] == 1 and not source["healthy"]
        assert source["next_retry_at"] is not None
        page = httpx.get(f"{api.url}/", headers={"Authorization": f"Bearer {token}"}).text
        assert 'class="muted retry"' in page  # the dashboard shows it too
        assert abs(datetime.fromisoformat(source["next_retry_at"]) - retry.next_run_time) < timedelta(seconds=1)

        retry.func()  # the first retry fails too: the next waits about two minutes
        second = scheduler.get_job(f"retry:{JOB}")
        assert second is not None and timedelta(seconds=95) <= second.next_run_time - utcnow() <= timedelta(seconds=121)

        host.serve("/o.json", orders_version(V1))
        second.func()  # back: the retry is gone and health shows none
        assert scheduler.get_job(f"retry:{JOB}") is None
        assert next_retry_at(db) is None
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as client:
            (source,) = client.get("/api/v1/status").json()["sources"]
        assert source["healthy"] and source["next_retry_at"] is None
        assert scheduler.get_job(JOB) is not None  # the regular schedule never stopped
    finally:
        api.stop()
        scheduler.shutdown(wait=False)
