"""Shortcuts of the schema walk (monitor/engine/schemas.py) must never hide a change.

Each test builds a pair where a shortcut taken wrongly would find the changed schema unchanged (or reach the wrong
one), so the test fails when the shortcut is wrong.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from monitor.engine import DiffResult
from tests.engine.helpers import diff_docs


def _ids(result: DiffResult) -> list[tuple[str, str]]:
    return [(c.id, c.location) for c in result.changes]


def _spec(schemas: dict[str, Any], ref: str) -> dict[str, Any]:
    response = {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": ref}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "walk", "version": "1"},
        "paths": {"/things": {"get": {"operationId": "getThing", "responses": response}}},
        "components": {"schemas": schemas},
    }


def test_an_escaped_schema_name_is_decoded_before_it_is_looked_up(tmp_path: Path) -> None:
    """`#/components/schemas/A~1B` names the schema `A/B`, not the one spelt `A~1B`: the direct lookup of plain
    names in `clean_refs` must leave escaped ones to the resolver, or it finds `A~1B` unchanged and skips `A/B`."""
    schemas = {
        "A/B": {"type": "object", "properties": {"id": {"type": "string"}}},
        "A~1B": {"type": "object", "properties": {"id": {"type": "string"}}},
    }
    old = _spec(schemas, "#/components/schemas/A~1B")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["A/B"]["properties"]["id"]["type"] = "integer"
    result = diff_docs(tmp_path, old, new)
    assert _ids(result) == [("response-property-type-changed", "#/components/schemas/A~1B/properties/id")]


def test_one_old_schema_compared_with_two_new_ones_is_prepared_for_each_pair(tmp_path: Path) -> None:
    """The walk prepares a pair of schemas once (allOf merged, flags lifted, changed keys): for the pair, not for
    the old schema alone, which here meets a changed schema at one operation and an unchanged one at the other."""
    thing = {"type": "object", "properties": {"id": {"type": "string"}}}
    old = _spec({"Thing": thing}, "#/components/schemas/Thing")
    old["paths"]["/others"] = copy.deepcopy(old["paths"]["/things"])
    old["paths"]["/others"]["get"]["operationId"] = "getOther"
    new = copy.deepcopy(old)
    for path, kind in (("/things", "integer"), ("/others", "string")):
        content = new["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        content["schema"] = {"type": "object", "properties": {"id": {"type": kind}}}
    result = diff_docs(tmp_path, old, new)
    assert [(c.id, c.operations) for c in result.changes] == [("response-property-type-changed", ["GET /things"])]


def test_a_flat_property_schema_is_asked_for_its_ref(tmp_path: Path) -> None:
    """A property schema holding no object or list (`{$ref, description}`) is tested for its ref without being
    serialised: it is unchanged only when the component it names is too. Here the parent changes as well (a new
    property), so the walk asks about `price` itself."""
    money = {"type": "object", "properties": {"amount": {"type": "string"}}}
    order = {
        "type": "object",
        "properties": {"price": {"$ref": "#/components/schemas/Money", "description": "what it costs"}},
    }
    old = _spec({"Order": order, "Money": money}, "#/components/schemas/Order")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Order"]["properties"]["note"] = {"type": "string"}
    new["components"]["schemas"]["Money"]["properties"]["amount"]["type"] = "integer"
    result = diff_docs(tmp_path, old, new)
    assert _ids(result) == [
        ("response-property-type-changed", "#/components/schemas/Money/properties/amount"),
        ("response-optional-property-added", "#/components/schemas/Order/properties/note"),
    ]
