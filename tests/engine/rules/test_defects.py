"""Spec defects are reported as warnings where they are, and the rest of the document is still compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.engine import DiffOptions, Level, Usage, load_spec
from tests.engine.helpers import diff_docs, write_spec
from tests.engine.rules.test_operations import JSON, OK, api, covers, expect, expect_nothing, obj

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
STRING = {"type": "string"}


def _orders(item: dict[str, Any], *, with_delete: bool = True) -> dict[str, Any]:
    order = {"get": {"responses": {"200": {**OK, "content": {JSON: {"schema": obj(item=item, id=STRING)}}}}}}
    paths: dict[str, Any] = {"/orders": order}
    if with_delete:
        paths["/orders/{id}"] = {"delete": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                              "schema": STRING}], "responses": {"200": OK}}}  # fmt: skip
    doc = api(paths)
    doc["components"] = {"schemas": {"Item": obj(sku=STRING)}}
    return doc


GOOD = {"$ref": "#/components/schemas/Item"}
BROKEN = {"$ref": "#/components/schemas/Itme"}
BROKEN_AT = "#/paths/~1orders/get/responses/200/content/application~1json/schema/properties/item"


@covers("spec-dangling-ref")
def test_a_dangling_ref_is_a_warning_at_its_place_and_the_rest_is_compared(tmp_path: Path) -> None:
    old, new = _orders(GOOD), _orders(BROKEN, with_delete=False)
    result = diff_docs(tmp_path, old, new)
    assert sorted((c.id, c.level, c.location) for c in result.changes) == [
        ("api-path-removed-without-deprecation", BREAKING, "#/paths/~1orders~1{id}/delete"),
        ("spec-dangling-ref", WARNING, BROKEN_AT),
    ]
    (defect,) = [c for c in result.changes if c.id == "spec-dangling-ref"]
    assert defect.args == {"detail": "#/components/schemas/Itme"}
    assert "points at nothing" in defect.message


def test_a_dangling_ref_fixed_is_no_finding_and_its_schema_is_not_compared(tmp_path: Path) -> None:
    expect_nothing(diff_docs(tmp_path, _orders(BROKEN), _orders(GOOD)))


def test_a_dangling_ref_the_old_version_already_had_is_no_change(tmp_path: Path) -> None:
    expect_nothing(diff_docs(tmp_path, _orders(BROKEN), _orders(BROKEN)))


def test_loading_a_spec_with_a_dangling_ref_lists_the_defect(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "x.yaml", _orders(BROKEN)))
    assert spec.defects == [("dangling-ref", BROKEN_AT, "#/components/schemas/Itme")]
    assert sorted(spec.operations) == ["DELETE /orders/{}", "GET /orders"]


def test_a_dangling_parameter_ref_still_loads_the_operation(tmp_path: Path) -> None:
    doc = api({"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/Missing"}], "responses": {"200": OK}}}})
    spec = load_spec(write_spec(tmp_path / "x.yaml", doc))
    assert list(spec.operations) == ["GET /a"]
    assert [kind for kind, _, _ in spec.defects] == ["dangling-ref"]
    expect(
        diff_docs(tmp_path, api({"/a": {"get": {"responses": {"200": OK}}}}), doc), "spec-dangling-ref", WARNING, None
    )


# -- malformed values read leniently ---------------------------------------------------------------------------------
def _returns(schema: dict[str, Any]) -> dict[str, Any]:
    return api({"/a": {"get": {"responses": {"200": {**OK, "content": {JSON: {"schema": schema}}}}}}})


AT = "#/paths/~1a/get/responses/200/content/application~1json/schema"


@covers("spec-malformed-value")
def test_required_true_inside_a_property_schema_is_read_as_the_property_being_required(tmp_path: Path) -> None:
    old = _returns(obj(("sku",), sku=STRING))
    new = _returns(obj(sku={**STRING, "required": True}))
    result = diff_docs(tmp_path, old, new)
    args = {"detail": "`required: true` inside the schema of property `sku` read as the property being required"}
    # found by the schema walk, so it names the operations that reach it
    expect(result, "spec-malformed-value", WARNING, "GET /a", f"{AT}/properties/sku/required", args)
    expect_nothing(diff_docs(tmp_path, new, new))


def test_required_false_inside_a_property_schema_makes_a_required_property_optional(tmp_path: Path) -> None:
    old = _returns(obj(("sku",), sku=STRING))
    new = _returns(obj(sku={**STRING, "required": False}))
    ids = sorted(c.id for c in diff_docs(tmp_path, old, new).changes)
    assert ids == ["response-property-became-optional", "spec-malformed-value"]


def test_a_bare_type_name_as_items_is_read_as_a_schema_of_that_type(tmp_path: Path) -> None:
    old = _returns(obj(tags={"type": "array", "items": STRING}))
    new = _returns(obj(tags={"type": "array", "items": "integer"}))
    ids = sorted((c.id, c.location) for c in diff_docs(tmp_path, old, new).changes)
    assert ids == [
        ("response-property-type-changed", f"{AT}/properties/tags/items"),
        ("spec-malformed-value", f"{AT}/properties/tags/items"),
    ]


def test_an_empty_list_where_an_object_belongs_is_read_as_an_empty_object(tmp_path: Path) -> None:
    doc = _returns({"type": "object", "properties": []})
    spec = load_spec(write_spec(tmp_path / "x.yaml", doc))
    assert spec.defects == [("malformed-value", f"{AT}/properties", "`properties: []` read as an empty object")]
    assert [c.id for c in diff_docs(tmp_path, _returns(obj()), doc).changes] == ["spec-malformed-value"]


def test_values_that_look_malformed_inside_examples_are_left_alone(tmp_path: Path) -> None:
    schema = {**obj(flag={"type": "boolean"}), "example": {"properties": [], "items": "string"}}
    spec = load_spec(write_spec(tmp_path / "x.yaml", _returns(schema)))
    assert spec.defects == []


def test_a_required_parameter_is_not_mistaken_for_a_malformed_schema(tmp_path: Path) -> None:
    doc = api({"/a": {"get": {"parameters": [{"name": "q", "in": "query", "required": True, "schema": STRING}],
                              "responses": {"200": OK}}}})  # fmt: skip
    assert load_spec(write_spec(tmp_path / "x.yaml", doc)).defects == []


def test_a_dangling_ref_is_reported_under_a_usage_filter_unless_it_sits_in_an_unused_operation(tmp_path: Path) -> None:
    """A consumer-aware diff still says the document is broken where the consumer reads it, not elsewhere."""
    old, new = _orders(GOOD), _orders(BROKEN)
    uses_get = DiffOptions(usage=Usage(frozenset({"GET /orders"})))
    assert [(c.id, c.location) for c in diff_docs(tmp_path, old, new, uses_get).changes] == [
        ("spec-dangling-ref", BROKEN_AT)
    ]
    uses_delete = DiffOptions(usage=Usage(frozenset({"DELETE /orders/{id}"})))
    assert diff_docs(tmp_path, old, new, uses_delete).changes == []
    broken_component = _orders(GOOD)
    broken_component["components"]["schemas"]["Item"] = obj(sku={"$ref": "#/components/schemas/Nope"})
    (defect,) = diff_docs(tmp_path, old, broken_component, uses_delete).changes  # a shared part: reported
    assert defect.id == "spec-dangling-ref" and defect.location.startswith("#/components/schemas/Item")
