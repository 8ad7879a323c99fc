"""The local replica sandbox on the real Amazon models: every static case answers with its own status and body."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from monitor.engine.loaders import load_spec
from monitor.engine.model import Operation, Spec
from monitor.sandbox.replica import build_replica
from tests.conftest import require_corpus
from tests.e2e.servers import free_port

# models with static cases of every kind: path, query (arrays), body (by equality and by subset), catch-alls,
# cases without a response, duplicated request parameters
MODELS = [
    "ordersV0",
    "awd_2024-05-09",
    "easyShip_2022-03-23",
    "messaging",
    "sellerWallet_2024-03-01",
    "vendorDirectFulfillmentOrdersV1",
    "listingsItems_2021-08-01",
    "sellers",
]
# cases repeating an earlier case's request parameters exactly (the earlier one answers): sellers GET /sellers/v1/account
# and shipping GET /shipping/v1/account list a catch-all for 200 and another for 400
SHADOWED = {"sellers": 1, "shipping": 1}


def latest(model: str) -> Path:
    """The newest version of one Amazon model (files are named <commit>_<date>.json)."""
    files = sorted((require_corpus() / "amazon" / model).glob("*_*.json"), key=lambda f: (f.stem.split("_", 1)[1], f))
    assert files, model
    return files[-1]


def _value(entry: Any) -> Any:
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict) else str(value)


def static_cases(spec: Spec) -> list[tuple[Operation, int, dict[str, Any], dict[str, Any]]]:
    """(operation, status, request parameters, case) for every static case, in document order."""
    found = []
    for op in spec.operations.values():
        for code, response in op.raw.get("responses", {}).items():
            sandbox = response.get("x-amzn-api-sandbox") if isinstance(response, dict) else None
            for case in (sandbox or {}).get("static", []):
                params = {k: _value(v) for k, v in (case.get("request") or {}).get("parameters", {}).items()}
                found.append((op, int(code), params, case))
    return found


def locations(op: Operation) -> dict[str, str]:
    where = {p.get("name"): p.get("in") for p in op.raw_path_parameters if isinstance(p, dict)}
    where.update({p.get("name"): p.get("in") for p in op.raw.get("parameters", []) if isinstance(p, dict)})
    return where


def client_for(spec: Spec) -> httpx.AsyncClient:
    """An in-process client (starlette's TestClient warns about httpx, and warnings are errors here)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_replica(spec)), base_url="http://replica")


async def send(client: httpx.AsyncClient, op: Operation, params: dict[str, Any]) -> httpx.Response:
    """A request built from a case's own parameters: path template filled, query, headers, JSON body."""
    where = locations(op)
    path, query, headers, body = op.path, [], {}, None
    for name, value in params.items():
        kind = where.get(name, "body" if name == "body" else "query")
        if kind == "path":
            path = path.replace("{" + name + "}", quote(_text(value), safe=""))
        elif kind == "body":
            body = value
        elif kind == "header":
            headers[name] = ",".join(map(_text, value)) if isinstance(value, list) else _text(value)
        else:
            query += [(name, _text(v)) for v in value] if isinstance(value, list) else [(name, _text(value))]
    for name, kind in where.items():  # path parameters the case leaves open
        if kind == "path":
            path = path.replace("{" + name + "}", "any-value")
    return await client.request(op.method, path, params=query, headers=headers, json=body)


def expected(cases: list[tuple[Operation, int, dict[str, Any], dict[str, Any]]], index: int) -> tuple[int, Any]:
    """The case's own answer, or that of the first case of the operation with the very same request parameters."""
    op, _, params, _ = cases[index]
    for other_op, status, other_params, case in cases:
        if other_op is op and other_params == params:
            return status, case.get("response")
    raise AssertionError("unreachable")


@pytest.mark.parametrize("model", MODELS)
def test_every_static_case_is_answered_with_its_status_and_body(model: str) -> None:
    spec = load_spec(latest(model))
    cases = static_cases(spec)
    assert cases, f"{model} has no static case"

    async def check() -> int:
        shadowed = 0
        async with client_for(spec) as client:
            for i, (op, status, params, case) in enumerate(cases):
                want_status, want_body = expected(cases, i)
                shadowed += (want_status, want_body) != (status, case.get("response"))
                got = await send(client, op, params)
                where = f"{model} {op.label} case {i} ({status}, {params})"
                assert got.status_code == want_status, f"{where}: {got.status_code} {got.text[:300]}"
                if want_body is None or want_status == 204:
                    assert got.content == b"", where
                else:
                    assert got.json() == want_body, where
                for name, header in case.get("responseHeaders", {}).items():
                    if want_status == status:
                        assert got.headers[name] == _text(_value(header)), where
        return shadowed

    assert asyncio.run(check()) == SHADOWED.get(model, 0)


def exchange(model: str, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    """Send (method, url, httpx keyword arguments) requests to the replica of one model, in order."""
    spec = load_spec(latest(model))

    async def run() -> list[httpx.Response]:
        async with client_for(spec) as client:
            return [await client.request(method, url, **kw) for method, url, kw in requests]

    return asyncio.run(run())


def test_a_request_no_case_matches_is_answered_400() -> None:
    (got,) = exchange("ordersV0", ("GET", "/orders/v0/orders/NO-SUCH-TEST-CASE", {}))
    assert got.status_code == 400
    assert got.json() == {"errors": [{"code": "InvalidInput", "message": "no sandbox case matches this request"}]}


def test_the_most_specific_case_wins_over_a_catch_all_and_a_shorter_match() -> None:
    shipment = "/orders/v0/orders/902-1845936-5435065/shipment"
    bad_marketplace = {"marketplaceId": "1", "shipmentStatus": "ReadyForPickup"}
    orders = {"CreatedAfter": "TEST_CASE_200_NEXT_TOKEN", "MarketplaceIds": "ATVPDKIKX0DER"}
    specific, catch_all, longer, shorter = exchange(
        "ordersV0",
        ("POST", shipment, {"json": bad_marketplace}),
        ("POST", shipment, {"json": {"marketplaceId": "ATVPDKIKX0DER", "shipmentStatus": "ReadyForPickup"}}),
        ("GET", "/orders/v0/orders", {"params": {**orders, "NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"}}),
        ("GET", "/orders/v0/orders", {"params": orders}),
    )
    assert specific.status_code == 400 and specific.json()["errors"][0]["message"] == "Marketplace ID is not defined"
    assert catch_all.status_code == 204 and catch_all.content == b""
    assert longer.status_code == 200 and shorter.status_code == 200
    assert longer.json() != shorter.json()  # the case listing NextToken too, not the one without it


def test_a_body_pattern_matches_a_larger_body_and_arrays_match_comma_separated() -> None:
    shipment = "/orders/v0/orders/902-1845936-5435065/shipment"
    extra = {"marketplaceId": "1", "shipmentStatus": "ReadyForPickup", "orderItems": []}
    orders = {"CreatedAfter": "TEST_CASE_200", "MarketplaceIds": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2"}
    subset, two_ids = exchange(
        "ordersV0", ("POST", shipment, {"json": extra}), ("GET", "/orders/v0/orders", {"params": orders})
    )
    assert subset.status_code == 400
    assert two_ids.status_code == 400  # the case lists exactly one marketplace


def test_unknown_paths_404_and_undeclared_methods_405() -> None:
    unknown, wrong_method = exchange(
        "ordersV0", ("GET", "/orders/v9/nothing", {}), ("DELETE", "/orders/v0/orders/TEST_CASE_200", {})
    )
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "NotFound"
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]


def test_request_bodies_over_one_megabyte_are_refused() -> None:
    big = {"marketplaceId": "1", "padding": "x" * (1024 * 1024)}
    (got,) = exchange("ordersV0", ("POST", "/orders/v0/orders/1/shipment", {"json": big}))
    assert got.status_code == 413


def test_dynamic_operations_serve_their_examples_or_answer_501() -> None:
    doc = json.loads(latest("shippingV2").read_text())
    example = doc["paths"]["/shipping/v2/tracking"]["get"]["responses"]["200"]["examples"]["application/json"]
    tracking, feedback = exchange(
        "shippingV2",
        ("GET", "/shipping/v2/tracking", {"params": {"trackingId": "1", "carrierId": "2"}}),
        ("POST", "/shipping/v2/ndrFeedback", {"json": {}}),
    )
    assert tracking.status_code == 200 and tracking.json() == example
    assert feedback.status_code == 501 and "dynamic" in feedback.json()["errors"][0]["message"]


def test_the_cli_serves_a_replica_over_http() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "sandbox", "serve", str(latest("ordersV0")), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                got = httpx.get(f"http://127.0.0.1:{port}/orders/v0/orders/TEST_CASE_200", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the replica did not start within 10 s"
                time.sleep(0.05)
        assert got.status_code == 200
        assert got.json()["payload"]["AmazonOrderId"] == "902-1845936-5435065"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


def test_the_cli_reports_an_unreadable_spec_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "sandbox", "serve", "/no/such/spec.json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
