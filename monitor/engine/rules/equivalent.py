"""Spellings that mean the same constraint, aligned before two schemas are compared.

OpenAPI 3.1 (JSON Schema 2020-12) and 3.0 say some things two ways; moving from one way to the other is no change:
* `const: x` and `enum: [x]`;
* `minimum: 5, exclusiveMinimum: true` (3.0) and `exclusiveMinimum: 5` (3.1), and the same for the maximum.
(`type: [T, "null"]` and `nullable: true` are read alike by `types.is_nullable`.)
Only a pair whose sides use different spellings is rewritten, so a change within one spelling keeps its own rule.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
_EXCLUSIVE = (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum"))


# Every rewrite needs one of these on one side at least; the walk aligns every pair it reaches, and few hold any.
_SPELLINGS = frozenset(("const", "exclusiveMinimum", "exclusiveMaximum"))


def align(old: Schema, new: Schema) -> tuple[Schema, Schema]:
    if _SPELLINGS.isdisjoint(old) and _SPELLINGS.isdisjoint(new):
        return old, new
    old, new = _align_const(old, new)
    for exclusive, bound in _EXCLUSIVE:
        old, new = _align_exclusive(old, new, exclusive, bound)
    return old, new


def _align_const(old: Schema, new: Schema) -> tuple[Schema, Schema]:
    def as_enum(schema: Schema) -> Schema:
        out = {k: v for k, v in schema.items() if k != "const"}
        out["enum"] = [schema["const"]]
        return out

    if "const" in old and "enum" not in old and "enum" in new and "const" not in new:
        return as_enum(old), new
    if "const" in new and "enum" not in new and "enum" in old and "const" not in old:
        return old, as_enum(new)
    return old, new


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _align_exclusive(old: Schema, new: Schema, exclusive: str, bound: str) -> tuple[Schema, Schema]:
    def numeric(schema: Schema) -> Schema:
        """3.0 boolean form -> 3.1 numeric form."""
        out = {k: v for k, v in schema.items() if k != exclusive}
        if schema.get(exclusive) is True and _is_number(schema.get(bound)):
            out[exclusive] = out.pop(bound)
        return out

    if isinstance(old.get(exclusive), bool) and _is_number(new.get(exclusive)):
        return numeric(old), new
    if isinstance(new.get(exclusive), bool) and _is_number(old.get(exclusive)):
        return old, numeric(new)
    return old, new
