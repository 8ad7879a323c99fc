"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright), with a screenshot.

Playwright's own browser downloads are never used: the system Chromium is launched by path. Without it the test
skips with the reason, and fails instead under CI=true (like the corpus tests). Screenshots go to tmp_path, or to
$MONITOR_ARTIFACTS when set (CI keeps that folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from tests.web import seed

Serve = Callable[[FastAPI], httpx.Client]


def require_chromium() -> Path:
    """The system Chromium; skips when absent, fails under CI=true (.ci/run installs it with apt)."""
    found = os.environ.get("MONITOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    reason = "Chromium is not installed (apt-get install -y chromium; set MONITOR_CHROMIUM to use another path)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found, reason = None, "the playwright package is not installed (pip install playwright; no browser download)"
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found)


def test_dashboard_renders_in_headless_chromium_with_sections_and_decision(
    db: Engine, serve: Serve, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    seed.seed(db, datetime.now(UTC))
    client = serve(create_app(seed.settings(public=True), db))  # type: ignore[arg-type]
    artifacts = Path(os.environ.get("MONITOR_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / f"dashboard-{db.dialect.name}.png"
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda msg: console.append(msg.text))  # a CSP violation or a script error lands here
            response = page.goto(str(client.base_url) + "/", wait_until="load")
            assert response is not None and response.status == 200
            assert page.title() == "monitor · dashboard"
            for heading in ("Deployment gate", "Sources and their health", "Sandbox contract pass rates",
                            "Timeline of changes and announcements"):  # fmt: skip
                assert page.get_by_role("heading", name=heading).is_visible()
            prod = page.locator('article.gate[data-integration="order-sync"][data-environment="prod"]')
            assert prod.locator(".verdict .badge").inner_text().strip().lower() == "fail"
            assert prod.locator(".verdict .badge").is_visible()
            assert seed.DRIFT_MESSAGE in prod.inner_text()
            # the stylesheet loaded and applied: a fail badge is red (#cf222e), not unstyled
            color = prod.locator(".verdict .badge").evaluate("e => getComputedStyle(e).backgroundColor")
            assert color == "rgb(207, 34, 46)"
            assert page.locator("svg.chart circle").count() == 6  # 3 days + 3 runs
            timeline = page.locator("#timeline").inner_text()
            assert "<img src=x onerror=alert(1)>" in timeline  # shown as text, not parsed as an element
            assert page.locator("#timeline img").count() == 0
            assert f"in {seed.REMOVAL_IN_DAYS} days" in timeline
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert not [line for line in console if "Content Security Policy" in line or "error" in line.lower()], console
    assert shot.stat().st_size > 10_000
    print(f"dashboard screenshot ({request.node.callspec.id}): {shot}")
