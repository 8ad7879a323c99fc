"""Done-when, end to end on a real Amazon spec: record through `monitor record`'s proxy in front of the replica
sandbox of ordersV0, learn a contract, diff it with the published spec, observe a drifted capture, fail the gate, and
find no secret or masked personal value anywhere (HAR, database, logs, CLI output)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.engine.loaders import load_spec
from monitor.engine.model import Operation, Spec
from monitor.sandbox.replica import build_replica
from tests.sandbox.test_replica import _text, latest, locations, static_cases
from tests.sandbox.test_runner import serving
from tests.traffic.conftest import har_entries, recording, run_cli, write_config

pytestmark = pytest.mark.corpus

SECRET = "Atza|CANARY-traffic-5b1e-do-not-leak"
SIGNATURE = "CANARYSIGN0f9e8d7c6b5a"
PERSONAL = ("fzyrv6gwkhbb15c@example.com", "MFNIntegrationTestMerchant")  # the replica's buyer, masked by path
MASKS = ["$..BuyerEmail", "$..BuyerName", "$..ShippingAddress", "$..DefaultShipFromLocationAddress"]
ORDER = "GET /orders/v0/orders/{orderId}"
ADDRESS = "GET /orders/v0/orders/{orderId}/address"


def _request(client: httpx.Client, op: Operation, params: dict[str, Any]) -> httpx.Response:
    """The case's own request, with a token header and a signature parameter the HAR must never hold."""
    where = locations(op)
    path, query, headers = op.path, [("sign", SIGNATURE)], {"x-amz-access-token": SECRET}
    for name, value in params.items():
        kind = where.get(name, "query")
        if kind == "path":
            path = path.replace("{" + name + "}", quote(_text(value), safe=""))
        elif kind == "header":
            headers[name] = _text(value)
        elif kind == "query":
            query += [(name, _text(v)) for v in value] if isinstance(value, list) else [(name, _text(value))]
    return client.request(op.method, path, params=query, headers=headers)


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """(HAR recorded through `monitor record` in front of the replica, the published spec file, operations called)."""
    spec_file = latest("ordersV0")
    spec = load_spec(spec_file)
    folder = tmp_path_factory.mktemp("capture")
    out = folder / "orders.har"
    config = write_config(folder, f"sqlite:///{folder / 'm.db'}", f"traffic:\n  mask_fields: {json.dumps(MASKS)}\n")
    called: set[str] = set()
    sent = 0
    with serving(build_replica(spec)) as replica, recording(replica, out, config, "/orders/v0/orders/TEST_CASE_400") \
            as proxy, httpx.Client(base_url=proxy, timeout=10) as client:  # fmt: skip
        sent += 1  # the probe: an answered 400 is an exchange like any other
        for op, _status, params, _case in static_cases(spec):
            if op.method != "GET":
                continue
            answer = _request(client, op, params)
            assert answer.status_code in (200, 400), answer.text[:200]
            called.add(op.label)
            sent += 1
        assert len(har_entries(out, sent)) == sent
    return out, spec_file, called


def _learned(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "contracts" / "amazon" / "orders.json").read_text())


def _dump(engine: Engine) -> str:
    """Every row of every table, as text: where a leaked value would show."""
    from sqlmodel import SQLModel

    import monitor.store.models  # noqa: F401

    rows = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table.name}"'))]
    return "\n".join(rows)


def _drifted(har: Path, target: Path) -> Path:
    """The same capture, with the order answers drifted: OrderStatus gone, NumberOfItemsShipped a string, a new field."""
    document = orjson.loads(har.read_bytes())
    for item in document["log"]["entries"]:
        content = item["response"]["content"]
        if item["response"]["status"] == 200 and item["request"]["url"].split("?")[0].count("/") == 6 \
                and "/orders/v0/orders/" in item["request"]["url"]:  # fmt: skip
            body = json.loads(content["text"])
            body["payload"].pop("OrderStatus")
            body["payload"]["NumberOfItemsShipped"] = str(body["payload"]["NumberOfItemsShipped"])
            body["payload"]["BrandNewField"] = "x"
            content["text"] = json.dumps(body)
    target.write_bytes(orjson.dumps(document))
    return target


