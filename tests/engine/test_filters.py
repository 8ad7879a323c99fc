"""Usage files (consumer-aware) and ignore files (with expiry)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.engine import DiffOptions, OptionsError, load_ignore, load_usage
from tests.engine.helpers import diff_docs


def _spec(status_enum: list[str], city_type: str = "string", extra_param: bool = False) -> dict:
    order = {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
    params = [{"name": "limit", "in": "query", "required": extra_param, "schema": {"type": "integer"}}]
    return {
        "openapi": "3.0.3", "info": {"title": "orders", "version": "1"},
        "paths": {
            "/orders": {"get": {"operationId": "getOrders", "parameters": params, "responses": {"200": {
                "description": "ok", "content": order}}}},
            "/orders/{id}": {"get": {"operationId": "getOrder", "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}], "responses": {"200": {
                "description": "ok", "content": order}}}},
            "/returns": {"get": {"operationId": "getReturns", "responses": {"200": {"description": "ok"}}}},
        },
        "components": {"schemas": {"Order": {"type": "object", "required": ["Status"], "properties": {
            "Status": {"type": "string", "enum": status_enum},
            "Address": {"type": "object", "properties": {"City": {"type": city_type}}}}}}},
    }  # fmt: skip


def test_a_shared_schema_change_is_one_finding_listing_every_operation(tmp_path: Path) -> None:
    result = diff_docs(tmp_path, _spec(["A", "B"]), _spec(["A", "B", "C"]))
    assert len(result.changes) == 1
    change = result.changes[0]
    assert change.id == "response-property-enum-value-added"
    assert change.operations == ["GET /orders", "GET /orders/{id}"]
    assert change.location == "#/components/schemas/Order/properties/Status"


def test_usage_limits_findings_to_the_operations_a_consumer_calls(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("operations:\n  - GET /orders/{orderId}\n")  # another parameter name: same operation
    result = diff_docs(
        tmp_path, _spec(["A"]), _spec(["A", "C"], extra_param=True), DiffOptions(usage=load_usage(usage))
    )
    assert [(c.id, c.operations) for c in result.changes] == [
        ("response-property-enum-value-added", ["GET /orders/{id}"])
    ]


def test_usage_fields_limit_findings_to_the_fields_used(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("- operation: getOrders\n  fields: [Address.City]\n")
    result = diff_docs(
        tmp_path, _spec(["A"]), _spec(["A", "C"], city_type="integer"), DiffOptions(usage=load_usage(usage))
    )
    assert [c.id for c in result.changes] == ["response-property-type-changed"]


def test_ignore_entry_hides_a_change_until_it_expires(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "- rule: request-parameter-became-required\n  operation: getOrders\n"
        "  reason: we send limit\n  expires: 2026-06-30\n"
    )
    entries = load_ignore(ignore)
    before = diff_docs(
        tmp_path, _spec(["A"]), _spec(["A"], extra_param=True), DiffOptions(ignore=entries, today=date(2026, 6, 30))
    )
    assert before.changes == []
    assert [c.id for c in before.ignored] == ["request-parameter-became-required"]
    after = diff_docs(
        tmp_path, _spec(["A"]), _spec(["A"], extra_param=True), DiffOptions(ignore=entries, today=date(2026, 7, 1))
    )
    assert [c.id for c in after.changes] == ["request-parameter-became-required"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- rule: x\n", "a reason is required"),
        ("- rule: x\n  reason: r\n  expires: someday\n", "not a YYYY-MM-DD date"),
        ("- reason: r\n", "give a rule, an operation or both"),
        ("- rule: x\n  reason: r\n  color: red\n", "unknown key"),
        ("rule: [\n", "invalid YAML"),
    ],
)
def test_invalid_ignore_files_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ignore.yaml"
    path.write_text(text)
    with pytest.raises(OptionsError, match=message):
        load_ignore(path)


def test_invalid_usage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("just a string\n")
    with pytest.raises(OptionsError, match="lists operations"):
        load_usage(path)
