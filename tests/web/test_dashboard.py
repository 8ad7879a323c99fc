"""The dashboard page through the real app on SQLite and PostgreSQL: sections, decisions, escaping, access."""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.api.app import create_app
from monitor.gate.tokens import token_hash
from monitor.store.models import Contract, SpecSnapshot
from monitor.store.session import session_scope
from monitor.web.dashboard import ago, countdown, render_dashboard
from monitor.web.view import Dashboard, pass_rates
from tests.web import seed

READ_TOKEN = "mon_test-read-token"
GATE_TOKEN = "mon_test-gate-token"


Serve = Callable[[FastAPI], httpx.Client]


def _client(serve: Serve, db: Engine, **settings_kwargs: object) -> httpx.Client:
    return serve(create_app(seed.settings(**settings_kwargs), db))  # type: ignore[arg-type]


def test_dashboard_shows_every_section_and_the_failing_decision_with_its_reasons(db: Engine, serve: Serve) -> None:
    seed.seed(db, datetime.now(UTC))
    page = _client(serve, db, public=True).get("/")
    assert page.status_code == 200, page.text
    html = page.text
    for section in ('id="gates"', 'id="sources"', 'id="pass-rates"', 'id="timeline"'):
        assert section in html
    assert 'class="gate decision-fail" data-integration="order-sync" data-environment="prod"' in html
    assert seed.DRIFT_MESSAGE.replace("`", "&#96;") in html or seed.DRIFT_MESSAGE in html
    assert "report only" in html  # staging decides but never blocks
    assert seed.FEED_ERROR in html and 'class="source state-failing"' in html
    assert f"in {seed.REMOVAL_IN_DAYS} days" in html  # the removal-date countdown
    assert html.count("<svg") == 2 and "2/3 passed (67%)" in html  # per day and per run, with the failing day


def test_hostile_spec_and_feed_text_is_escaped_and_no_script_may_run(db: Engine, serve: Serve) -> None:
    seed.seed(db, datetime.now(UTC))
    page = _client(serve, db, public=True).get("/")
    html = page.text
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;change&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html  # a feed's javascript: link never becomes an href
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_gate_that_cannot_be_evaluated_shows_its_error_and_the_page_still_renders(db: Engine, serve: Serve) -> None:
    now = datetime.now(UTC)
    seed.seed(db, now)
    with session_scope(db) as session:  # the pinned contract's stored body is unreadable
        # a fresh id: the gate caches parsed snapshots by id for the whole process
        session.add(SpecSnapshot(id=900_000 + os.getpid() % 1000, source_id="acme/orders", content_hash="d" * 64,
                                 format="openapi-3.0", size_bytes=9, body=zlib.compress(b"{not json")))  # fmt: skip
        session.flush()
        contract = session.get(Contract, "acme/orders")
        assert contract is not None
        contract.snapshot_id = 900_000 + os.getpid() % 1000
    page = _client(serve, db, public=True).get("/")
    assert page.status_code == 200
    assert "cannot evaluate" in page.text and "invalid JSON" in page.text
    assert 'id="timeline"' in page.text  # the rest of the page is still there


def test_dashboard_needs_a_read_token_unless_public(db: Engine, serve: Serve) -> None:
    tokens = [{"name": "reader", "scopes": ["read"], "sha256": token_hash(READ_TOKEN)},
              {"name": "ci", "scopes": ["gate"], "sha256": token_hash(GATE_TOKEN)}]  # fmt: skip
    client = _client(serve, db, tokens=tokens)
    anonymous = client.get("/")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic ")  # the browser shows its login prompt
    basic = base64.b64encode(f"anyone:{READ_TOKEN}".encode()).decode()
    assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get("/", headers={"Authorization": f"Bearer {GATE_TOKEN}"}).status_code == 200  # gate > read
    assert client.get("/", headers={"Authorization": "Bearer mon_wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Basic !!notbase64"}).status_code == 401
    assert client.get("/dashboard.css").headers["content-type"].startswith("text/css")  # no data in it: open


def test_pass_rates_count_passed_over_passed_failed_and_errored_per_day_and_run(db: Engine) -> None:
    now = datetime.now(UTC)
    seed.seed(db, now)
    with Session(db) as session:
        (series,) = pass_rates(session=session, now=now)
        older = pass_rates(session=session, now=now, days=1)
    assert series.suite == "acme"
    assert [(r.passed, r.total) for r in series.days] == [(3, 3), (2, 3), (3, 3)]
    assert [(r.passed, r.total) for r in series.runs] == [(3, 3), (2, 3), (3, 3)]
    assert [(r.passed, r.total) for r in older[0].days] == [(3, 3)]  # only runs inside the window


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 s ago"), (125, "2 min ago"), (7300, "2 h ago"), (200000, "2 d ago"), (-3, "just now")]
)
def test_ages_read_as_a_person_would_say_them(seconds: int, text: str) -> None:
    now = datetime.now(UTC)
    assert ago(now - timedelta(seconds=seconds), now) == text
    assert ago(None, now) == "never"


def test_countdowns_name_the_days_left_or_passed() -> None:
    assert [countdown(d) for d in (10, 1, 0, -1, -3, None)] == ["in 10 days", "in 1 day", "today", "1 day ago",
                                                                "3 days ago", ""]  # fmt: skip


def test_a_fresh_install_renders_every_section_with_what_to_configure() -> None:
    html = render_dashboard(Dashboard(datetime.now(UTC), platforms=[], gates=[], timeline=[], pass_rates=[]))
    for hint in ("No integrations are configured", "No platforms are configured", "No contract runs yet",
                 "Nothing yet: changes appear"):  # fmt: skip
        assert hint in html
