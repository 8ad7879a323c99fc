"""A suite run with known canary credentials: none of them may reach the database, logs, CLI output or reports.

The sandbox echoes the access token and the client secret back in a 500 error body (as a careless server might), so
every place that keeps a response excerpt, a message or a reproduction is exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.store.session import make_engine
from tests.sandbox.test_runner import PARTICIPATIONS, sellers, serving
from tests.sandbox.test_suite import CANARIES, CLIENT_SECRET, REFRESH, stored_text, token_app

pytestmark = pytest.mark.corpus


def echoing_sandbox() -> Starlette:
    async def broken(request: Request) -> JSONResponse:
        echoed = f"token={request.headers.get('x-amz-access-token')} secret={CLIENT_SECRET} refresh={REFRESH}"
        return JSONResponse({"errors": [{"code": "InternalFailure", "message": echoed}]}, 500)

    return Starlette(routes=[Route("/sellers/v1/marketplaceParticipations", broken)])


def test_no_canary_anywhere_after_cli_and_scheduled_runs(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "amazon").mkdir(parents=True)
    (tmp_path / "contracts" / "amazon" / "sellers.json").write_text(json.dumps(sellers()))
    database = tmp_path / "monitor.db"
    with serving(token_app()) as token_base, serving(echoing_sandbox()) as sandbox_url:
        config = tmp_path / "monitor.yaml"
        config.write_text(
            f"""
database_url: sqlite:///{database}
contracts_dir: {tmp_path / "contracts"}
platforms:
  amazon:
    specs:
      sellers: {{url: "http://127.0.0.1:9/sellers.json"}}
    sandbox:
      base_url: {sandbox_url}
      auth:
        type: lwa
        client_id: amzn1.application-oa2-client.test
        client_secret: ${{LWA_CLIENT_SECRET}}
        refresh_token: ${{LWA_REFRESH_TOKEN}}
        token_url: {token_base}/auth/o2/token
integrations:
  seller-sync:
    uses: {{amazon/sellers: [{PARTICIPATIONS}]}}
"""
        )
        env = {**os.environ, "LWA_CLIENT_SECRET": CLIENT_SECRET, "LWA_REFRESH_TOKEN": REFRESH,
               "MONITOR_CONFIG": str(config)}  # fmt: skip
        junit = tmp_path / "junit.xml"

        def monitor(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True,
                                  env=env, cwd=tmp_path, timeout=180)  # fmt: skip

        tested = monitor("test", "amazon", "--junit", str(junit))
        as_json = monitor("test", "amazon", "--format", "json")
        scheduled = monitor("run", "--once", "contract-tests")
        results = monitor("sandbox", "results")
        runs = monitor("runs", "--format", "json")

    assert tested.returncode == 1, tested.stderr  # a contract failure: not_a_server_error
    assert "not_a_server_error" in tested.stdout and "GET /sellers/v1/marketplaceParticipations" in tested.stdout
    assert as_json.returncode == 1 and json.loads(as_json.stdout)[0]["status"] == "failed"
    assert scheduled.returncode == 0, scheduled.stderr  # the job ran; its counts carry the failure
    assert "contract-tests" in runs.stdout and '"failed": 1' in runs.stdout
    assert "failed" in results.stdout
    assert "***" in junit.read_text()
    outputs = [p.stdout + p.stderr for p in (tested, as_json, scheduled, results, runs)]
    engine = make_engine(f"sqlite:///{database}")
    try:
        stored = stored_text(engine)
    finally:
        engine.dispose()
    assert "InternalFailure" in stored  # the excerpts were stored, masked
    for canary in CANARIES:
        for where, text in [("database", stored), ("junit", junit.read_text()), *(("cli", o) for o in outputs)]:
            assert canary not in text, f"{canary[:12]}... leaked into the {where}"
