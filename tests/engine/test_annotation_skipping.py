"""The walk skips the schema checks on a pair that differs only in keys no check reads (rules.unread: descriptions,
titles, examples, most extensions). These tests hold the checks to that list, and make sure the skip never hides
a real change beside an annotation one, at the same level or deeper.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest

from monitor.engine import load_spec
from monitor.engine.loaders.refs import Resolver
from monitor.engine.model import Direction
from monitor.engine.rules import CHECK_KEYS, READ_EXTENSIONS, SCHEMA_CHECKS, UNREAD_KEYS, checks_for, unread
from monitor.engine.rules.constraints import check_bounds
from monitor.engine.rules.enums import check_enum
from monitor.engine.rules.schema_pair import Place, SchemaPair
from monitor.engine.rules.types import check_format, check_type, check_wholesale
from monitor.engine.schemas import SchemaComparer
from tests.engine.helpers import diff_docs, write_spec
from tests.engine.test_unchanged_skipping import _SCHEMAS, _json_response, _ref, _spec

_PLACES = [
    Place(direction, scope, in_property, "#/x", (("status", "200"),))
    for direction, scope, in_property in itertools.product(Direction, ("body", "parameter", "header"), (False, True))
]


# ... and one more, an object with other properties than _SCHEMAS' own, so an object replaced wholesale is read
_SAMPLES = [*_SCHEMAS, {"type": "object", "properties": {"c": {}, "d": {}}, "required": ["c"]}]


class _Recording(dict[str, Any]):
    """A schema that notes every key a check asks for; reading it whole (iterating, comparing) is noted as "*"."""

    def __init__(self, data: dict[str, Any], seen: set[Any]) -> None:
        super().__init__(data)
        self.seen = seen

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.seen.add(key)
        return super().__contains__(key)

    def keys(self) -> Any:
        self.seen.add("*")
        return super().keys()

    def items(self) -> Any:
        self.seen.add("*")
        return super().items()

    def values(self) -> Any:
        self.seen.add("*")
        return super().values()

    def __iter__(self) -> Any:
        self.seen.add("*")
        return super().__iter__()

    def __len__(self) -> int:  # `bool(schema)`: whether it is empty
        self.seen.add("len")
        return super().__len__()

    def __eq__(self, other: object) -> bool:
        self.seen.add("*")
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self.seen.add("*")
        return super().__ne__(other)

    __hash__ = None  # type: ignore[assignment]


def test_no_schema_check_reads_a_key_the_walk_may_skip() -> None:
    # Every check runs on every pair of the sample schemas (unequal ones too, so the branches past "nothing
    # changed" run) in every context; the keys each asks for must all be keys the skip watches.
    seen: set[Any] = set()
    for check in SCHEMA_CHECKS:
        read: set[Any] = set()
        for a, b in itertools.product(_SAMPLES, repeat=2):
            for place in _PLACES:
                list(check(SchemaPair(_Recording(a, read), _Recording(b, read), place)))
        if check is check_type:  # it asks whether a schema is empty only once their types (read keys) differ
            read.discard("len")
        seen |= read
    assert "*" not in seen and "len" not in seen  # a check reading a whole schema would read its descriptions too
    assert {"enum", "type", "x-nullable", "x-extensible-enum"} <= seen  # the recording works
    assert not {key for key in seen if unread(key)}


@pytest.mark.parametrize("check", list(CHECK_KEYS), ids=lambda check: check.__name__)
def test_a_check_reads_only_the_keys_it_is_run_for(check: Any) -> None:
    # The walk runs it only on pairs that differ in one of CHECK_KEYS[check]: reading another key, it would miss
    # a pair that differs there alone.
    seen: set[Any] = set()
    for a, b in itertools.product(_SAMPLES, repeat=2):
        for place in _PLACES:
            list(check(SchemaPair(_Recording(a, seen), _Recording(b, seen), place)))
    assert seen <= CHECK_KEYS[check], seen - CHECK_KEYS[check]


def test_the_checks_for_a_change_keep_their_order_and_include_the_unlisted_ones() -> None:
    found = checks_for(frozenset(("format", "properties")))
    assert list(found) == [c for c in SCHEMA_CHECKS if c in found]
    assert check_type in found and check_format in found and check_wholesale in found
    assert check_enum not in found and check_bounds not in found
    # a key no listed check reads (a hostile document may hold any) runs the unlisted ones, check_type among them
    assert checks_for(frozenset(("anything",))) == tuple(c for c in SCHEMA_CHECKS if c not in CHECK_KEYS)


def test_the_extensions_checks_read_are_watched() -> None:
    assert not any(unread(key) for key in READ_EXTENSIONS)
    assert unread("x-docgen-enum-table-extension") and unread("description") and not unread("enum")


_ANNOTATIONS: list[tuple[str, Any]] = [
    *((key, "a note") for key in sorted(UNREAD_KEYS)),
    ("examples", ["a", 1]),
    ("x-docgen-enum-table-extension", True),
]


@pytest.mark.parametrize("index", range(len(_SCHEMAS)))
def test_no_schema_check_finds_anything_when_only_annotations_change(index: int) -> None:
    schema = _SCHEMAS[index]
    for key, value in _ANNOTATIONS:
        annotated = {**copy.deepcopy(schema), key: value}
        for place in _PLACES:
            for old, new in ((schema, annotated), (annotated, schema)):
                for check in SCHEMA_CHECKS:
                    assert list(check(SchemaPair(old, new, place))) == [], (check.__name__, key, schema)


def _found(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c.id, c.location) for c in diff_docs(tmp_path, old, new).changes}


def test_a_real_change_beside_a_description_change_is_reported(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    amount = new["components"]["schemas"]["Money"]["properties"]["amount"]
    amount["description"] = "now documented"
    amount["maxLength"] = 9
    found = _found(tmp_path, old, new)
    assert ("response-property-max-length-set", "#/components/schemas/Money/properties/amount") in found


def test_a_change_inside_a_nested_property_of_an_annotation_only_pair_is_reported(tmp_path: Path) -> None:
    # `Line` itself differs only in its description and its property's title; what changed sits two levels down
    old, new = _spec(), _spec()
    line = new["components"]["schemas"]["Line"]
    line["description"] = "an order line"
    line["properties"]["price"] = {"title": "Price", "allOf": [_ref("Money")], "example": {"amount": "1"}}
    new["components"]["schemas"]["Money"]["properties"]["amount"] = {"type": "string", "format": "decimal"}
    old["components"]["schemas"]["Line"]["properties"]["price"] = {"allOf": [_ref("Money")]}
    found = _found(tmp_path, old, new)
    assert ("response-property-format-set", "#/components/schemas/Money/properties/amount") in found


@pytest.mark.parametrize(("key", "old", "new", "rule"), [
    ("x-nullable", False, True, "response-property-became-nullable"),
    ("x-extensible-enum", ["a"], ["a", "b"], "response-property-x-extensible-enum-value-added"),
    ("readOnly", False, True, "response-property-became-read-only"),
])  # fmt: skip
def test_a_read_extension_or_flag_changing_with_a_description_is_reported(
    tmp_path: Path, key: str, old: Any, new: Any, rule: str
) -> None:
    docs = _spec(), _spec()
    for doc, value, text in zip(docs, (old, new), ("old", "new"), strict=True):
        doc["components"]["schemas"]["Note"]["properties"]["text"] = {"type": "string", key: value, "description": text}
    found = _found(tmp_path, *docs)
    assert (rule, "#/components/schemas/Note/properties/text") in found, found


def test_alternatives_matched_by_title_are_still_compared(tmp_path: Path) -> None:
    # titles are read by the walk (pairing oneOf alternatives), never by a check: a retitled, reordered pair of
    # alternatives is matched by the titles they keep, and a change inside one is reported
    def alternatives(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
        return {"oneOf": [first, second], "description": "a payment"}

    card = {"title": "Card", "type": "object", "properties": {"number": {"type": "string"}}}
    bank = {"title": "Bank", "type": "object", "properties": {"iban": {"type": "string"}}}
    bank_new = {**copy.deepcopy(bank), "description": "a bank account"}
    bank_new["properties"]["iban"]["maxLength"] = 34
    old, new = _spec(), _spec()
    old["paths"]["/pay"] = {"get": {"operationId": "pay", "responses": _json_response(alternatives(card, bank))}}
    new["paths"]["/pay"] = {"get": {"operationId": "pay", "responses": _json_response(alternatives(bank_new, card))}}
    found = _found(tmp_path, old, new)
    where = "#/paths/~1pay/get/responses/200/content/application~1json/schema/oneOf/0/properties/iban"
    assert found == {("response-property-max-length-set", where)}


# Components whose schemas differ only in keys no check reads count as unchanged (SchemaComparer.clean_refs): the
# walk, and the whole comparison of an operation whose own text is identical, skip them.


def test_a_change_behind_components_whose_descriptions_changed_lists_every_operation(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    for name in ("Order", "Line", "Node"):  # every route to Money passes a component whose description changed
        new["components"]["schemas"][name]["description"] = f"the {name}"
    new["components"]["schemas"]["Money"]["properties"]["amount"]["type"] = "integer"
    assert [(c.id, c.location, c.operations) for c in diff_docs(tmp_path, old, new).changes] == [
        (
            "response-property-type-changed",
            "#/components/schemas/Money/properties/amount",
            ["GET /orders/{id}", "GET /prices", "GET /trees"],
        )
    ]


def test_components_whose_annotations_alone_changed_report_nothing(tmp_path: Path) -> None:
    old, new = _spec(), _spec()
    schemas = new["components"]["schemas"]
    schemas["Money"]["description"] = "an amount"
    schemas["Money"]["example"] = {"amount": "1.00"}
    schemas["Line"]["title"] = "Line"
    schemas["Node"]["x-docgen-enum-table-extension"] = True
    assert diff_docs(tmp_path, old, new).changes == []


def test_a_component_flag_turning_from_true_to_1_beside_a_description_is_compared(tmp_path: Path) -> None:
    # `true == 1`: the component is alike for the skip only when its flags keep their type, as `_alike` asks
    docs = _spec(), _spec()
    for doc, value, text in zip(docs, (True, 1), ("old", "new"), strict=True):
        doc["components"]["schemas"]["Money"].update(deprecated=value, description=text)
    found = _found(tmp_path, *docs)
    assert ("response-property-reactivated", "#/components/schemas/Money") in found, found


def test_a_null_alternative_that_gains_a_description_is_compared(tmp_path: Path) -> None:
    # `{type: null}` alone makes `oneOf: [X, null]` read as X nullable; with a description it is an alternative:
    # that component is not alike in both versions though only its description changed
    docs = _spec(), _spec()
    for doc in docs:
        doc["components"]["schemas"]["Null"] = {"type": "null"}
        doc["components"]["schemas"]["Note"]["properties"]["text"] = {"oneOf": [{"type": "string"}, _ref("Null")]}
    docs[1]["components"]["schemas"]["Null"]["description"] = "no text"
    assert docs[0]["paths"] == docs[1]["paths"]
    assert any(c.location.startswith("#/components/schemas/Note") for c in diff_docs(tmp_path, *docs).changes)


def test_only_schemas_whose_annotations_alone_changed_count_as_unchanged(tmp_path: Path) -> None:
    # other components' extensions are read (a parameter's x-sunset): they count as changed as before
    old, new = _spec(), _spec()
    new["components"]["parameters"]["OrderId"]["description"] = "the order"
    new["components"]["schemas"]["Note"]["description"] = "a note"
    comparer = SchemaComparer(_resolver(tmp_path / "old.yaml", old), _resolver(tmp_path / "new.yaml", new))
    clean = comparer.clean_refs()
    assert "#/components/schemas/Note" in clean and "#/components/schemas/Money" in clean
    assert "#/components/parameters/OrderId" not in clean


def _resolver(path: Path, doc: dict[str, Any]) -> Resolver:
    spec = load_spec(write_spec(path, doc))
    return Resolver(spec.root, spec.file, spec.refs)


@pytest.mark.parametrize("ref_name", ["Mo~1ney", "Mo%20ney", "Mo~0ney"], ids=["slash", "percent", "tilde"])
def test_components_named_with_escapes_in_their_refs_are_compared(tmp_path: Path, ref_name: str) -> None:
    # clean_refs looks plain names up directly; an escaped one goes through the resolver, which decodes it
    name = ref_name.replace("%20", " ").replace("~1", "/").replace("~0", "~")
    docs = _spec(), _spec()
    for doc in docs:
        schemas = doc["components"]["schemas"]
        schemas[name] = schemas.pop("Money")
        schemas[ref_name] = {"type": "string"}  # a decoy under the undecoded name, the same in both versions
        doc["paths"]["/prices"]["get"]["responses"] = _json_response({"$ref": f"#/components/schemas/{ref_name}"})
    docs[1]["components"]["schemas"][name]["description"] = "an amount"
    assert diff_docs(tmp_path, *docs).changes == []
    docs[1]["components"]["schemas"][name]["properties"]["amount"]["type"] = "integer"
    assert [(c.id, c.location) for c in diff_docs(tmp_path, *docs).changes] == [
        ("response-property-type-changed", f"#/components/schemas/{ref_name}/properties/amount")
    ]


def test_each_change_of_a_pair_whose_properties_changed_too_is_reported(tmp_path: Path) -> None:
    # the walk runs only the checks that read a key that changed: here `properties`, `format` and `maxLength`
    old, new = _spec(), _spec()
    money = new["components"]["schemas"]["Money"]
    money["properties"]["currency"] = {"type": "string"}
    money.update(format="money", maxLength=9)
    found = {c.id for c in diff_docs(tmp_path, old, new).changes}
    assert found == {
        "response-optional-property-added",
        "response-body-format-set",
        "response-property-format-set",
        "response-body-max-length-set",
        "response-property-max-length-set",
    }, found
