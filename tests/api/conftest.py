"""Fixtures for the status API: settings with one token per scope, a seeded store, a TestClient and a live server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import Settings
from monitor.gate.tokens import new_token, token_hash
from monitor.gate.waivers import create_waiver
from monitor.store.models import utcnow
from monitor.store.session import session_scope
from tests.gate import factories as f

TOKENS = {scope: new_token() for scope in ("read", "gate", "admin")}


def api_settings_dict(database_url: str, *, decision_cache: str = "1s") -> dict[str, Any]:
    data = f.settings_dict(sandbox=True)
    data["database_url"] = database_url
    data["api"] = {"host": "127.0.0.1", "port": 0, "decision_cache": decision_cache,
                   "tokens": [{"name": f"{s}-token", "scopes": [s], "sha256": token_hash(t)} for s, t in TOKENS.items()]}  # fmt: skip
    return data


def api_settings(database_url: str) -> Settings:
    return Settings.model_validate(api_settings_dict(database_url))


@dataclass
class Seeded:
    change_id: int
    entry_id: int
    run_id: int
    waiver_id: int


def seed(engine: Engine) -> Seeded:
    snap = f.polled_source(engine)
    change_id = f.drift(engine, snap)
    entry_id = f.announcement(engine, removal=utcnow().date() + timedelta(days=60))
    run_id = f.contract_run(engine, {"GET /orders": "passed"})
    with session_scope(engine) as session:
        waiver = create_waiver(session=session, kind="announcement", target=str(entry_id), reason="known",
                               author="ana", expires_at=utcnow() + timedelta(days=3))  # fmt: skip
        assert waiver.id is not None
        return Seeded(change_id, entry_id, run_id, waiver.id)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return api_settings(database_url)


@pytest.fixture
def seeded(db: Engine) -> Seeded:
    return seed(db)


@contextmanager
def serving(settings: Settings, engine: Engine) -> Iterator[ApiServer]:
    """The API served by uvicorn on 127.0.0.1 (a free port) in a thread, as `monitor run` serves it."""
    server = ApiServer(create_app(settings, engine), host="127.0.0.1", port=0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(settings: Settings, db: Engine) -> Iterator[ApiServer]:
    with serving(settings, db) as server:
        yield server


@pytest.fixture
def client(live: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as c:
        yield c


def bearer(scope: str | None) -> dict[str, str]:
    if scope is None:
        return {}
    return {"Authorization": f"Bearer {TOKENS.get(scope, 'mon_not-a-valid-token')}"}
