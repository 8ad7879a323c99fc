"""Observed limits: a contract run against the replica told to answer `x-amzn-RateLimit-Limit: 0.1` records 0.1 for
the operation, and `monitor limits` (run for real) shows it beside the documented figure.

The spec is ordersV0 15d2d98d (getOrders documented at 0.0167/s), polled from the local spec host and pinned; the
sandbox is the replica of the same version served by uvicorn on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.engine import load_spec_bytes
from monitor.limits.headers import parse_limit, rate_limit_headers
from monitor.sandbox.replica import build_replica
from monitor.sandbox.suite import run_platform_suite
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store.models import ObservedLimit
from monitor.store.session import session_scope
from tests.e2e.servers import Host
from tests.e2e.test_spec_polling import poll, version
from tests.sandbox.test_runner import serving

pytestmark = pytest.mark.corpus
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def replica() -> Iterator[str]:
    app = build_replica(load_spec_bytes(version("ordersV0", "15d2d98d"), "ordersV0.json"), rate_limit="0.1")
    with serving(app) as base_url:
        yield base_url


def config(tmp_path: Path, database_url: str, spec_url: str, sandbox_url: str) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"amazon-sp-api": {
            "specs": {"orders-v0": {"url": spec_url}},
            "sandbox": {"base_url": sandbox_url, "is_sandbox": True, "rate_limit": "50/s", "max_examples": 2,
                        "operations": ["getOrders"]},
        }},
        "integrations": {"order-sync": {"uses": {"amazon-sp-api/orders-v0": [{"operation": "getOrders", "rate": "0.5/s"}]}}},
    }  # fmt: skip


def test_a_contract_run_records_the_limit_header_and_monitor_limits_shows_it(
    db: Engine, database_url: str, host: Host, replica: str, tmp_path: Path
) -> None:
    data = config(
        tmp_path, database_url, host.serve("/ordersV0-observed.json", version("ordersV0", "15d2d98d")), replica
    )
    settings = Settings.model_validate(data)
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), read_timeout_s=2, deadline_s=10.0, retries=1, backoff_base_s=0.01,
                         max_bytes=2 * 1024 * 1024)  # fmt: skip
    with Fetcher(policy) as fetcher:
        poll(settings, db, fetcher, T0)
    outcome = run_platform_suite(settings, db, "amazon-sp-api")
    assert [r.status for r in outcome.runs] != ["error"], [r.error for r in outcome.runs]

    with session_scope(db) as session:
        (seen,) = session.exec(select(ObservedLimit)).all()
        assert (seen.operation, seen.rate, seen.header, seen.value) == (
            "GET /orders/v0/orders", 0.1, "x-amzn-ratelimit-limit", "0.1")  # fmt: skip
        assert seen.seen_at is not None and seen.run_id == outcome.runs[0].run_id

    from monitor.gate import evaluate

    with session_scope(db) as session:  # both figures are below the need: two reasons, each naming its source
        decision = evaluate(session=session, settings=settings, integration="order-sync", environment="production")
    limited = sorted(r.message for r in decision.reasons if r.kind == "rate-limit" and r.severity == "fail")
    assert len(limited) == 2 and decision.decision == "fail"
    assert (
        "documented rate limit 0.0167 requests per second (1,443 calls a day) in the current upstream spec"
        in (limited[0])
    )
    run_id = outcome.runs[0].run_id
    assert (f"observed rate limit 0.1 requests per second (8,640 calls a day) in contract run {run_id} "
            "(x-amzn-ratelimit-limit: 0.1) is below the need of 0.5/s") in limited[1]  # fmt: skip

    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(data))
    env = {**{k: v for k, v in os.environ.items() if k not in ("MONITOR_CONFIG", "MONITOR_DATABASE_URL")}}
    proc = subprocess.run([sys.executable, "-m", "monitor", "limits", "order-sync", "--format", "json", "--config",
                           str(path)], capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # 0.0167 and 0.1 are both below the need of 0.5/s
    (row,) = json.loads(proc.stdout)
    assert row["operation"] == "GET /orders/v0/orders" and row["operation_id"] == "getOrders"
    assert row["documented"]["rate"] == 0.0167 and row["documented"]["burst"] == 20
    assert row["observed"]["rate"] == 0.1 and row["observed"]["at"]
    assert row["need"]["rate"] == 0.5 and row["headroom_pct"] == pytest.approx(-96.7)

    table = subprocess.run([sys.executable, "-m", "monitor", "limits", "--config", str(path)], capture_output=True,
                           text=True, timeout=120, env={**env, "COLUMNS": "250"})  # fmt: skip
    assert table.returncode == 1, table.stderr
    assert "0.0167/s (1,443/day)" in table.stdout and "0.1/s (8,640/day)" in table.stdout

    bad = subprocess.run([sys.executable, "-m", "monitor", "limits", "nope", "--config", str(path)],
                         capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert bad.returncode == 2 and "unknown integration 'nope'" in bad.stderr


@pytest.mark.parametrize(
    ("headers", "rate", "header"),
    [
        ({"x-amzn-RateLimit-Limit": "0.1"}, 0.1, "x-amzn-ratelimit-limit"),
        ({"RateLimit-Policy": "100;w=60"}, 100 / 60, "ratelimit-policy"),
        ({"RateLimit-Policy": '"default";q=10;w=1'}, 10.0, "ratelimit-policy"),
        ({"RateLimit": "limit=10, remaining=5, reset=3", "RateLimit-Policy": "10;w=2"}, 5.0, "ratelimit-policy"),
        ({"X-RateLimit-Limit": "5000", "X-RateLimit-Window": "3600"}, 5000 / 3600, "x-ratelimit-limit"),
        ({"X-RateLimit-Limit": "5000"}, None, "x-ratelimit-limit"),  # a quota without a window is not a rate
        ({"x-amzn-RateLimit-Limit": "lots"}, None, "x-amzn-ratelimit-limit"),
        ({"x-amzn-RateLimit-Limit": ["0.5", "9"]}, 0.5, "x-amzn-ratelimit-limit"),
        ({"RateLimit-Policy": "10;w=0"}, None, "ratelimit-policy"),
    ],
)
def test_rate_limit_headers_are_read_in_their_common_forms(
    headers: dict[str, Any], rate: float | None, header: str
) -> None:
    parsed = parse_limit(rate_limit_headers(headers))
    assert parsed is not None and parsed.header == header
    assert parsed.rate == (pytest.approx(rate) if rate is not None else None)


def test_unrelated_and_hostile_headers_are_ignored_or_bounded() -> None:
    assert parse_limit(rate_limit_headers({"content-type": "application/json"})) is None
    long = rate_limit_headers({"x-ratelimit-limit": "9" * 10_000})
    assert len(long["x-ratelimit-limit"]) == 200


def test_the_replica_refuses_a_limit_that_is_not_a_number(tmp_path: Path) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}))
    bad = subprocess.run([sys.executable, "-m", "monitor", "sandbox", "serve", str(spec), "--rate-limit", "fast"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "rate limit 'fast' is not a number of requests per second" in bad.stderr


def test_429_answers_are_counted_per_operation_with_their_headers_masked() -> None:
    """A sandbox that throttles: every answer is a 429 carrying Amazon's header (and a value echoing a secret)."""
    from starlette.responses import JSONResponse

    from monitor.limits.store import observed_rows
    from monitor.sandbox.runner import run_suite
    from tests.sandbox.test_runner import PARTICIPATIONS_LABEL, sellers

    secret = "Atza|THROTTLE-CANARY"

    async def throttling(scope: Any, receive: Any, send: Any) -> None:
        response = JSONResponse({"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]}, 429,
                                headers={"x-amzn-RateLimit-Limit": "0.0167", "x-ratelimit-note": secret})  # fmt: skip
        await response(scope, receive, send)

    with serving(throttling) as base_url:
        result = run_suite(sellers(), base_url, headers={"x-amz-access-token": secret}, max_examples=2,
                           rate_limit="50/s", time_budget_s=60)  # fmt: skip
    op = result.operations[PARTICIPATIONS_LABEL]
    assert op.throttled >= 1 and op.throttled_at is not None
    assert op.rate_limit_headers["x-amzn-ratelimit-limit"] == "0.0167"
    assert secret not in json.dumps(op.rate_limit_headers)
    (row,) = [r for r in observed_rows(result.operations.values()) if r["operation"] == PARTICIPATIONS_LABEL]
    assert (row["rate"], row["throttled"]) == (0.0167, op.throttled) and row["seen_at"] is not None