def test_recorded_traffic_learns_the_spec_then_drift_fails_the_gate_and_nothing_leaks(
    capture: tuple[Path, Path, set[str]], tmp_path: Path, db: Engine, database_url: str,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    har, spec_file, called = capture
    config = write_config(
        tmp_path,
        database_url,
        f"""
traffic:
  mask_fields: {json.dumps(MASKS)}
integrations:
  erp:
    uses:
      amazon/orders: ["{ORDER}"]
  labels:
    uses:
      amazon/orders: ["{ADDRESS}"]
""",
    )
    outputs = []

    # learn: the operations and templated paths of the spec, response schemas with the fields seen
    code, out, err = run_cli(["contracts", "learn", "--har", har, "--platform", "amazon", "--name", "orders",
                              "--config", config], capsys)  # fmt: skip
    outputs += [out, err]
    assert code == 0, err
    learned = _learned(tmp_path)
    spec: Spec = load_spec(spec_file)
    wanted = {op.key for op in spec.operations.values() if op.label in called}
    assert len(wanted) >= 6
    learned_spec = load_spec(tmp_path / "contracts" / "amazon" / "orders.json")
    assert set(learned_spec.operations) == wanted
    assert ORDER.split(" ")[1] in learned["paths"]  # the parameter is even named as Amazon names it
    order = learned["paths"]["/orders/v0/orders/{orderId}"]["get"]
    payload = order["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["payload"]
    assert {"AmazonOrderId", "OrderStatus", "PurchaseDate", "OrderTotal", "NumberOfItemsShipped"} <= set(
        payload["properties"]
    )
    assert payload["properties"]["PurchaseDate"]["format"] == "date-time"
    assert "OrderStatus" in payload["required"]
    assert order["x-monitor-samples"] >= 3 and learned["x-monitor-learned"]["exchanges"] >= 10
    assert "x-amz-access-token" not in {p["name"] for p in order.get("parameters", [])}  # auth, not an input

    # the published spec vs the learned contract: nothing breaking on the operations called
    usage = tmp_path / "usage.yaml"
    usage.write_text("operations:\n" + "".join(f"  - {label}\n" for label in sorted(called)))
    code, out, err = run_cli(["diff", spec_file, tmp_path / "contracts" / "amazon" / "orders.json", "--usage", usage,
                              "--format", "json"], capsys)  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["summary"]["breaking"] == 0, [c["message"] for c in report["changes"]
                                                              if c["level"] == "breaking"]  # fmt: skip

    # a drifted capture: two breaking observed findings, an info one, and the gate of the order integration fails
    code, out, err = run_cli(["observe", "--har", _drifted(har, tmp_path / "drift.har"), "--platform", "amazon",
                              "--name", "orders", "--format", "json", "--config", config], capsys)  # fmt: skip
    outputs += [out, err]
    assert code == 1, err
    found = json.loads(out)["changes"]
    breaking = sorted((c["id"], c["args"]["property"]) for c in found if c["level"] == "breaking")
    assert breaking == [("observed-response-property-missing", "payload.OrderStatus"),
                        ("observed-response-property-type-changed", "payload.NumberOfItemsShipped")]  # fmt: skip
    added = [c for c in found if c["id"] == "observed-response-property-added"]
    assert [c["args"]["property"] for c in added] == ["payload.BrandNewField"] and added[0]["level"] == "info"
    missing = next(c for c in found if c["id"] == "observed-response-property-missing")
    assert missing["args"]["count"] == missing["args"]["total"] >= 2 and " of " in missing["message"]

    code, out, err = run_cli(["gate", "-i", "erp", "-e", "production", "--config", config], capsys)
    outputs += [out, err]
    assert code == 1 and "FAIL" in out and "observed in real answers" in out, out + err
    code, out, err = run_cli(["gate", "-i", "labels", "-e", "production", "--config", config], capsys)
    outputs += [out, err]
    assert code == 0, out + err  # the address operation did not drift

    # no secret and no masked personal value anywhere
    places = {"har": har.read_text(), "database": _dump(db), "cli": "\n".join(outputs), "logs": caplog.text,
              "contract": json.dumps(learned)}  # fmt: skip
    assert "***" in places["har"]
    for where, content in places.items():
        for value in (SECRET, SIGNATURE, *PERSONAL):
            assert value not in content, f"{value} leaked into the {where}"
