"""Observing: each of the six observed-* findings on a tiny published contract, counted over exchanges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from monitor.engine import load_spec_bytes
from monitor.engine.model import Spec
from monitor.traffic.har import exchanges_of_entries
from monitor.traffic.observe import observe
from tests.traffic.conftest import entry, run_cli, write_config, write_har

CONTRACT: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "shop", "version": "1"}, "servers": [{"url": "https://api.example/v1"}],
    "paths": {"/orders/{id}": {"get": {"operationId": "getOrder", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
        "404": {"description": "none"}}}}},
    "components": {"schemas": {
        "Order": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["Shipped", "Pending"]},
            "total": {"type": "number"}, "note": {"type": "string", "nullable": True},
            "items": {"type": "array", "items": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "payment": {"oneOf": [{"type": "object", "required": ["card"], "properties": {"card": {"type": "string"}}},
                                  {"type": "object", "required": ["iban"], "properties": {"iban": {"type": "string"}}}]}}}]},
        "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
    }},
}  # fmt: skip
GOOD = {"id": "1", "status": "Shipped", "total": 3, "note": None, "items": [{"sku": "A"}], "tags": {"x": "y"},
        "payment": {"iban": "DE00"}}  # fmt: skip


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_bytes(orjson.dumps(CONTRACT), "shop.json")


def _observe(spec: Spec, bodies: list[tuple[int, Any]], path: str = "/v1/orders/1") -> list[dict[str, Any]]:
    entries = [entry("GET", f"https://api.example{path}", status, body, at=f"2026-12-0{1 + i % 9}T10:00:00Z")
               for i, (status, body) in enumerate(bodies)]  # fmt: skip
    return [c.to_dict() for c in observe(spec, exchanges_of_entries(entries, "t")).result.changes]


def test_a_conforming_answer_gives_nothing(spec: Spec) -> None:
    assert _observe(spec, [(200, GOOD), (404, None)]) == []


def test_a_required_property_gone_is_breaking_and_counted(spec: Spec) -> None:
    bodies = [(200, {k: v for k, v in GOOD.items() if k != "status"})] * 3 + [(200, GOOD)]
    (finding,) = _observe(spec, bodies)
    assert finding["id"] == "observed-response-property-missing" and finding["level"] == "breaking"
    assert finding["args"]["property"] == "status" and (finding["args"]["count"], finding["args"]["total"]) == (3, 4)
    assert "missing in 3 of 4 answers since 2026-12-01" in finding["message"]
    assert finding["operations"] == ["GET /orders/{id}"]


def test_inherited_required_property_and_array_items_are_checked(spec: Spec) -> None:
    found = _observe(spec, [(200, {**{k: v for k, v in GOOD.items() if k != "id"}, "items": [{"sku": "A"}, {}]})])
    assert sorted(f["args"]["property"] for f in found) == ["id", "items[].sku"]


def test_a_type_change_is_breaking_null_only_where_nullable(spec: Spec) -> None:
    found = _observe(spec, [(200, {**GOOD, "total": "3.00", "note": None}), (200, {**GOOD, "status": None})])
    assert sorted((f["id"], f["args"]["property"], f["args"]["actual"]) for f in found) == [
        ("observed-response-property-type-changed", "status", "null"),
        ("observed-response-property-type-changed", "total", "string"),
    ]


def test_an_undocumented_enum_value_warns(spec: Spec) -> None:
    (finding,) = _observe(spec, [(200, {**GOOD, "status": "Lost"})])
    assert (finding["id"], finding["level"], finding["args"]["value"]) == (
        "observed-response-enum-value-added",
        "warning",
        "Lost",
    )


def test_an_added_property_is_info_but_not_under_additional_properties(spec: Spec) -> None:
    (finding,) = _observe(spec, [(200, {**GOOD, "gift": True, "tags": {"any": "thing"}})])
    assert (finding["id"], finding["level"], finding["args"]["property"]) == (
        "observed-response-property-added",
        "info",
        "gift",
    )


def test_one_of_picks_the_matching_alternative(spec: Spec) -> None:
    assert _observe(spec, [(200, {**GOOD, "payment": {"card": "visa"}})]) == []
    (finding,) = _observe(spec, [(200, {**GOOD, "payment": {"card": 4}})])
    assert finding["id"] == "observed-response-property-type-changed" and finding["args"]["property"] == "payment.card"


def test_an_undocumented_status_warns_and_an_unknown_operation_is_info(spec: Spec) -> None:
    found = _observe(spec, [(500, {"error": "x"}), (200, GOOD)])
    assert [(f["id"], f["level"], f["args"]["status"]) for f in found] == [
        ("observed-status-undocumented", "warning", "500")
    ]
    (finding,) = _observe(spec, [(200, {})], path="/v1/customers/12345")
    assert (finding["id"], finding["level"]) == ("observed-operation-undocumented", "info")
    assert finding["args"]["operation"] == "GET /v1/customers/{customerId}"


def test_observe_without_a_store_reads_the_contract_file_and_exits_1_on_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contracts = tmp_path / "contracts" / "shop"
    contracts.mkdir(parents=True)
    (contracts / "orders.json").write_bytes(orjson.dumps(CONTRACT))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'absent' / 'm.db'}")  # no database at all
    har = write_har(tmp_path / "a.har", [entry("GET", "https://api.example/v1/orders/1", 200, {"status": "Shipped"})])
    code, out, err = run_cli(["observe", "--har", har, "--platform", "shop", "--name", "orders", "--no-store",
                              "--format", "json", "--config", config], capsys)  # fmt: skip
    assert code == 1, err
    assert [c["id"] for c in json.loads(out)["changes"]] == ["observed-response-property-missing"]
    code, _, err = run_cli(["observe", "--har", har, "--platform", "shop", "--name", "other", "--no-store",
                            "--config", config], capsys)  # fmt: skip
    assert code == 2 and "no contract file" in err
