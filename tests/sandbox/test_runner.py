"""The schemathesis adapter against the local replica of real Amazon models, clean and with planted violations."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.engine.loaders import load_spec_bytes
from monitor.sandbox.replica import build_replica
from monitor.sandbox.runner import SuiteResult, run_suite, with_sandbox_examples
from tests.e2e.servers import free_port
from tests.sandbox.test_replica import latest

CANARY = "Atza|CANARY-7f3c9e1d-do-not-leak"
HEADERS = {"x-amz-access-token": CANARY}
pytestmark = pytest.mark.corpus
PARTICIPATIONS = "getMarketplaceParticipations"
PARTICIPATIONS_LABEL = "GET /sellers/v1/marketplaceParticipations"


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on loopback; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sellers() -> dict[str, Any]:
    return json.loads(latest("sellers").read_text())


def replica_of(spec: dict[str, Any]) -> Any:
    return build_replica(load_spec_bytes(json.dumps(spec).encode(), "sellers.json"))


def assert_no_canary(result: SuiteResult) -> None:
    assert CANARY not in json.dumps([asdict(op) for op in result.operations.values()], default=str)
    assert CANARY not in json.dumps([*result.errors, result.fatal or ""])


def test_examples_phase_on_a_real_amazon_model_runs_cases_per_operation() -> None:
    spec = sellers()
    with serving(replica_of(spec)) as base_url:
        result = run_suite(latest("sellers"), base_url, operations=None, headers=HEADERS, time_budget_s=60)
    assert result.finished and result.fatal is None and result.errors == []
    labels = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}
    assert set(result.operations) == labels
    for op in result.operations.values():
        assert op.cases >= 1, op
        assert op.checks_passed, op
    participations = result.operations[PARTICIPATIONS_LABEL]
    assert participations.status == "passed", participations.failures
    assert_no_canary(result)


def test_operations_filter_by_operation_id() -> None:
    spec = sellers()
    with serving(replica_of(spec)) as base_url:
        result = run_suite(spec, base_url, operations=[PARTICIPATIONS], headers=HEADERS)
    assert list(result.operations) == [PARTICIPATIONS_LABEL]
    assert not result.failed


def test_missing_required_property_fails_response_schema_conformance() -> None:
    spec = sellers()
    planted = json.loads(json.dumps(spec))
    static = planted["paths"]["/sellers/v1/marketplaceParticipations"]["get"]["responses"]["200"]["x-amzn-api-sandbox"]
    del static["static"][0]["response"]["payload"][0]["marketplace"]["id"]
    with serving(replica_of(planted)) as base_url:
        result = run_suite(spec, base_url, operations=[PARTICIPATIONS], headers=HEADERS)
    assert result.failed and result.finished
    [failure] = result.operations[PARTICIPATIONS_LABEL].failures
    assert failure.check == "response_schema_conformance"
    assert failure.status_code == 200
    assert "'id' is a required property" in failure.message or '"id" is a required property' in failure.message
    assert "x-amz-access-token: ***" in failure.curl
    assert_no_canary(result)


def test_server_error_fails_not_a_server_error_and_masks_an_echoed_token() -> None:
    async def broken(request: Any) -> JSONResponse:
        # echoes the token back, as a careless server might in an error page
        return JSONResponse({"errors": [{"code": "boom", "message": request.headers.get("x-amz-access-token")}]}, 500)

    app = Starlette(routes=[Route("/sellers/v1/marketplaceParticipations", broken)])
    with serving(app) as base_url:
        result = run_suite(sellers(), base_url, operations=[PARTICIPATIONS], headers=HEADERS)
    assert result.failed
    checks = {failure.check for failure in result.operations[PARTICIPATIONS_LABEL].failures}
    assert "not_a_server_error" in checks
    server_error = next(f for f in result.failures if f.check == "not_a_server_error")
    assert server_error.status_code == 500 and "***" in server_error.response_excerpt
    assert_no_canary(result)


def test_unreachable_spec_is_a_fatal_error_not_an_exception() -> None:
    result = run_suite({"info": {}}, "http://127.0.0.1:9", operations=None, headers=HEADERS)
    assert result.failed and result.fatal is not None and not result.finished


def test_spent_budget_stops_the_engine() -> None:
    spec = sellers()
    with serving(replica_of(spec)) as base_url:
        result = run_suite(spec, base_url, operations=None, headers=HEADERS, time_budget_s=0)
    assert result.stopped_by_budget
    assert result.finished and result.stop_reason == "interrupted"


def test_nothing_is_written_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "schemathesis.toml").write_text('base-url = "http://127.0.0.1:9"\nheaders = { x-extra = "from-cwd" }\n')
    monkeypatch.chdir(tmp_path)
    spec = sellers()
    with serving(replica_of(spec)) as base_url:
        result = run_suite(spec, base_url, operations=[PARTICIPATIONS], headers=HEADERS)
    assert result.finished and not result.failed  # the cwd's config (a dead base URL) was not picked up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemathesis.toml"]


def test_sandbox_2xx_cases_become_examples_on_a_private_copy() -> None:
    spec: dict[str, Any] = {
        "swagger": "2.0",
        "parameters": {"Id": {"name": "id", "in": "path", "required": True, "type": "string"}},
        "paths": {
            "/items/{id}": {
                "post": {
                    "parameters": [
                        {"$ref": "#/parameters/Id"},
                        {"name": "payload", "in": "body", "schema": {"type": "object"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "x-amzn-api-sandbox": {
                                "static": [
                                    {"request": {"parameters": {"id": {"value": "A"}, "body": {"value": {"n": 1}}}}},
                                    {"request": {"parameters": {"id": {"value": "B"}}}},
                                ]
                            },
                        },
                        "400": {
                            "description": "bad",
                            "x-amzn-api-sandbox": {"static": [{"request": {"parameters": {"id": {"value": "X"}}}}]},
                        },
                    },
                }
            }
        },
    }
    before = json.dumps(spec, sort_keys=True)
    out = with_sandbox_examples(spec)
    assert json.dumps(spec, sort_keys=True) == before
    ident, body = out["paths"]["/items/{id}"]["post"]["parameters"]
    assert ident["name"] == "id"  # the shared $ref was inlined, and the shared definition left alone
    assert ident["x-examples"] == {"sandbox-0": {"value": "A"}, "sandbox-1": {"value": "B"}}  # no 400 case
    assert body["x-examples"] == {"sandbox-0": {"value": {"n": 1}}}
    assert "x-examples" not in out["parameters"]["Id"]


def test_examples_phase_replays_the_sandbox_cases_of_orders() -> None:
    """Every 2xx sandbox case of ordersV0 is sent as one request, the replica recognises each, and the run passes."""
    path = latest("ordersV0")
    with serving(build_replica(load_spec_bytes(path.read_bytes(), path.name))) as base_url:
        result = run_suite(path, base_url, headers=HEADERS, time_budget_s=120)
    assert result.finished and result.fatal is None and result.errors == []
    assert [f for f in result.failures if f.check == "positive_data_acceptance"] == []
    get_orders = result.operations["GET /orders/v0/orders"]
    get_order = result.operations["GET /orders/v0/orders/{orderId}"]
    assert (get_orders.status, get_orders.cases) == ("passed", 3)
    assert (get_order.status, get_order.cases) == ("passed", 2)
    assert result.failures == [] and not result.failed, [(f.check, f.title) for f in result.failures]
    assert all(op.status == "passed" for op in result.operations.values())
    assert_no_canary(result)
