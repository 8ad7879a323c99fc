"""What the diff skips as unchanged must really be unchanged: an operation (or a schema) whose own text is identical
in both versions is skipped only when nothing it references, directly or through other components, changed.

Each test keeps the operations' own objects byte-for-byte identical and changes only what they reference, so a
skip that looked at the raw text alone would report nothing.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from monitor.engine import DiffResult
from monitor.engine.model import Direction
from monitor.engine.rules import SCHEMA_CHECKS
from monitor.engine.rules.schema_pair import Place, SchemaPair
from tests.engine.helpers import diff_docs


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def _spec() -> dict[str, Any]:
    """Three operations reaching `Money` by different routes: direct, through `Order` -> `Line`, and a cycle."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "skip", "version": "1"},
        "paths": {
            "/orders/{id}": {
                "parameters": [{"$ref": "#/components/parameters/OrderId"}],
                "get": {"operationId": "getOrder", "responses": _json_response(_ref("Order"))},
            },
            "/prices": {"get": {"operationId": "getPrice", "responses": _json_response(_ref("Money"))}},
            "/trees": {"get": {"operationId": "getTree", "responses": _json_response(_ref("Node"))}},
            "/notes": {"get": {"operationId": "getNote", "responses": _json_response(_ref("Note"))}},
        },
        "components": {
            "parameters": {
                "OrderId": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            },
            "schemas": {
                "Order": {"type": "object", "properties": {"lines": {"type": "array", "items": _ref("Line")}}},
                "Line": {"type": "object", "properties": {"price": _ref("Money")}},
                "Money": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "string"}}},
                # a recursive schema: Node -> Node (children) and Node -> Money
                "Node": {
                    "type": "object",
                    "properties": {"children": {"type": "array", "items": _ref("Node")}, "cost": _ref("Money")},
                },
                "Note": {"type": "object", "properties": {"text": {"type": "string"}}},
            },
        },
    }


def _ids(result: DiffResult) -> list[tuple[str, str, list[str]]]:
    return [(c.id, c.location, c.operations) for c in result.changes]


