"""Literal request narrowing: whatever rejects a value the old contract accepted breaks request writers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.engine import Level
from tests.engine.helpers import diff_docs
from tests.engine.rules.test_operations import expect, expect_nothing, obj, query
from tests.engine.rules.test_structure import REQUEST, RESPONSE, STRING, accepts, returns

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
OP = "POST /items"


def _with(schema: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    return {**schema, **keywords}


def test_min_length_appearing_on_a_request_property_is_breaking(tmp_path: Path) -> None:
    old, new = accepts(obj(ean=STRING)), accepts(obj(ean=_with(STRING, minLength=1)))
    at, args = f"{REQUEST}/properties/ean", {"property": "ean", "new": 1}
    expect(diff_docs(tmp_path, old, new), "request-property-min-length-set", BREAKING, OP, at, args)
    expect(
        diff_docs(tmp_path, new, old), "request-property-min-length-unset", INFO, OP, at, {"property": "ean", "old": 1}
    )


def test_min_items_appearing_on_a_request_body_is_breaking(tmp_path: Path) -> None:
    items = {"type": "array", "items": STRING}
    old, new = accepts(items), accepts(_with(items, minItems=1))
    expect(diff_docs(tmp_path, old, new), "request-body-min-items-set", BREAKING, OP, REQUEST, {"new": 1})
    expect(diff_docs(tmp_path, new, old), "request-body-min-items-unset", INFO, OP, REQUEST, {"old": 1})


def test_minimum_appearing_on_a_query_parameter_is_breaking(tmp_path: Path) -> None:
    def spec(schema: dict[str, Any]) -> dict[str, Any]:
        return accepts(obj()) | {"paths": {"/items": {"get": {"parameters": [query("n", schema=schema)],
                                                               "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    old, new = spec({"type": "integer"}), spec({"type": "integer", "minimum": 0})
    at = "#/paths/~1items/get/parameters/query/n/schema"
    args = {"parameter": "n", "in": "query", "new": 0}
    expect(diff_docs(tmp_path, old, new), "request-parameter-min-set", BREAKING, "GET /items", at, args)
    expect(diff_docs(tmp_path, new, old), "request-parameter-min-unset", INFO, "GET /items", at)


def test_a_bound_appearing_in_a_response_is_only_information(tmp_path: Path) -> None:
    old, new = returns(obj(ean=STRING)), returns(obj(ean=_with(STRING, minLength=1)))
    expect(diff_docs(tmp_path, old, new), "response-property-min-length-set", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-property-min-length-unset", WARNING, "GET /items")


def test_null_dropped_from_a_nullable_request_enum_is_breaking(tmp_path: Path) -> None:
    """OpenAPI 3.0.3: with an enum, `nullable: true` admits null only when the enum lists it."""
    nullable = _with(STRING, nullable=True)
    old = accepts(obj(state=_with(nullable, enum=["open", None])))
    new = accepts(obj(state=_with(nullable, enum=["open"])))
    at, args = f"{REQUEST}/properties/state", {"property": "state"}
    expect(diff_docs(tmp_path, old, new), "request-property-became-not-nullable", BREAKING, OP, at, args)
    expect(diff_docs(tmp_path, new, old), "request-property-became-nullable", INFO, OP, at, args)


def test_null_dropped_from_a_request_type_list_is_breaking(tmp_path: Path) -> None:
    old, new = accepts(obj(note={"type": ["string", "null"]})), accepts(obj(note=STRING))
    expect(diff_docs(tmp_path, old, new), "request-property-became-not-nullable", BREAKING, OP)
    expect(diff_docs(tmp_path, new, old), "request-property-became-nullable", INFO, OP)


def test_null_dropped_from_a_response_enum_breaks_no_reader(tmp_path: Path) -> None:
    nullable = _with(STRING, nullable=True)
    old = returns(obj(state=_with(nullable, enum=["open", None])))
    new = returns(obj(state=_with(nullable, enum=["open"])))
    expect(diff_docs(tmp_path, old, new), "response-property-became-not-nullable", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-property-became-nullable", BREAKING, "GET /items")


def test_an_untyped_request_property_that_gains_a_type_is_breaking(tmp_path: Path) -> None:
    old, new = accepts(obj(value={"description": "any JSON value"})), accepts(obj(value={"type": "integer"}))
    at = f"{REQUEST}/properties/value"
    expect(
        diff_docs(tmp_path, old, new),
        "request-property-type-set",
        BREAKING,
        OP,
        at,
        {"property": "value", "new": "integer"},
    )
    expect(
        diff_docs(tmp_path, new, old),
        "request-property-type-unset",
        INFO,
        OP,
        at,
        {"property": "value", "old": "integer"},
    )


def test_an_untyped_response_property_that_gains_a_type_only_narrows_what_readers_get(tmp_path: Path) -> None:
    old, new = returns(obj(value={})), returns(obj(value={"type": "integer"}))
    at = f"{RESPONSE}/properties/value"
    expect(diff_docs(tmp_path, old, new), "response-property-type-set", INFO, "GET /items", at)
    expect(diff_docs(tmp_path, new, old), "response-property-type-unset", WARNING, "GET /items", at)


def test_a_body_schema_appearing_where_none_was_documented_is_not_a_narrowing(tmp_path: Path) -> None:
    """A media type without a schema is undocumented, not "any value" (oasdiff reports nothing either)."""
    old, new = accepts({}), accepts(obj(id=STRING))
    changes = diff_docs(tmp_path, old, new).changes
    assert [c.id for c in changes] == ["new-optional-request-property"]


def test_an_untyped_enum_gaining_its_type_is_no_change(tmp_path: Path) -> None:
    old, new = accepts(obj(s={"enum": ["a", "b"]})), accepts(obj(s=_with(STRING, enum=["a", "b"])))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))
