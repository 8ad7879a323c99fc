"""Enum values, x-extensible-enum, const and defaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.engine.rules.base import Finding
from monitor.engine.rules.schema_pair import SchemaPair


def _values(schema: dict[str, Any], key: str) -> list[Any] | None:
    v = schema.get(key)
    return v if isinstance(v, list) else None


def _hashable(v: Any) -> Any:
    return repr(v) if isinstance(v, (dict, list)) else v


def check_enum(p: SchemaPair) -> Iterator[Finding]:
    """Removed values break request writers, added values break response readers; a case-only rename is one finding.

    A free-form value that becomes an enum narrows a request; in a response it only documents the values.
    """
    old, new = _values(p.old, "enum"), _values(p.new, "enum")
    if old == new:
        return
    if old is None:
        yield p.finding("became-enum", values=new)
        return
    if new is None:
        yield p.finding("enum-removed", values=old)
        return
    old_set = {_hashable(v) for v in old}
    new_set = {_hashable(v) for v in new}
    removed = [v for v in old if _hashable(v) not in new_set and _hashable(v) is not None]
    added = [v for v in new if _hashable(v) not in old_set and _hashable(v) is not None]
    by_folded = {v.casefold(): v for v in added if isinstance(v, str)}
    renamed = set()
    for value in removed:
        match = by_folded.get(value.casefold()) if isinstance(value, str) else None
        if match is not None:
            renamed.add(match)
            yield p.finding("enum-value-case-changed", old=value, new=match)
        else:
            yield p.finding("enum-value-removed", value=value)
    for value in added:
        if value not in renamed:
            yield p.finding("enum-value-added", value=value)


def check_extensible_enum(p: SchemaPair) -> Iterator[Finding]:
    """x-extensible-enum promises clients may see new values, so only removals in requests break."""
    old, new = _values(p.old, "x-extensible-enum") or [], _values(p.new, "x-extensible-enum") or []
    if old == new:
        return
    for value in old:
        if value not in new:
            yield p.finding("x-extensible-enum-value-removed", value=value)
    for value in new:
        if value not in old:
            yield p.finding("x-extensible-enum-value-added", value=value)


def check_default(p: SchemaPair) -> Iterator[Finding]:
    """Clients that omit a value rely on its default."""
    # `default: null` says nothing a client can rely on; it counts as no default
    has_old, has_new = p.old.get("default") is not None, p.new.get("default") is not None
    if has_old and has_new:
        if p.old["default"] != p.new["default"]:
            yield p.finding("default-value-changed", old=p.old["default"], new=p.new["default"])
    elif has_new:
        yield p.finding("default-value-added", new=p.new["default"])
    elif has_old:
        yield p.finding("default-value-removed", old=p.old["default"])


def check_const(p: SchemaPair) -> Iterator[Finding]:
    if p.old.get("const") != p.new.get("const") and ("const" in p.old or "const" in p.new):
        yield p.finding("const-changed", old=p.old.get("const"), new=p.new.get("const"))


CHECKS = (check_enum, check_extensible_enum, check_default, check_const)
