"""Attack: `/reports/*` show changes, announcements and deployments with their authors, so they follow the dashboard's
access rule (a token with the read scope, unless `api.public_dashboard`) and carry its security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import Settings
from monitor.reports.store import generate_nightly
from tests.reports.test_nightly import NOW, READ_TOKEN, seed, settings_for

PAGES = ["/reports/latest", "/reports/2026-11-28", "/reports/2026-11-28?format=markdown",
         "/reports/2026-11-28?format=json", "/reports/2026-11-28?format=slack", "/reports/2026-11-27"]  # fmt: skip


def _serve(settings: Settings, db: Engine) -> Iterator[httpx.Client]:
    server = ApiServer(create_app(settings, db), host="127.0.0.1", port=0).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def settings(database_url: str, db: Engine) -> Settings:
    seed(db)
    settings = settings_for(database_url)
    generate_nightly(settings=settings, engine=db, now=NOW)
    return settings


@pytest.fixture
def client(settings: Settings, db: Engine) -> Iterator[httpx.Client]:
    yield from _serve(settings, db)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer mon_not-a-token", "Basic Og==", f"Token {READ_TOKEN}"],
    ids=["none", "bad-bearer", "empty-basic", "token-scheme"],
)  # a random token must not name a test
def test_reports_refuse_a_request_without_a_read_token(client: httpx.Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for page in PAGES:
        answer = client.get(page, headers=headers)
        assert answer.status_code == 401, (page, answer.status_code)
        assert answer.headers["WWW-Authenticate"].startswith("Basic")  # a browser prompts, as for the dashboard
        assert "order-sync" not in answer.text and "amazon-sp-api" not in answer.text


def test_reports_answer_a_read_token_as_bearer_or_basic_with_the_dashboards_headers(client: httpx.Client) -> None:
    basic = "Basic " + base64.b64encode(f"anyone:{READ_TOKEN}".encode()).decode()
    for authorization in (f"Bearer {READ_TOKEN}", basic):
        for page in PAGES[:-1]:
            answer = client.get(page, headers={"Authorization": authorization})
            assert answer.status_code == 200, (page, answer.text)
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["Referrer-Policy"] == "no-referrer"
            assert answer.headers["Cache-Control"] == "no-store"
            assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    html = client.get("/reports/latest", headers={"Authorization": f"Bearer {READ_TOKEN}"})
    csp = html.headers["Content-Security-Policy"]
    (style,) = re.findall(r"<style>(.*?)</style>", html.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp and "unsafe-inline" not in csp  # its own stylesheet only, nothing else inline
    assert "<script" not in html.text


def test_a_public_dashboard_makes_the_reports_public_too(settings: Settings, db: Engine) -> None:
    public = settings.model_copy(update={"api": settings.api.model_copy(update={"public_dashboard": True})})
    for client in _serve(public, db):
        answer = client.get("/reports/latest")
        assert answer.status_code == 200 and "API monitor report 2026-11-28" in answer.text
        assert answer.headers["Cache-Control"] == "no-store"
