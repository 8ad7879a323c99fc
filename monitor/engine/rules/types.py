"""Type, format and nullability of a schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.engine.model import Direction
from monitor.engine.rules.base import Finding
from monitor.engine.rules.schema_pair import SchemaPair

_CONTAINERS = frozenset(("object", "array"))
_WIDER_FORMATS = {("int32", "int64"), ("float", "double"), ("date", "date-time")}


def types_of(schema: dict[str, Any]) -> frozenset[str]:
    """The declared types without "null" (nullability is its own rule)."""
    t = schema.get("type")
    if isinstance(t, str):
        return frozenset() if t == "null" else frozenset((t,))
    if isinstance(t, list):
        return frozenset(x for x in t if isinstance(x, str) and x != "null")
    return frozenset()


def shape_of(schema: dict[str, Any]) -> frozenset[str]:
    """The declared types, or for an untyped schema the container its keywords imply (properties: object)."""
    declared = types_of(schema)
    if declared:
        return declared
    if isinstance(schema.get("properties"), dict) or isinstance(schema.get("additionalProperties"), dict):
        return frozenset(("object",))
    if isinstance(schema.get("items"), dict):
        return frozenset(("array",))
    return frozenset()


def is_replaced(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """A container became another kind of value (object -> array, array -> string): one type change says it all.

    What sat inside the old shape is not compared with the new one, so the old shape's properties are not each
    reported removed (one real pair gave 16,637 such echoes of a single change).
    """
    o, n = shape_of(old), shape_of(new)
    return bool(o) and bool(n) and not (o & n) and bool((o | n) & _CONTAINERS)


_CONSTRAINING = ("type", "properties", "additionalProperties", "items", "oneOf", "anyOf", "allOf", "not", "$ref",
                 "enum", "const")  # fmt: skip


def is_any(schema: dict[str, Any]) -> bool:
    """An untyped schema that says nothing about the kind of value (`{}`, or only a description or format)."""
    return not any(k in schema for k in _CONSTRAINING)


def _is_described_any(p: SchemaPair, schema: dict[str, Any]) -> bool:
    """An untyped value that is part of the contract. A body or header with no schema at all (`{}` at the top)
    is undocumented rather than "any value", so a schema appearing there narrows nothing a client relied on."""
    return is_any(schema) and bool(schema or p.place.in_property or p.place.scope == "parameter")


def is_wholesale(old: dict[str, Any], new: dict[str, Any], direction: Direction) -> bool:
    """An object replaced by another (two properties or more each, none in common) that breaks its side: in a
    request the new object requires something, in a response the old one promised something. Then it is one
    finding; otherwise each property added or removed says no more than a warning would."""
    o, n = old.get("properties"), new.get("properties")
    if not isinstance(o, dict) or not isinstance(n, dict) or len(o) < 2 or len(n) < 2 or not o.keys().isdisjoint(n):
        return False
    if shape_of(old) != frozenset(("object",)) or shape_of(new) != frozenset(("object",)):
        return False
    promised = new.get("required") if direction is Direction.REQUEST else old.get("required")
    return isinstance(promised, list) and bool(promised)


def check_wholesale(p: SchemaPair) -> Iterator[Finding]:
    if is_wholesale(p.old, p.new, p.place.direction):
        yield p.finding("object-replaced", old=sorted(p.old["properties"]), new=sorted(p.new["properties"]))


def is_nullable(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    return schema.get("nullable") is True or schema.get("x-nullable") is True or (isinstance(t, list) and "null" in t)


def _enum_admits_null(schema: dict[str, Any]) -> bool | None:
    """Whether a nullable schema's enum lists null (None: no enum). OpenAPI 3.0.3 lets the enum decide."""
    enum = schema.get("enum")
    return None in enum if isinstance(enum, list) else None


def check_type(p: SchemaPair) -> Iterator[Finding]:
    """A changed type breaks both sides, except a widening (request) or narrowing (response) of numbers."""
    old, new = shape_of(p.old), shape_of(p.new)
    if old == new:
        return
    if not old and _is_described_any(p, p.old):
        yield p.finding("type-set", new="|".join(sorted(new)))
        return
    if not new and _is_described_any(p, p.new):
        yield p.finding("type-unset", old="|".join(sorted(old)))
        return
    if not old or not new:
        return
    if len(old) == 1 and len(new) == 1:
        (o,), (n,) = old, new
        if (o, n) == ("integer", "number"):
            yield p.finding("type-generalized", old=o, new=n)
        elif (o, n) == ("number", "integer"):
            yield p.finding("type-specialized", old=o, new=n)
        else:
            yield p.finding("type-changed", old=o, new=n)
    elif new < old:
        yield p.finding("list-of-types-narrowed", old=sorted(old), new=sorted(new))
    elif new > old:
        yield p.finding("list-of-types-widened", old=sorted(old), new=sorted(new))
    else:
        yield p.finding("type-changed", old="|".join(sorted(old)), new="|".join(sorted(new)))


def check_format(p: SchemaPair) -> Iterator[Finding]:
    """A changed format changes what a value looks like; int32 to int64 only widens it."""
    old, new = p.old.get("format"), p.new.get("format")
    if old == new:
        return
    if old is None:
        yield p.finding("format-set", new=new)
    elif new is None:
        yield p.finding("format-unset", old=old)
    elif (old, new) in _WIDER_FORMATS:
        yield p.finding("format-generalized", old=old, new=new)
    else:
        yield p.finding("format-changed", old=old, new=new)


def check_nullable(p: SchemaPair) -> Iterator[Finding]:
    """null becoming possible breaks readers of a response; null becoming impossible breaks request writers."""
    old, new = is_nullable(p.old), is_nullable(p.new)
    if old and new:  # still flagged nullable, but null was dropped from (or added to) the enum itself
        old, new = _enum_admits_null(p.old) is not False, _enum_admits_null(p.new) is not False
        if _enum_admits_null(p.old) is None or _enum_admits_null(p.new) is None:
            return
    if new and not old:
        yield p.finding("became-nullable")
    elif old and not new:
        yield p.finding("became-not-nullable")


CHECKS = (check_type, check_format, check_nullable, check_wholesale)
