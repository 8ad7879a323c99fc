"""Two spellings of one constraint (OpenAPI 3.0 and 3.1 / JSON Schema): moving between them is no change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.engine import Level
from tests.engine.helpers import diff_docs
from tests.engine.rules.test_operations import expect, expect_nothing, obj
from tests.engine.rules.test_structure import REQUEST, STRING, accepts

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
OP = "POST /items"


def accepts_31(schema: dict[str, Any]) -> dict[str, Any]:
    return {**accepts(schema), "openapi": "3.1.0"}


def test_enum_of_one_value_and_const_are_the_same_constraint(tmp_path: Path) -> None:
    old, new = accepts_31(obj(kind={**STRING, "enum": ["order"]})), accepts_31(obj(kind={**STRING, "const": "order"}))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))


def test_const_becoming_an_enum_of_more_values_adds_those_values(tmp_path: Path) -> None:
    old = accepts_31(obj(kind={**STRING, "const": "order"}))
    new = accepts_31(obj(kind={**STRING, "enum": ["order", "refund"]}))
    at, args = f"{REQUEST}/properties/kind", {"property": "kind", "value": "refund"}
    expect(diff_docs(tmp_path, old, new), "request-property-enum-value-added", INFO, OP, at, args)
    expect(diff_docs(tmp_path, new, old), "request-property-enum-value-removed", BREAKING, OP, at, args)


def test_a_const_changing_value_is_still_a_const_change(tmp_path: Path) -> None:
    old, new = accepts_31(obj(kind={**STRING, "const": "a"})), accepts_31(obj(kind={**STRING, "const": "b"}))
    expect(diff_docs(tmp_path, old, new), "request-property-const-changed", BREAKING, OP)


def test_exclusive_minimum_in_its_3_0_boolean_and_3_1_numeric_forms_is_the_same_bound(tmp_path: Path) -> None:
    old = accepts(obj(price={"type": "number", "minimum": 0, "exclusiveMinimum": True}))
    new = accepts_31(obj(price={"type": "number", "exclusiveMinimum": 0}))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))


def test_exclusive_maximum_moved_to_the_3_1_form_and_lowered_is_a_decrease(tmp_path: Path) -> None:
    old = accepts(obj(n={"type": "number", "maximum": 10, "exclusiveMaximum": True}))
    new = accepts_31(obj(n={"type": "number", "exclusiveMaximum": 8}))
    at, args = f"{REQUEST}/properties/n", {"property": "n", "old": 10, "new": 8}
    expect(diff_docs(tmp_path, old, new), "request-property-exclusive-max-decreased", BREAKING, OP, at, args)
    expect(diff_docs(tmp_path, new, old), "request-property-exclusive-max-increased", INFO, OP, at)


def test_nullable_and_a_type_list_with_null_are_the_same(tmp_path: Path) -> None:
    old = accepts(obj(note={**STRING, "nullable": True}))
    new = accepts_31(obj(note={"type": ["string", "null"]}))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))
