"""The loader finds `$ref`s and repair candidates by scanning bytes, and looks refs up through a cache of the nodes
they point into: each shortcut must give exactly what a walk of the parsed tree and `pointer_get` give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from monitor.engine import load_spec
from monitor.engine.errors import SpecError
from monitor.engine.loaders.refs import DANGLING, Resolver, pointer_get
from monitor.engine.model import Spec


def _doc(schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "scan", "version": "1"},
        "paths": {
            "/orders": {
                "get": {
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": schemas},
    }


def _load(tmp_path: Path, text: bytes, name: str = "spec.json") -> Spec:
    path = tmp_path / name
    path.write_bytes(text)
    return load_spec(path)


def _dangling(spec: Spec) -> list[tuple[str, str]]:
    return [(where, ref) for kind, where, ref in spec.defects if kind == "dangling-ref"]


# Refs a cached lookup could get wrong: escaped names (`~1` for `/`, `~0` for `~`, %-escapes), a missing parent,
# list items, the document itself; each is either found (None) or dangling (the pointer of the object holding it).
_REFS = {
    "#/components/schemas/a~1b": None,
    "#/components/schemas/c~0d": None,
    "#/components/schemas/c~d": None,  # `~d` is no escape: read as written
    "#/components/schemas/e%20f": None,
    "#/components/schemas/e f": None,
    "#/components/schemas/a~1b/properties/x": None,
    "#/components/schemas/Ok/required/0": None,
    "#/components/schemas": None,
    "#/": None,  # the member named "" of the document, present below
    "#/paths/~1orders/get/parameters/0": None,
    "#/components/schemas/a/b": "a/b in the name, not a parent: dangling",
    "#/components/schemas/c~1d": "c/d: dangling",
    "#/components/schemas/e%2520f": "e%20f, decoded once: dangling",
    "#/components/schemas/Ok/required/1": "past the end of the list: dangling",
    "#/components/schemas/Ok/required/x": "not an index: dangling",
    "#/paths/~1orders/get/parameters/7": "past the end of the list: dangling",
    "#/components/schemas/Missing": "dangling",
    "#/components/schemas/Missing/properties/x": "under a missing parent: dangling",
    "#/components/schemas/Ok/type/x": "under a string: dangling",
    "#": None,
    "#Ok": "no pointer: dangling",
}


def test_refs_with_escaped_names_or_list_items_are_dangling_exactly_when_pointer_get_finds_nothing(
    tmp_path: Path,
) -> None:
    holder = {"type": "object", "properties": {f"p{i}": {"$ref": ref} for i, ref in enumerate(_REFS)}}
    schemas = {
        "a/b": {"type": "object", "properties": {"x": {"type": "string"}}},
        "c~d": {"type": "string"},
        "e f": {"type": "string"},
        "c~1d": {"type": "string"},  # the names as written in the dangling refs below: not what they point at
        "e%2520f": {"type": "string"},
        "Ok": {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}},
        "Holder": holder,
    }
    doc = _doc(schemas)
    doc[""] = {"type": "string"}
    spec = _load(tmp_path, orjson.dumps(doc))
    expected = sorted(
        (f"#/components/schemas/Holder/properties/p{i}", ref) for i, ref in enumerate(_REFS) if _REFS[ref] is not None
    )
    assert _dangling(spec) == expected
    assert spec.refs == set(_REFS)
    # the resolver's targets (the diff follows refs through it) are pointer_get's, in any order of asking
    for order in (list(_REFS), list(reversed(_REFS))):
        resolver = Resolver(spec.root, spec.file)
        for ref in order:
            try:
                want = pointer_get(spec.root, ref, spec.file)
            except SpecError:
                want = DANGLING
            assert resolver.target(ref) is want, ref


def test_a_key_that_only_ends_in_dollar_ref_is_no_ref(tmp_path: Path) -> None:
    schemas = {"A": {"type": "object", "x$ref": "#/components/schemas/Nowhere", "properties": {}}}
    spec = _load(tmp_path, orjson.dumps(_doc(schemas)))
    assert spec.refs == set()
    assert _dangling(spec) == []


@pytest.mark.parametrize("ref", ['#/components/schemas/Quo"te', "#/components/schemas/Back\\slash"])
def test_a_ref_holding_an_escape_is_read_whole(tmp_path: Path, ref: str) -> None:
    schemas = {"A": {"$ref": ref}, "B": {"$ref": "#/components/schemas/A"}}
    spec = _load(tmp_path, orjson.dumps(_doc(schemas)))
    assert spec.refs == {ref, "#/components/schemas/A"}
    assert _dangling(spec) == [("#/components/schemas/A", ref)]


_OBJECT_KEYS = ["properties", "patternProperties", "headers", "content", "responses", "schemas", "securitySchemes",
                "definitions", "securityDefinitions"]  # fmt: skip


@pytest.mark.parametrize("key", _OBJECT_KEYS)
def test_an_empty_list_where_an_object_belongs_is_found_after_other_empty_lists(tmp_path: Path, key: str) -> None:
    # the quick test finds `"<key>":[]` past the `[]`s that are fine (other keys') and the near misses
    schemas = {"A": {"type": "object", "security": [], f"x{key}": [], f"{key}x": [], key: []}}
    spec = _load(tmp_path, orjson.dumps(_doc(schemas)))
    assert spec.defects == [
        ("malformed-value", f"#/components/schemas/A/{key}", f"`{key}: []` read as an empty object")
    ]
    assert spec.root["components"]["schemas"]["A"][key] == {}


def test_a_bare_type_name_as_items_is_found_after_near_misses(tmp_path: Path) -> None:
    schemas = {"A": {"type": "array", "x-items": "string", "itemsx": "string", "tems": "string", "items": "string"}}
    spec = _load(tmp_path, orjson.dumps(_doc(schemas)))
    detail = '`items: "string"` read as `items: {type: string}`'
    assert spec.defects == [("malformed-value", "#/components/schemas/A/items", detail)]


def test_a_ref_holding_an_escape_does_not_hide_a_repair(tmp_path: Path) -> None:
    # the exact scan such a ref takes answers the refs; the repair test comes from the same pass
    schemas = {"A": {"$ref": '#/components/schemas/Quo"te'}, "B": {"type": "object", "properties": []}}
    spec = _load(tmp_path, orjson.dumps(_doc(schemas)))
    assert spec.refs == {'#/components/schemas/Quo"te'}
    assert spec.defects == [
        ("malformed-value", "#/components/schemas/B/properties", "`properties: []` read as an empty object"),
        ("dangling-ref", "#/components/schemas/A", '#/components/schemas/Quo"te'),
    ]


def test_a_document_too_deep_to_serialise_is_walked_for_refs_and_repairs(tmp_path: Path) -> None:
    deep: dict[str, Any] = {"type": "object", "properties": [], "x": {"$ref": "#/components/schemas/Nowhere"}}
    for _ in range(300):  # orjson serialises 255 levels at most
        deep = {"type": "object", "properties": {"p": deep}}
    spec = _load(tmp_path, json.dumps(_doc({"Deep": deep})).encode())
    assert spec.refs == {"#/components/schemas/Nowhere"}
    where = "#/components/schemas/Deep" + "/properties/p" * 300
    assert spec.defects == [
        ("malformed-value", f"{where}/properties", "`properties: []` read as an empty object"),
        ("dangling-ref", f"{where}/x", "#/components/schemas/Nowhere"),
    ]
