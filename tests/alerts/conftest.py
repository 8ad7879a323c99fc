"""Fixtures for alert tests: a fake Slack, settings pointing at it, and a way to put alerts in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from monitor.alerts.outbox import enqueue, fingerprint_of
from monitor.config import Settings
from monitor.store.models import Alert
from monitor.store.session import session_scope
from tests.alerts.fake_slack import TOKEN, FakeSlack, fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


def make_settings(fake: FakeSlack | None, database_url: str = "sqlite://", **alerts: Any) -> Settings:
    config: dict[str, Any] = {"group_wait": "0s", "group_interval": "0s", **alerts}
    if fake is not None:
        config.setdefault("slack", {"token": TOKEN, "base_url": fake.base_url, "default_channel": "#alerts",
                                    "timeout": "1s"})  # fmt: skip
    return Settings.model_validate({"database_url": database_url, "alerts": config})


def add_alert(engine: Engine, n: int, *, now: datetime, kind: str = "drift", state: str = "firing",
              what: str | None = None, labels: dict[str, str] | None = None, key: str | None = None) -> int:  # fmt: skip
    """Enqueue alert number `n` (its own fingerprint and group unless told otherwise); returns its id."""
    with session_scope(engine) as session:
        alert = enqueue(session=session, kind=kind, fingerprint=fingerprint_of(kind, what or f"thing-{n}"),
                        dedupe_key=key or f"test:{n}:{state}", title=f"alert {n}", state=state, text=f"text {n}",
                        labels={"platform": "amazon-sp-api", "source": f"amazon-sp-api/s{n}", "level": "breaking",
                                **(labels or {})}, now=now)  # fmt: skip
        assert alert is not None
        return alert.id or 0


def alert_row(engine: Engine, alert_id: int) -> Alert:
    with session_scope(engine) as session:
        row = session.get(Alert, alert_id)
        assert row is not None
        return row
