"""Hostile and malformed variants of what issue 15 reads: no crash, a clear error or a lenient reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.engine import SpecError, load_spec
from tests.engine.helpers import diff_docs, write_spec

INFO = {"title": "t", "version": "1"}
OK = {"description": "ok"}


def _doc(**top: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": INFO, "paths": {}, **top}


@pytest.mark.parametrize(
    "top",
    [
        {"webhooks": {"a": "not an object"}},
        {"webhooks": {"a": {"post": "nope"}}},
        {"webhooks": ["a", "b"]},
        {"webhooks": {"a": {"$ref": "#/components/pathItems/missing"}}},
        {"paths": {"/s": {"post": {"responses": {"200": OK}, "callbacks": {"cb": "x"}}}}},
        {"paths": {"/s": {"post": {"responses": {"200": OK}, "callbacks": {"cb": {"{$url}": [1, 2]}}}}}},
        {"paths": {"/s": {"post": {"responses": {"200": OK}, "callbacks": [1]}}}},
        {"security": [{"missing": "not a list"}], "components": {"securitySchemes": {"k": "string"}}},
        {"security": [{"k": []}], "components": {"securitySchemes": {"k": {"type": "oauth2", "flows": "x"}}}},
    ],
)
def test_malformed_webhooks_callbacks_and_security_are_read_without_crashing(
    tmp_path: Path, top: dict[str, Any]
) -> None:
    old = _doc(paths={"/s": {"post": {"responses": {"200": OK}}}})
    new = {**old, **top}
    for a, b in ((old, new), (new, old), (new, new)):
        result = diff_docs(tmp_path, a, b)
        assert all(c.message for c in result.changes)


def _returns(schema: Any) -> dict[str, Any]:
    return _doc(
        paths={"/a": {"get": {"responses": {"200": {**OK, "content": {"application/json": {"schema": schema}}}}}}}
    )


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": "not a list"},
        {"oneOf": [None, 1, "x", [], {}]},
        {"anyOf": [{"properties": "x"}, {"properties": {"a": "b"}}, {"type": ["object", 3]}]},
        {"type": "object", "properties": {"a": {"required": "yes"}, "b": {"required": True, "$ref": "#/x"}}},
        {"type": "array", "items": "not-a-type"},
        {"type": "object", "properties": [], "required": True},
        {"const": {"a": [1]}, "enum": "x"},
        {"exclusiveMinimum": True, "minimum": "3"},
        {"$ref": "#/components/schemas/A"},
    ],
)
def test_malformed_schemas_are_compared_without_crashing(tmp_path: Path, schema: Any) -> None:
    good = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    doc = _returns(schema)
    doc["components"] = {
        "schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"oneOf": [{"$ref": "#/components/schemas/A"}]}}
    }
    for a, b in ((_returns(good), doc), (doc, _returns(good)), (doc, doc)):
        result = diff_docs(tmp_path, a, b)
        assert all(c.message for c in result.changes)


def test_a_ref_loop_is_still_refused_with_a_reason(tmp_path: Path) -> None:
    doc = _returns({"$ref": "#/components/schemas/A"})
    doc["components"] = {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}
    path = write_spec(tmp_path / "x.yaml", doc)
    with pytest.raises(SpecError, match="does not end"):
        diff_docs(tmp_path, _returns({"type": "string"}), doc)
    assert load_spec(path).defects == []


def test_many_overlapping_alternatives_are_paired_in_bounded_time(tmp_path: Path) -> None:
    """Structural pairing is quadratic in the alternatives left over; a few hundred stay fast."""

    def alternatives(extra: str) -> dict[str, Any]:
        return {"oneOf": [{"type": "object", "properties": {f"p{i}": {"type": "string"}, extra: {"type": "string"}}}
                          for i in range(300)]}  # fmt: skip

    result = diff_docs(tmp_path, _returns(alternatives("x")), _returns(alternatives("y")))
    assert {c.id for c in result.changes} <= {"response-optional-property-added", "response-optional-property-removed"}
