"""Every generated schema rule `<context>-<aspect>`: one minimal pair per aspect, placed in every context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor.engine import rules
from monitor.engine.messages import split_schema_rule
from monitor.engine.rules.aspects import ASPECTS, BOUNDS, CONTEXTS, PROPERTY_CONTEXTS, PROPERTY_ONLY
from tests.engine.helpers import diff_docs

Schema = dict[str, Any]


@dataclass(frozen=True)
class Pair:
    """Old and new schema of the changed thing; `required` is whether property `p` is required (old, new)."""

    old: Schema
    new: Schema
    required: tuple[bool, bool] = (False, False)


STRING: Schema = {"type": "string"}
ARRAY: Schema = {"type": "array", "items": {"type": "string"}}
OBJECT: Schema = {"type": "object"}


def _with(base: Schema, **keywords: Any) -> Schema:
    return {**base, **keywords}


def _alternatives(keyword: str, *types: str) -> Schema:
    return {keyword: [{"type": t} for t in types]}


def _discriminated(property_name: str = "kind", **mapping: str) -> Schema:
    discriminator: dict[str, Any] = {"propertyName": property_name}
    if mapping:
        discriminator["mapping"] = {value: f"#/components/schemas/{target}" for value, target in mapping.items()}
    return _with(OBJECT, discriminator=discriminator)


TWO, THREE = ("string", "integer"), ("string", "integer", "boolean")


PAIRS: dict[str, Pair] = {
    "type-changed": Pair(STRING, {"type": "boolean"}),
    "type-generalized": Pair({"type": "integer"}, {"type": "number"}),
    "type-specialized": Pair({"type": "number"}, {"type": "integer"}),
    # every property replaced, and something required on both sides
    "object-replaced": Pair(
        {**OBJECT, "properties": {"a": STRING, "b": STRING}, "required": ["a"]},
        {**OBJECT, "properties": {"c": STRING, "d": STRING}, "required": ["c"]},
    ),
    # an untyped schema accepts any value (a bare `{}` body is undocumented instead: see test_narrowing.py)
    "type-set": Pair({"description": "any value"}, STRING),
    "type-unset": Pair(STRING, {"description": "any value"}),
    "list-of-types-narrowed": Pair({"type": ["string", "integer"]}, STRING),
    "list-of-types-widened": Pair(STRING, {"type": ["string", "integer"]}),
    "format-changed": Pair(_with(STRING, format="uuid"), _with(STRING, format="email")),
    "format-generalized": Pair({"type": "integer", "format": "int32"}, {"type": "integer", "format": "int64"}),
    "format-set": Pair(STRING, _with(STRING, format="date-time")),
    "format-unset": Pair(_with(STRING, format="date-time"), STRING),
    "became-enum": Pair(STRING, _with(STRING, enum=["a", "b"])),
    "enum-removed": Pair(_with(STRING, enum=["a", "b"]), STRING),
    "enum-value-added": Pair(_with(STRING, enum=["a"]), _with(STRING, enum=["a", "b"])),
    "enum-value-removed": Pair(_with(STRING, enum=["a", "b"]), _with(STRING, enum=["a"])),
    "enum-value-case-changed": Pair(_with(STRING, enum=["a", "b"]), _with(STRING, enum=["a", "B"])),
    "x-extensible-enum-value-added": Pair(
        _with(STRING, **{"x-extensible-enum": ["a"]}), _with(STRING, **{"x-extensible-enum": ["a", "b"]})
    ),
    "x-extensible-enum-value-removed": Pair(
        _with(STRING, **{"x-extensible-enum": ["a", "b"]}), _with(STRING, **{"x-extensible-enum": ["a"]})
    ),
    "pattern-added": Pair(STRING, _with(STRING, pattern="^a")),
    "pattern-removed": Pair(_with(STRING, pattern="^a"), STRING),
    "pattern-changed": Pair(_with(STRING, pattern="^a"), _with(STRING, pattern="^b")),
    "multiple-of-set": Pair({"type": "integer"}, {"type": "integer", "multipleOf": 2}),
    "multiple-of-unset": Pair({"type": "integer", "multipleOf": 2}, {"type": "integer"}),
    "multiple-of-changed": Pair({"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}),
    "unique-items-set": Pair(ARRAY, _with(ARRAY, uniqueItems=True)),
    "unique-items-unset": Pair(_with(ARRAY, uniqueItems=True), ARRAY),
    "default-value-added": Pair(STRING, _with(STRING, default="a")),
    "default-value-removed": Pair(_with(STRING, default="a"), STRING),
    "default-value-changed": Pair(_with(STRING, default="a"), _with(STRING, default="b")),
    # OpenAPI 3.1 spells nullability as a type list; "null" is not a type change
    "became-nullable": Pair(STRING, {"type": ["string", "null"]}),
    "became-not-nullable": Pair({"type": ["string", "null"]}, STRING),
    "deprecated": Pair(STRING, _with(STRING, deprecated=True)),
    "reactivated": Pair(_with(STRING, deprecated=True), STRING),
    "additional-properties-restricted": Pair(OBJECT, _with(OBJECT, additionalProperties=False)),
    "additional-properties-allowed": Pair(_with(OBJECT, additionalProperties=False), OBJECT),
    # alternatives are matched by content, so the extra one is the only one added or removed
    "one-of-added": Pair(_alternatives("oneOf", *TWO), _alternatives("oneOf", *THREE)),
    "one-of-removed": Pair(_alternatives("oneOf", *THREE), _alternatives("oneOf", *TWO)),
    "any-of-added": Pair(_alternatives("anyOf", *TWO), _alternatives("anyOf", *THREE)),
    "any-of-removed": Pair(_alternatives("anyOf", *THREE), _alternatives("anyOf", *TWO)),
    "discriminator-added": Pair(OBJECT, _discriminated()),
    "discriminator-removed": Pair(_discriminated(), OBJECT),
    "discriminator-property-name-changed": Pair(_discriminated(), _discriminated("type")),
    "discriminator-mapping-added": Pair(_discriminated(a="A"), _discriminated(a="A", b="B")),
    "discriminator-mapping-removed": Pair(_discriminated(a="A", b="B"), _discriminated(a="A")),
    "discriminator-mapping-changed": Pair(_discriminated(a="A"), _discriminated(a="B")),
    "const-changed": Pair(_with(STRING, const="a"), _with(STRING, const="b")),
    "content-encoding-changed": Pair(_with(STRING, contentEncoding="base64"), _with(STRING, contentEncoding="base32")),
    "content-media-type-changed": Pair(
        _with(STRING, contentMediaType="image/png"), _with(STRING, contentMediaType="image/jpeg")
    ),
    "content-schema-added": Pair(
        _with(STRING, contentMediaType="application/json"),
        _with(STRING, contentMediaType="application/json", contentSchema=OBJECT),
    ),
    "content-schema-removed": Pair(
        _with(STRING, contentMediaType="application/json", contentSchema=OBJECT),
        _with(STRING, contentMediaType="application/json"),
    ),
    "contains-added": Pair(ARRAY, _with(ARRAY, contains={"const": "a"})),
    "contains-removed": Pair(_with(ARRAY, contains={"const": "a"}), ARRAY),
    "prefix-items-added": Pair(ARRAY, _with(ARRAY, prefixItems=[{"const": "a"}])),
    "prefix-items-removed": Pair(_with(ARRAY, prefixItems=[{"const": "a"}]), ARRAY),
    # if, then and else are reported one by one, so each is added on its own
    "if-added": Pair(OBJECT, _with(OBJECT, **{"if": {"required": ["a"]}})),
    "if-removed": Pair(_with(OBJECT, **{"if": {"required": ["a"]}}), OBJECT),
    "then-added": Pair(OBJECT, _with(OBJECT, then={"required": ["b"]})),
    "then-removed": Pair(_with(OBJECT, then={"required": ["b"]}), OBJECT),
    "else-added": Pair(OBJECT, _with(OBJECT, **{"else": {"required": ["c"]}})),
    "else-removed": Pair(_with(OBJECT, **{"else": {"required": ["c"]}}), OBJECT),
    "dependent-required-added": Pair(OBJECT, _with(OBJECT, dependentRequired={"a": ["b"]})),
    "dependent-required-removed": Pair(_with(OBJECT, dependentRequired={"a": ["b"]}), OBJECT),
    "dependent-required-changed": Pair(
        _with(OBJECT, dependentRequired={"a": ["b"]}), _with(OBJECT, dependentRequired={"a": ["c"]})
    ),
    "dependent-schema-added": Pair(OBJECT, _with(OBJECT, dependentSchemas={"a": {"required": ["b"]}})),
    "dependent-schema-removed": Pair(_with(OBJECT, dependentSchemas={"a": {"required": ["b"]}}), OBJECT),
    "pattern-property-added": Pair(OBJECT, _with(OBJECT, patternProperties={"^x-": STRING})),
    "pattern-property-removed": Pair(_with(OBJECT, patternProperties={"^x-": STRING}), OBJECT),
    "property-names-added": Pair(OBJECT, _with(OBJECT, propertyNames={"pattern": "^[a-z]+$"})),
    "property-names-removed": Pair(_with(OBJECT, propertyNames={"pattern": "^[a-z]+$"}), OBJECT),
    "unevaluated-items-added": Pair(ARRAY, _with(ARRAY, unevaluatedItems=False)),
    "unevaluated-items-removed": Pair(_with(ARRAY, unevaluatedItems=False), ARRAY),
    "unevaluated-properties-added": Pair(OBJECT, _with(OBJECT, unevaluatedProperties=False)),
    "unevaluated-properties-removed": Pair(_with(OBJECT, unevaluatedProperties=False), OBJECT),
    # property-only aspects: requiredness lives on the parent object, visibility on the property
    "became-required": Pair(STRING, STRING, required=(False, True)),
    "became-optional": Pair(STRING, STRING, required=(True, False)),
    "became-read-only": Pair(STRING, _with(STRING, readOnly=True)),
    "became-not-read-only": Pair(_with(STRING, readOnly=True), STRING),
    "became-write-only": Pair(STRING, _with(STRING, writeOnly=True)),
    "became-not-write-only": Pair(_with(STRING, writeOnly=True), STRING),
}

# bound keyword -> the schema it makes sense on
_BOUNDED: dict[str, Schema] = {
    "maximum": {"type": "number"},
    "minimum": {"type": "number"},
    "exclusiveMaximum": {"type": "number"},
    "exclusiveMinimum": {"type": "number"},
    "maxLength": STRING,
    "minLength": STRING,
    "maxItems": ARRAY,
    "minItems": ARRAY,
    "maxProperties": OBJECT,
    "minProperties": OBJECT,
    "maxContains": _with(ARRAY, contains={"const": "a"}),
    "minContains": _with(ARRAY, contains={"const": "a"}),
}
for _keyword, _stem in BOUNDS.items():
    _base = _BOUNDED[_keyword]
    PAIRS[f"{_stem}-increased"] = Pair({**_base, _keyword: 2}, {**_base, _keyword: 5})
    PAIRS[f"{_stem}-decreased"] = Pair({**_base, _keyword: 5}, {**_base, _keyword: 2})
    PAIRS[f"{_stem}-set"] = Pair(_base, {**_base, _keyword: 2})
    PAIRS[f"{_stem}-unset"] = Pair({**_base, _keyword: 2}, _base)

# Mirrors that no suffix swap can derive.
_OPPOSITES = {
    "became-enum": "enum-removed",
    "type-generalized": "type-specialized",
    "list-of-types-narrowed": "list-of-types-widened",
    "became-required": "became-optional",
    "additional-properties-restricted": "additional-properties-allowed",
    "deprecated": "reactivated",
    "object-replaced": "object-replaced",
}
_OPPOSITES.update({v: k for k, v in _OPPOSITES.items()})
_SUFFIXES = (("-increased", "-decreased"), ("-unset", "-set"), ("-added", "-removed"))

# aspect -> (what the reversed pair reports instead of a mirror, or None for nothing; why)
WAIVERS: dict[str, tuple[str | None, str]] = {
    "format-generalized": (
        "format-changed",
        "a narrowed format (int64 to int32) has no rule of its own; it is an incompatible format change",
    ),
}


def mirror(aspect: str) -> str | None:
    """The aspect the reversed pair reports: the opposite change, or the same one for symmetric aspects."""
    if aspect in WAIVERS:
        return WAIVERS[aspect][0]
    if aspect in _OPPOSITES:
        return _OPPOSITES[aspect]
    for a, b in _SUFFIXES:
        for this, that in ((a, b), (b, a)):
            if aspect.endswith(this):
                return aspect[: -len(this)] + that
    if aspect.startswith("became-not-"):
        return "became-" + aspect.removeprefix("became-not-")
    if aspect.startswith("became-"):
        return "became-not-" + aspect.removeprefix("became-")
    if aspect.endswith("-changed"):
        return aspect
    raise AssertionError(f"no mirror known for {aspect}")


# -- one spec per context -------------------------------------------------------------------------------------------
OK = {"description": "ok"}
JSON = "application/json"


def _document(paths: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "aspects", "version": "1"}, "paths": paths}


def _query_parameter(schema: Schema) -> dict[str, Any]:
    return {
        "/items": {"get": {"parameters": [{"name": "q", "in": "query", "schema": schema}], "responses": {"200": OK}}}
    }


def _request_body(schema: Schema) -> dict[str, Any]:
    return {"/items": {"post": {"requestBody": {"content": {JSON: {"schema": schema}}}, "responses": {"200": OK}}}}


def _response_body(schema: Schema) -> dict[str, Any]:
    return {"/items": {"get": {"responses": {"200": {**OK, "content": {JSON: {"schema": schema}}}}}}}


def _response_header(schema: Schema) -> dict[str, Any]:
    return {"/items": {"get": {"responses": {"200": {**OK, "headers": {"X-Rate": {"schema": schema}}}}}}}


def _webhook(schema: Schema) -> dict[str, Any]:
    """Under `webhooks`, not `paths` (see `spec_for`): the platform sends this request."""
    return {
        "orderCreated": {"post": {"requestBody": {"content": {JSON: {"schema": schema}}}, "responses": {"200": OK}}}
    }


@dataclass(frozen=True)
class Template:
    paths: Callable[[Schema], dict[str, Any]]
    in_property: bool  # the pair is property `p` of an object rather than the whole schema
    operation: str
    location: str


_PARAMETER = "#/paths/~1items/get/parameters/query/q/schema"
_BODY = "#/paths/~1items/post/requestBody/content/application~1json/schema"
_RESPONSE = "#/paths/~1items/get/responses/200/content/application~1json/schema"
_HEADER = "#/paths/~1items/get/responses/200/headers/X-Rate/schema"
_WEBHOOK = "#/webhooks/orderCreated/post/requestBody/content/application~1json/schema"
TEMPLATES: dict[str, Template] = {
    "request-parameter": Template(_query_parameter, False, "GET /items", _PARAMETER),
    "request-parameter-property": Template(_query_parameter, True, "GET /items", f"{_PARAMETER}/properties/p"),
    "request-body": Template(_request_body, False, "POST /items", _BODY),
    "request-property": Template(_request_body, True, "POST /items", f"{_BODY}/properties/p"),
    "response-body": Template(_response_body, False, "GET /items", _RESPONSE),
    "response-property": Template(_response_body, True, "GET /items", f"{_RESPONSE}/properties/p"),
    "response-header": Template(_response_header, False, "GET /items", _HEADER),
    "webhook-body": Template(_webhook, False, "POST webhook:orderCreated", _WEBHOOK),
    "webhook-property": Template(_webhook, True, "POST webhook:orderCreated", f"{_WEBHOOK}/properties/p"),
}


def spec_for(context: str, schema: Schema, required: bool) -> dict[str, Any]:
    template = TEMPLATES[context]
    if template.in_property:
        schema = {"type": "object", "properties": {"p": schema}, **({"required": ["p"]} if required else {})}
    if template.paths is _webhook:
        return {**_document({}), "webhooks": _webhook(schema)}
    return _document(template.paths(schema))


def _is_generated(rule_id: str) -> bool:
    """A `<context>-<aspect>` id; explicit ids that merely look like one (request-body-became-required, with a
    property-only aspect outside a property context) are operation rules, tested in test_operations.py."""
    context, aspect = split_schema_rule(rule_id)
    return context is not None and (aspect not in PROPERTY_ONLY or context in PROPERTY_CONTEXTS)


SCHEMA_IDS = sorted(rule_id for rule_id in rules() if _is_generated(rule_id))
COVERED = set(SCHEMA_IDS)  # every test below reports its id and the mirror's


def test_every_aspect_has_a_pair_and_every_context_a_template() -> None:
    assert set(PAIRS) == set(ASPECTS)
    assert set(TEMPLATES) == set(CONTEXTS)
    assert {c for c, t in TEMPLATES.items() if t.in_property} == set(PROPERTY_CONTEXTS)


def test_every_generated_context_aspect_combination_is_in_the_catalogue() -> None:
    expected = {
        f"{context}-{aspect}"
        for context in CONTEXTS
        for aspect in ASPECTS
        if aspect not in PROPERTY_ONLY or context in PROPERTY_CONTEXTS
    }
    assert expected == set(SCHEMA_IDS)


@pytest.mark.parametrize("aspect", sorted(ASPECTS))
def test_mirror_is_an_aspect_and_mirrors_back(aspect: str) -> None:
    other = mirror(aspect)
    if aspect in WAIVERS:
        assert other is None or other in ASPECTS
        return
    assert other in ASPECTS
    assert mirror(other) == aspect


@pytest.mark.parametrize("rule_id", SCHEMA_IDS)
def test_schema_change_is_reported_once_and_reversed_as_its_mirror(tmp_path: Path, rule_id: str) -> None:
    context, aspect = split_schema_rule(rule_id)
    assert context is not None
    pair, template = PAIRS[aspect], TEMPLATES[context]
    old = spec_for(context, pair.old, pair.required[0])
    new = spec_for(context, pair.new, pair.required[1])
    catalogue = rules()

    changes = diff_docs(tmp_path, old, new).changes
    assert [c.id for c in changes] == [rule_id]
    (change,) = changes
    assert change.level == catalogue[rule_id].level
    assert change.operations == [template.operation]
    assert change.location == template.location

    expected = mirror(aspect)
    reversed_changes = diff_docs(tmp_path, new, old).changes
    if expected is None:
        assert reversed_changes == []
        return
    mirror_id = f"{context}-{expected}"
    assert [c.id for c in reversed_changes] == [mirror_id]
    assert reversed_changes[0].level == catalogue[mirror_id].level
    assert reversed_changes[0].operations == [template.operation]


def test_one_rule_looked_up_alone_is_the_catalogues() -> None:
    # a diff looks up only the rule ids it meets (rules.rule) instead of generating the whole catalogue
    from monitor.engine.rules import catalogue, rule

    table = catalogue()
    assert all(rule(rule_id) == found for rule_id, found in table.items())
    with pytest.raises(KeyError):
        rule("request-property-no-such-aspect")