def test_a_change_in_a_component_reached_through_unchanged_ones_lists_every_operation(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    new["components"]["schemas"]["Money"]["properties"]["amount"]["type"] = "integer"
    assert old["paths"] == new["paths"]  # every operation's own text is identical
    result = diff_docs(tmp_path, old, new)
    assert _ids(result) == [
        (
            "response-property-type-changed",
            "#/components/schemas/Money/properties/amount",
            ["GET /orders/{id}", "GET /prices", "GET /trees"],
        )
    ]


def test_a_change_is_reported_whichever_operation_reaches_it_first(tmp_path: Path) -> None:
    # The findings of a component pair are memoised on the first walk that reaches it; removing the operation
    # that reached it first must not lose it for the others (and the order of the paths must not matter).
    old, new = _spec(), _spec()
    new["components"]["schemas"]["Money"]["required"] = []
    for doc in (old, new):
        paths = doc["paths"]
        doc["paths"] = {k: paths[k] for k in ("/trees", "/notes", "/prices", "/orders/{id}")}
    forward = diff_docs(tmp_path, old, new)
    assert _ids(forward) == [
        (
            "response-property-became-optional",
            "#/components/schemas/Money/properties/amount",
            ["GET /orders/{id}", "GET /prices", "GET /trees"],
        )
    ]
    del old["paths"]["/trees"], new["paths"]["/trees"]
    assert [c.operations for c in diff_docs(tmp_path, old, new).changes] == [["GET /orders/{id}", "GET /prices"]]


def test_a_referenced_parameter_that_changed_is_reported_on_an_identical_path_item(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    new["components"]["parameters"]["OrderId"]["schema"] = {"type": "integer"}
    assert old["paths"] == new["paths"]
    assert [(c.id, c.operations) for c in diff_docs(tmp_path, old, new).changes] == [
        ("request-parameter-type-changed", ["GET /orders/{id}"])
    ]


def test_nothing_is_reported_when_only_an_unreferenced_neighbour_changed(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    new["components"]["schemas"]["Unused"] = {"type": "string"}
    assert [c.id for c in diff_docs(tmp_path, old, new).changes] == ["api-schema-added"]


def test_a_ref_that_starts_to_dangle_inside_an_identical_operation_is_reported(tmp_path: Path) -> None:
    # `Note` disappears from the new version: getNote's own text is unchanged, but its response now points at
    # nothing. The defect is reported (it is new), and so is the component's removal.
    old, new = _spec(), _spec()
    del new["components"]["schemas"]["Note"]
    result = diff_docs(tmp_path, old, new)
    found = {(c.id, c.location) for c in result.changes}
    assert ("spec-dangling-ref", "#/paths/~1notes/get/responses/200/content/application~1json/schema") in found
    assert ("api-schema-removed", "#/components/schemas/Note") in found


def test_a_dangling_ref_both_versions_share_in_an_identical_operation_is_no_change(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    for doc in (old, new):
        doc["paths"]["/notes"]["get"]["responses"] = _json_response(_ref("Missing"))
    assert diff_docs(tmp_path, old, new).changes == []
    # ... and it is still reported once the rest of that operation changes, as before
    new["paths"]["/notes"]["get"]["deprecated"] = True
    ids = [c.id for c in diff_docs(tmp_path, old, new).changes]
    assert "spec-dangling-ref" not in ids and "endpoint-deprecated" in ids


def test_a_webhook_identical_in_both_versions_reports_a_change_in_what_it_references(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    hook = {"post": {"requestBody": {"content": {"application/json": {"schema": _ref("Money")}}},
                     "responses": {"200": {"description": "ok"}}}}  # fmt: skip
    old["openapi"] = new["openapi"] = "3.1.0"
    old["webhooks"], new["webhooks"] = {"priceChanged": hook}, {"priceChanged": copy.deepcopy(hook)}
    new["components"]["schemas"]["Money"]["properties"]["currency"] = {"type": "string"}
    new["components"]["schemas"]["Money"]["required"] = ["amount", "currency"]
    assert _ids(diff_docs(tmp_path, old, new)) == [
        (
            "response-required-property-added",
            "#/components/schemas/Money/properties/currency",
            ["GET /orders/{id}", "GET /prices", "GET /trees"],
        ),
        ("webhook-required-property-added", "#/components/schemas/Money/properties/currency",
         ["POST webhook:priceChanged"]),
    ]  # fmt: skip


# Schemas touching every keyword a schema check reads; each is compared with an equal copy of itself.
_SCHEMAS: list[dict[str, Any]] = [
    {},
    {"type": "string", "format": "date-time", "pattern": "^a", "minLength": 1, "maxLength": 9, "default": "a"},
    {"type": ["string", "null"], "enum": ["a", None], "x-extensible-enum": ["b"], "const": "a"},
    {"type": "integer", "minimum": 1, "maximum": 9, "exclusiveMinimum": True, "exclusiveMaximum": True,
     "multipleOf": 2, "nullable": True, "x-nullable": True, "deprecated": True},
    {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 10, "multipleOf": 0.5},
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3, "uniqueItems": True,
     "contains": {"type": "string"}, "minContains": 1, "maxContains": 2, "prefixItems": [{"type": "string"}],
     "unevaluatedItems": False},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"],
     "additionalProperties": False, "minProperties": 1, "maxProperties": 3, "propertyNames": {"pattern": "^x"},
     "patternProperties": {"^x": {"type": "string"}}, "dependentRequired": {"a": ["b"]},
     "dependentSchemas": {"a": {"required": ["b"]}}, "unevaluatedProperties": False,
     "if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {}},
    {"oneOf": [_ref("Money"), _ref("Note")], "discriminator": {"propertyName": "kind",
     "mapping": {"m": "#/components/schemas/Money"}}},
    {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png", "contentSchema": {}},
    {"type": "string", "readOnly": True, "writeOnly": False},
    {"type": "object", "additionalProperties": {"type": "integer"}, "nullable": False},
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(_SCHEMAS)))
def test_no_schema_check_finds_anything_between_equal_schemas(index: int) -> None:
    # The walk skips the schema checks on equal pairs (schemas._alike): a check that reported something between
    # equal schemas would be silenced by that skip.
    schema = _SCHEMAS[index]
    for direction, scope, in_property in itertools.product(Direction, ("body", "parameter", "header"), (False, True)):
        place = Place(direction, scope, in_property, "#/x", (("status", "200"),))
        pair = SchemaPair(schema, copy.deepcopy(schema), place)
        for check in SCHEMA_CHECKS:
            assert list(check(pair)) == [], (check.__name__, schema)


@pytest.mark.parametrize(("key", "old", "new", "rule"), [
    ("uniqueItems", True, 1, "response-property-unique-items-unset"),
    ("deprecated", True, 1, "response-property-reactivated"),
    ("nullable", 1, True, "response-property-became-nullable"),
    ("readOnly", 1, True, "response-property-became-read-only"),
])  # fmt: skip
def test_true_and_1_still_differ_where_the_checks_tell_them_apart(
    tmp_path: Path, key: str, old: Any, new: Any, rule: str
) -> None:
    # `true == 1` in Python, so an equality test alone would call these schemas unchanged; the checks read the
    # value with `is True`, and the walk must give them the chance (here it walks `Line` because Money changed).
    docs = _spec(), _spec()
    for doc, value in zip(docs, (old, new), strict=True):
        price = {"type": "object", "properties": {"money": _ref("Money")}, key: value}
        doc["components"]["schemas"]["Line"]["properties"]["price"] = price
    docs[1]["components"]["schemas"]["Money"]["properties"]["amount"]["type"] = "integer"
    found = {(c.id, c.location) for c in diff_docs(tmp_path, *docs).changes}
    assert (rule, "#/components/schemas/Line/properties/price") in found, found


@pytest.mark.parametrize("name", ["Mon€y", 'Mo"ney', "Mo\\ney"], ids=["non-ascii", "quote", "backslash"])
def test_a_change_behind_a_ref_serialised_with_escapes_or_non_ascii_is_reported(tmp_path: Path, name: str) -> None:
    # Whether an equal node holds a changed ref is tested on its refs as the bytes orjson writes (a ref holding
    # an escape takes the exact path): a component whose name is written that way must still be followed.
    def renamed(doc: dict[str, Any]) -> dict[str, Any]:
        text = orjson.dumps(doc).decode().replace("Money", orjson.dumps(name).decode()[1:-1])
        return orjson.loads(text)

    old, new = _spec(), _spec()
    new["components"]["schemas"]["Money"]["properties"]["amount"]["type"] = "integer"
    old, new = renamed(old), renamed(new)
    assert old["paths"] == new["paths"] and name in old["components"]["schemas"]
    escaped = name.replace("~", "~0").replace("/", "~1")
    assert _ids(diff_docs(tmp_path, old, new)) == [
        (
            "response-property-type-changed",
            f"#/components/schemas/{escaped}/properties/amount",
            ["GET /orders/{id}", "GET /prices", "GET /trees"],
        )
    ]


def test_an_operation_equal_to_python_but_not_as_written_is_compared(tmp_path: Path) -> None:
    # `deprecated: 1 == deprecated: true` in Python, so `==` alone would skip the operation as unchanged; only
    # `true` deprecates it
    old, new = _spec(), _spec()
    old["paths"]["/prices"]["get"]["deprecated"] = 1
    new["paths"]["/prices"]["get"]["deprecated"] = True
    assert [(c.id, c.operations) for c in diff_docs(tmp_path, old, new).changes] == [
        ("endpoint-deprecated", ["GET /prices"])
    ]


def _with_inputs(spec: dict[str, Any]) -> dict[str, Any]:
    """getPrice also takes a query parameter and a body, both through components, beside its changing response."""
    spec["paths"]["/prices"]["post"] = {
        "operationId": "quote",
        "parameters": [{"$ref": "#/components/parameters/Currency"}],
        "requestBody": {"$ref": "#/components/requestBodies/Quote"},
        "responses": _json_response(_ref("Money")),
    }
    spec["components"]["parameters"]["Currency"] = {"name": "currency", "in": "query", "schema": {"type": "string"}}
    spec["components"]["requestBodies"] = {
        "Quote": {"content": {"application/json": {"schema": {"type": "object"}}}},
    }
    return spec


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # the operation's own text is identical; what its inputs are read from is not
        (lambda c: c["parameters"]["Currency"].update(required=True), "request-parameter-became-required"),
        (lambda c: c["requestBodies"]["Quote"].update(required=True), "request-body-became-required"),
    ],
)
def test_inputs_read_through_refs_are_compared_when_a_response_also_changed(
    tmp_path: Path, change: Any, expected: str
) -> None:
    old, new = _with_inputs(_spec()), _with_inputs(_spec())
    new["components"]["schemas"]["Money"]["properties"]["currency"] = {"type": "string"}  # the response changes
    change(new["components"])
    assert old["paths"] == new["paths"]
    found = {(c.id, tuple(c.operations)) for c in diff_docs(tmp_path, old, new).changes}
    assert (expected, ("POST /prices",)) in found


def test_a_path_parameter_that_no_longer_names_a_template_part_is_compared(tmp_path: Path) -> None:
    # GET /items/{id} and GET /items/{itemId} are one operation; the parameter list is identical but `id` stops
    # being the template's first part
    def doc(path: str) -> dict[str, Any]:
        return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                "paths": {path: {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                          "schema": {"type": "string"}}],
                                         "responses": _json_response({"type": "string", "description": path})}}}}  # fmt: skip

    ids = {c.id for c in diff_docs(tmp_path, doc("/items/{id}"), doc("/items/{itemId}")).changes}
    assert "request-parameter-removed" in ids
