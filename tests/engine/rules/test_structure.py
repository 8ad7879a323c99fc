"""Structural changes reported once: a container that changes kind, alternatives matched by structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.engine import Level
from tests.engine.helpers import diff_docs
from tests.engine.rules.test_operations import JSON, OK, api, covers, expect, expect_nothing, obj

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
STRING = {"type": "string"}
RESPONSE = "#/paths/~1items/get/responses/200/content/application~1json/schema"
REQUEST = "#/paths/~1items/post/requestBody/content/application~1json/schema"


def returns(schema: dict[str, Any]) -> dict[str, Any]:
    return api({"/items": {"get": {"responses": {"200": {**OK, "content": {JSON: {"schema": schema}}}}}}})


def accepts(schema: dict[str, Any]) -> dict[str, Any]:
    body = {"content": {JSON: {"schema": schema}}}
    return api({"/items": {"post": {"requestBody": body, "responses": {"200": OK}}}})


DIMENSIONS = obj(("marketplaceId",), marketplaceId=STRING, item=STRING, package=STRING)


# -- a container that changes kind ------------------------------------------------------------------------------
def test_response_property_object_becoming_array_is_one_type_change_not_each_property_removed(tmp_path: Path) -> None:
    old = returns(obj(dimensions=DIMENSIONS))
    new = returns(obj(dimensions={"type": "array", "items": DIMENSIONS}))
    args = {"property": "dimensions", "status": "200", "old": "object", "new": "array"}
    at = f"{RESPONSE}/properties/dimensions"
    expect(diff_docs(tmp_path, old, new), "response-property-type-changed", BREAKING, "GET /items", at, args)
    reverse = {**args, "old": "array", "new": "object"}
    expect(diff_docs(tmp_path, new, old), "response-property-type-changed", BREAKING, "GET /items", at, reverse)


def test_request_body_object_replaced_by_a_string_is_one_type_change(tmp_path: Path) -> None:
    old, new = accepts(DIMENSIONS), accepts(STRING)
    args = {"old": "object", "new": "string"}
    expect(diff_docs(tmp_path, old, new), "request-body-type-changed", BREAKING, "POST /items", REQUEST, args)
    reverse = {"old": "string", "new": "object"}
    expect(diff_docs(tmp_path, new, old), "request-body-type-changed", BREAKING, "POST /items", REQUEST, reverse)


def test_untyped_object_becoming_an_array_is_a_type_change(tmp_path: Path) -> None:
    """`properties` without `type` is an object all the same; its properties are not reported one by one."""
    untyped = {"properties": {"a": STRING, "b": STRING}, "required": ["a"]}
    old, new = returns(obj(p=untyped)), returns(obj(p={"type": "array", "items": STRING}))
    at = f"{RESPONSE}/properties/p"
    expect(diff_docs(tmp_path, old, new), "response-property-type-changed", BREAKING, "GET /items", at)
    expect(diff_docs(tmp_path, new, old), "response-property-type-changed", BREAKING, "GET /items", at)


def test_a_component_changing_kind_reports_once_for_every_operation(tmp_path: Path) -> None:
    def spec(dimensions: dict[str, Any]) -> dict[str, Any]:
        ref = {"$ref": "#/components/schemas/Dimensions"}
        doc = returns(obj(a=ref, b=ref))
        doc["components"] = {"schemas": {"Dimensions": dimensions}}
        return doc

    old, new = spec(DIMENSIONS), spec({"type": "array", "items": STRING})
    expect(
        diff_docs(tmp_path, old, new),
        "response-property-type-changed",
        BREAKING,
        "GET /items",
        "#/components/schemas/Dimensions",
    )


def test_integer_becoming_number_still_compares_nothing_more(tmp_path: Path) -> None:
    old, new = returns(obj(n={"type": "integer"})), returns(obj(n={"type": "number"}))
    expect(diff_docs(tmp_path, old, new), "response-property-type-generalized", BREAKING, "GET /items")
    expect_nothing(diff_docs(tmp_path, new, new))


# -- inline alternatives matched by structure --------------------------------------------------------------------
def _payment(card: dict[str, Any], method: str = "oneOf") -> dict[str, Any]:
    """Two inline alternatives (no $ref, no title) whose properties point at components."""
    doc = returns({method: [
        obj(("card",), card={"$ref": "#/components/schemas/Card"}),
        obj(("iban",), iban={"$ref": "#/components/schemas/Iban"}, fallback={"$ref": "#/components/schemas/Card"}),
    ]})  # fmt: skip
    doc["components"] = {"schemas": {"Card": card, "Iban": STRING}}
    return doc


def test_unchanged_inline_alternatives_whose_component_changed_are_paired_not_removed_and_added(
    tmp_path: Path,
) -> None:
    """Card changing makes both alternatives differ in their refs; each is still the same alternative."""
    old, new = _payment(obj(number=STRING)), _payment(obj(number=STRING, brand=STRING))
    at = "#/components/schemas/Card/properties/brand"
    args = {"property": "brand", "schema": "Card"}
    expect(diff_docs(tmp_path, old, new), "response-optional-property-added", INFO, "GET /items", at, args)
    expect(diff_docs(tmp_path, new, old), "response-optional-property-removed", WARNING, "GET /items", at, args)


def test_reordered_inline_alternatives_that_both_changed_are_matched_by_their_properties(tmp_path: Path) -> None:
    card, iban = obj(("card",), card=STRING), obj(("iban",), iban=STRING, holder=STRING)
    old = returns({"anyOf": [card, iban]})
    new = returns(
        {"anyOf": [obj(("iban",), iban=STRING, holder=STRING, bic=STRING), obj(("card",), card=STRING, cvc=STRING)]}
    )
    changes = diff_docs(tmp_path, old, new).changes
    assert sorted((c.id, c.location.rsplit("/schema/", 1)[1], c.args["property"]) for c in changes) == [
        ("response-optional-property-added", "anyOf/0/properties/bic", "bic"),
        ("response-optional-property-added", "anyOf/1/properties/cvc", "cvc"),
    ]
    reverse = diff_docs(tmp_path, new, old).changes
    assert sorted(c.id for c in reverse) == ["response-optional-property-removed"] * 2


def test_an_inline_alternative_of_another_kind_is_still_added_and_removed(tmp_path: Path) -> None:
    old = returns({"oneOf": [STRING, obj(a=STRING), {"type": "boolean"}]})
    new = returns({"oneOf": [{"type": "integer"}, obj(a=STRING, b=STRING), {"type": "array", "items": STRING}]})
    changes = diff_docs(tmp_path, old, new).changes
    assert sorted((c.id, c.args.get("alternative") or c.args.get("property")) for c in changes) == [
        ("response-body-one-of-added", "array"),
        ("response-body-one-of-added", "integer"),
        ("response-body-one-of-removed", "boolean"),
        ("response-body-one-of-removed", "string"),
        ("response-optional-property-added", "b"),
    ]


# -- a response property that stops being required, through every path to it ------------------------------------
def _reaching_base(required: list[str]) -> dict[str, Any]:
    """Base returned directly, through allOf, nested in a property, and through a component that is allOf Base."""

    def returning(schema: dict[str, Any]) -> dict[str, Any]:
        return {"get": {"responses": {"200": {**OK, "content": {JSON: {"schema": schema}}}}}}

    base = {"$ref": "#/components/schemas/Base"}
    doc = api({
        "/direct": returning(base),
        "/all-of": returning({"allOf": [base, obj(extra=STRING)]}),
        "/nested": returning(obj(item=base)),
        "/wrapped": returning({"$ref": "#/components/schemas/Wrapped"}),
    })  # fmt: skip
    base_schema = {**obj(a=STRING, b=STRING), "required": required}
    doc["components"] = {"schemas": {"Base": base_schema, "Wrapped": {"allOf": [base]}}}
    return doc


def test_a_response_property_no_longer_required_is_reported_once_for_every_path_to_it(tmp_path: Path) -> None:
    old, new = _reaching_base(["a", "b"]), _reaching_base(["b"])
    at, args = "#/components/schemas/Base/properties/a", {"schema": "Base", "property": "a"}
    operations = ["GET /all-of", "GET /direct", "GET /nested", "GET /wrapped"]
    expect(diff_docs(tmp_path, old, new), "response-property-became-optional", BREAKING, "GET /all-of", at, args)
    assert diff_docs(tmp_path, old, new).changes[0].operations == operations
    reverse = diff_docs(tmp_path, new, old)
    expect(reverse, "response-property-became-required", INFO, "GET /all-of", at, args)
    assert reverse.changes[0].operations == operations


def test_a_property_added_to_an_all_of_part_is_reported_at_that_part(tmp_path: Path) -> None:
    old = _reaching_base(["a"])
    new = _reaching_base(["a"])
    new["components"]["schemas"]["Base"]["properties"]["c"] = STRING
    at = "#/components/schemas/Base/properties/c"
    result = diff_docs(tmp_path, old, new)
    expect(result, "response-optional-property-added", INFO, "GET /all-of", at, {"schema": "Base", "property": "c"})
    reverse = diff_docs(tmp_path, new, old)
    expect(reverse, "response-optional-property-removed", WARNING, "GET /all-of", at)
    assert reverse.changes[0].operations == ["GET /all-of", "GET /direct", "GET /nested", "GET /wrapped"]


# -- an object that becomes a oneOf of partial objects ---------------------------------------------------------
FULL = obj(("foo", "bar"), foo=STRING, bar=STRING, baz=STRING)


def _partial(required: str, **extra: Any) -> dict[str, Any]:
    return {**obj((required,), foo=STRING, bar=STRING, baz=STRING), **extra}


@covers("request-body-one-of-ambiguous")
def test_an_object_split_into_overlapping_one_of_alternatives_rejects_bodies_that_were_valid(tmp_path: Path) -> None:
    """{foo, bar} matches both {required foo} and {required bar}: oneOf accepts exactly one (oasdiff's fixture)."""
    old, new = accepts(FULL), accepts({"oneOf": [_partial("foo"), _partial("bar")]})
    result = diff_docs(tmp_path, old, new)
    breaking = [c for c in result.changes if c.level is BREAKING]
    assert [(c.id, c.location, c.args) for c in breaking] == [
        ("request-body-one-of-ambiguous", REQUEST, {"alternatives": 2})
    ]
    assert not [c for c in result.changes if c.id == "request-property-removed"], "the properties are all still there"
    reverse = diff_docs(tmp_path, new, old)
    assert "request-body-one-of-ambiguous" not in {c.id for c in reverse.changes}
    assert not [c for c in reverse.changes if c.id.startswith("new-")], "the properties were all there before"


@covers("request-property-one-of-ambiguous")
def test_a_request_property_split_into_overlapping_alternatives_is_breaking(tmp_path: Path) -> None:
    old, new = accepts(obj(payer=FULL)), accepts(obj(payer={"oneOf": [_partial("foo"), _partial("bar")]}))
    args = {"property": "payer", "alternatives": 2}
    at = f"{REQUEST}/properties/payer"
    breaking = [c for c in diff_docs(tmp_path, old, new).changes if c.level is BREAKING]
    assert [(c.id, c.location, c.args) for c in breaking] == [("request-property-one-of-ambiguous", at, args)]


def test_alternatives_told_apart_by_a_const_or_a_discriminator_are_not_ambiguous(tmp_path: Path) -> None:
    kinds = [_partial("foo", properties={**FULL["properties"], "kind": {"const": k}}) for k in ("a", "b")]
    old = accepts(obj(("foo", "bar"), foo=STRING, bar=STRING, baz=STRING, kind=STRING))
    changes = diff_docs(tmp_path, old, accepts({"oneOf": kinds})).changes
    assert "request-body-one-of-ambiguous" not in {c.id for c in changes}
    discriminated = {"oneOf": [_partial("foo"), _partial("bar")], "discriminator": {"propertyName": "foo"}}
    assert "request-body-one-of-ambiguous" not in {
        c.id for c in diff_docs(tmp_path, accepts(FULL), accepts(discriminated)).changes
    }


def test_a_response_object_split_into_partial_alternatives_may_now_lack_each_property(tmp_path: Path) -> None:
    old, new = returns(FULL), returns({"oneOf": [_partial("foo"), _partial("bar")]})
    result = diff_docs(tmp_path, old, new)
    optional = sorted((c.id, c.args["property"]) for c in result.changes if c.id.endswith("became-optional"))
    assert optional == [("response-property-became-optional", "bar"), ("response-property-became-optional", "foo")]
    assert {c.level for c in result.changes if c.id.endswith("became-optional")} == {BREAKING}
    assert not [c for c in result.changes if "property-removed" in c.id]


# -- a schema replaced wholesale --------------------------------------------------------------------------------
TOKEN_OLD = obj(("accessToken",), accessToken=STRING, expiresIn={"type": "integer"}, tokenType=STRING)
TOKEN_NEW = obj(("access_token",), access_token=STRING, expires_in={"type": "integer"}, token_type=STRING)


def test_a_response_object_replaced_wholesale_is_one_finding_not_each_property(tmp_path: Path) -> None:
    """Walmart POST /v3/token 212d57cb -> 17d2938d: camelCase properties became snake_case ones."""
    args = {"status": "200", "old": ["accessToken", "expiresIn", "tokenType"],
            "new": ["access_token", "expires_in", "token_type"]}  # fmt: skip
    result = diff_docs(tmp_path, returns(TOKEN_OLD), returns(TOKEN_NEW))
    expect(result, "response-body-object-replaced", BREAKING, "GET /items", RESPONSE, args)
    reverse = diff_docs(tmp_path, returns(TOKEN_NEW), returns(TOKEN_OLD))
    expect(reverse, "response-body-object-replaced", BREAKING, "GET /items", RESPONSE)


def test_an_object_of_optional_properties_replaced_keeps_its_per_property_findings(tmp_path: Path) -> None:
    """Nothing was promised: each optional property removed is a warning, as it would be alone."""
    old, new = returns(obj(a=STRING, b=STRING)), returns(obj(c=STRING, d=STRING))
    ids = sorted(c.id for c in diff_docs(tmp_path, old, new).changes)
    assert ids == ["response-optional-property-added"] * 2 + ["response-optional-property-removed"] * 2


def test_a_request_object_replaced_by_one_that_requires_something_is_one_breaking_finding(tmp_path: Path) -> None:
    result = diff_docs(tmp_path, accepts(obj(a=STRING, b=STRING)), accepts(obj(("c",), c=STRING, d=STRING)))
    expect(result, "request-body-object-replaced", BREAKING, "POST /items", REQUEST)
    reverse = sorted(
        c.id
        for c in diff_docs(tmp_path, accepts(obj(("c",), c=STRING, d=STRING)), accepts(obj(a=STRING, b=STRING))).changes
    )
    assert reverse == ["new-optional-request-property"] * 2 + ["request-property-removed"] * 2


def test_partial_alternatives_merged_back_into_one_object_are_located_at_the_object(tmp_path: Path) -> None:
    old, new = accepts({"oneOf": [_partial("foo"), _partial("bar")]}), accepts(FULL)
    changes = diff_docs(tmp_path, old, new).changes
    required = sorted((c.id, c.location) for c in changes if c.id.endswith("became-required"))
    assert required == [
        ("request-property-became-required", f"{REQUEST}/properties/bar"),
        ("request-property-became-required", f"{REQUEST}/properties/foo"),
    ]
