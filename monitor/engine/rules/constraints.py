"""Validation keywords: bounds, pattern, multipleOf, uniqueItems and the JSON Schema 2020-12 keywords."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.engine.rules.aspects import BOUNDS
from monitor.engine.rules.base import Finding
from monitor.engine.rules.schema_pair import SchemaPair

# OpenAPI 3.1 keywords whose mere appearance constrains what is valid: keyword -> aspect stem
PRESENCE = {
    "contains": "contains", "prefixItems": "prefix-items", "if": "if", "then": "then", "else": "else",
    "propertyNames": "property-names", "unevaluatedItems": "unevaluated-items",
    "unevaluatedProperties": "unevaluated-properties", "contentSchema": "content-schema",
}  # fmt: skip


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_bounds(p: SchemaPair) -> Iterator[Finding]:
    """A tighter bound rejects values that used to be valid (breaks request writers); a looser one surprises readers."""
    for keyword, stem in BOUNDS.items():
        old, new = p.old.get(keyword), p.new.get(keyword)
        if old == new:
            continue
        if isinstance(old, bool) or isinstance(new, bool):  # OpenAPI 3.0 exclusiveMaximum: true
            if new is True and old is not True:
                yield p.finding(f"{stem}-set", new=True)
            elif old is True and new is not True:
                yield p.finding(f"{stem}-unset", old=True)
            continue
        o, n = _number(old), _number(new)
        if o is None and n is not None:
            yield p.finding(f"{stem}-set", new=n)
        elif o is not None and n is None:
            yield p.finding(f"{stem}-unset", old=o)
        elif o is not None and n is not None:
            yield p.finding(f"{stem}-{'increased' if n > o else 'decreased'}", old=o, new=n)


def check_pattern(p: SchemaPair) -> Iterator[Finding]:
    old, new = p.old.get("pattern"), p.new.get("pattern")
    if old == new:
        return
    if old is None:
        yield p.finding("pattern-added", new=new)
    elif new is None:
        yield p.finding("pattern-removed", old=old)
    else:
        yield p.finding("pattern-changed", old=old, new=new)


def check_multiple_of(p: SchemaPair) -> Iterator[Finding]:
    old, new = _number(p.old.get("multipleOf")), _number(p.new.get("multipleOf"))
    if old == new:
        return
    if old is None:
        yield p.finding("multiple-of-set", new=new)
    elif new is None:
        yield p.finding("multiple-of-unset", old=old)
    else:
        yield p.finding("multiple-of-changed", old=old, new=new)


def check_unique_items(p: SchemaPair) -> Iterator[Finding]:
    old, new = p.old.get("uniqueItems") is True, p.new.get("uniqueItems") is True
    if new and not old:
        yield p.finding("unique-items-set")
    elif old and not new:
        yield p.finding("unique-items-unset")


def check_presence_keywords(p: SchemaPair) -> Iterator[Finding]:
    """2020-12 keywords that add conditions when they appear (their contents are compared by the walk)."""
    for keyword, stem in PRESENCE.items():
        has_old, has_new = keyword in p.old, keyword in p.new
        if has_new and not has_old:
            yield p.finding(f"{stem}-added")
        elif has_old and not has_new:
            yield p.finding(f"{stem}-removed")


def check_content_keywords(p: SchemaPair) -> Iterator[Finding]:
    for keyword, aspect in (
        ("contentEncoding", "content-encoding-changed"),
        ("contentMediaType", "content-media-type-changed"),
    ):
        if p.old.get(keyword) != p.new.get(keyword):
            yield p.finding(aspect, old=p.old.get(keyword), new=p.new.get(keyword))


def check_dependent_required(p: SchemaPair) -> Iterator[Finding]:
    old = p.old.get("dependentRequired") if isinstance(p.old.get("dependentRequired"), dict) else {}
    new = p.new.get("dependentRequired") if isinstance(p.new.get("dependentRequired"), dict) else {}
    for name in new.keys() - old.keys():
        yield p.finding("dependent-required-added", property=name)
    for name in old.keys() - new.keys():
        yield p.finding("dependent-required-removed", property=name)
    for name in old.keys() & new.keys():
        if old[name] != new[name]:
            yield p.finding("dependent-required-changed", property=name, old=old[name], new=new[name])


def check_keyed_schemas(p: SchemaPair) -> Iterator[Finding]:
    """dependentSchemas and patternProperties entries appearing or disappearing (matched ones are walked)."""
    for keyword, stem in (("dependentSchemas", "dependent-schema"), ("patternProperties", "pattern-property")):
        old = p.old.get(keyword) if isinstance(p.old.get(keyword), dict) else {}
        new = p.new.get(keyword) if isinstance(p.new.get(keyword), dict) else {}
        for name in sorted(new.keys() - old.keys()):
            yield p.finding(f"{stem}-added", name=name)
        for name in sorted(old.keys() - new.keys()):
            yield p.finding(f"{stem}-removed", name=name)


def check_additional_properties(p: SchemaPair) -> Iterator[Finding]:
    """Only meaningful on objects: false forbids unknown properties."""
    old, new = p.old.get("additionalProperties"), p.new.get("additionalProperties")
    if new is False and old is not False:
        yield p.finding("additional-properties-restricted")
    elif old is False and new is not False:
        yield p.finding("additional-properties-allowed")


def check_deprecated(p: SchemaPair) -> Iterator[Finding]:
    old, new = p.old.get("deprecated") is True, p.new.get("deprecated") is True
    if new and not old:
        yield p.finding("deprecated")
    elif old and not new:
        yield p.finding("reactivated")


CHECKS = (
    check_bounds, check_pattern, check_multiple_of, check_unique_items, check_presence_keywords,
    check_content_keywords, check_dependent_required, check_keyed_schemas, check_additional_properties,
    check_deprecated,
)  # fmt: skip
