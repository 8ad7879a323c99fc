"""`monitor run` end to end: a spec change found by the scheduled poll reaches the fake Slack through the outbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.jobs.scheduler import Heartbeat, start_service
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.sources.specs import poll_spec
from monitor.store.models import utcnow
from tests.alerts.fake_slack import TOKEN, FakeSlack
from tests.alerts.test_hooks import spec
from tests.e2e.servers import running_host


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_service_polls_and_delivers_the_alerts(db: Engine, database_url: str, slack: FakeSlack,
                                                   tmp_path: Path) -> None:  # fmt: skip
    with running_host() as host:
        url = host.serve("/orders.json", spec(["/orders", "/items"]))
        settings = Settings.model_validate({
            "database_url": database_url, "allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "contracts"),
            "platforms": {"amazon-sp-api": {"specs": {"orders-v0": {"url": url, "every": "6h"}}}},
            "integrations": {"order-sync": {"uses": {"amazon-sp-api/orders-v0": ["GET /orders", "GET /items"]}}},
            "alerts": {"slack": {"token": TOKEN, "base_url": slack.base_url, "default_channel": "#api"},
                       "group_wait": "0s", "dispatch_every": "1s"},
        })  # fmt: skip
        ((platform, name, source),) = settings.spec_sources()
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0)) as fetcher:  # the version we built against
            poll_spec(settings=settings, engine=db, fetcher=fetcher, platform=platform, name=name, source=source,
                      now=utcnow())  # fmt: skip
        host.serve("/orders.json", spec(["/orders"]))  # upstream removes GET /items
        stop, beat = threading.Event(), Heartbeat()
        service = threading.Thread(target=start_service, args=(settings,),
                                   kwargs={"stop": stop, "beat": beat})  # fmt: skip
        service.start()
        try:
            assert wait_for(lambda: len(slack.posts()) >= 2), slack.calls
        finally:
            stop.set()
            service.join(20)
        assert not service.is_alive()
    texts = sorted(p["text"] for p in slack.posts())
    assert texts[0].startswith("Drift from the contract:") and "GET /items" in str(slack.posts())
    assert len(slack.keys()) == len(set(slack.keys()))
