"""Object properties appearing, disappearing and changing requiredness or visibility."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.engine.rules.base import BREAKING, INFO, REQUEST, RESPONSE, WARNING, Finding, Rule
from monitor.engine.rules.schema_pair import Place, SchemaPair

RULES = [
    Rule("request-property-removed", WARNING, REQUEST, "request-body", "existence",
         "A request body property was removed; clients still sending it may be rejected"),
    Rule("new-required-request-property", BREAKING, REQUEST, "request-body", "existence",
         "A new required property was added to the request body; existing clients do not send it"),
    Rule("new-optional-request-property", INFO, REQUEST, "request-body", "existence",
         "A new optional property was added to the request body"),
    Rule("response-required-property-removed", BREAKING, RESPONSE, "responses", "existence",
         "A required response property was removed; clients reading it break"),
    Rule("response-optional-property-removed", WARNING, RESPONSE, "responses", "existence",
         "An optional response property was removed"),
    Rule("response-required-property-added", INFO, RESPONSE, "responses", "existence",
         "A required property was added to the response"),
    Rule("response-optional-property-added", INFO, RESPONSE, "responses", "existence",
         "An optional property was added to the response"),
    Rule("request-parameter-property-removed", WARNING, REQUEST, "parameters", "existence",
         "A property of an object request parameter was removed"),
    Rule("new-required-request-parameter-property", BREAKING, REQUEST, "parameters", "existence",
         "A required property was added to an object request parameter"),
    Rule("new-optional-request-parameter-property", INFO, REQUEST, "parameters", "existence",
         "An optional property was added to an object request parameter"),
]  # fmt: skip


def properties_of(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def required_of(schema: dict[str, Any]) -> set[str]:
    req = schema.get("required")
    return {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()


def requiredness_changes(old: dict[str, Any], new: dict[str, Any], common: set[str]) -> list[tuple[str, bool]]:
    """The properties on both sides (`common`, in its order) that became required (True) or optional (False).

    The same wherever the pair of schemas sits, so the walk keeps it with the pair for `check_properties`.
    """
    old_req, new_req = required_of(old), required_of(new)
    if old_req == new_req:
        return []
    return [(name, name in new_req) for name in common if (name in old_req) != (name in new_req)]


def check_properties(p: SchemaPair, old_props: dict[str, Any], new_props: dict[str, Any],
                     flips: list[tuple[str, bool]], old_deref: Any, new_deref: Any, child: Any
                     ) -> Iterator[Finding]:  # fmt: skip
    """Properties added or removed; readOnly ones do not count in requests, writeOnly ones not in responses.

    `flips`: `requiredness_changes` of the pair; `child(name)` makes the place of a property; `*_deref` resolve a
    property schema's $ref in its own spec.
    """
    scope, direction = p.place.scope, p.place.direction
    hidden = "readOnly" if direction is REQUEST else "writeOnly"
    if old_props.keys() != new_props.keys():  # most pairs keep their properties: no sets are built
        old_req, new_req = required_of(p.old), required_of(p.new)
        for name in old_props.keys() - new_props.keys():
            if _flag(old_deref(old_props[name]), hidden):
                continue
            if scope == "parameter":
                rule = "request-parameter-property-removed"
            elif scope == "webhook":
                rule = "webhook-required-property-removed" if name in old_req else "webhook-optional-property-removed"
            elif direction is REQUEST:
                rule = "request-property-removed"
            else:
                rule = "response-required-property-removed" if name in old_req else "response-optional-property-removed"
            yield _finding(child(name), rule)
        for name in new_props.keys() - old_props.keys():
            if _flag(new_deref(new_props[name]), hidden):
                continue
            required = name in new_req
            if scope == "parameter":
                rule = f"new-{'required' if required else 'optional'}-request-parameter-property"
            elif scope == "webhook":
                rule = f"webhook-{'required' if required else 'optional'}-property-added"
            elif direction is REQUEST:
                rule = f"new-{'required' if required else 'optional'}-request-property"
            else:
                rule = f"response-{'required' if required else 'optional'}-property-added"
            yield _finding(child(name), rule)
    for name, now in flips:
        yield SchemaPair({}, {}, child(name)).finding("became-required" if now else "became-optional")


def check_visibility(p: SchemaPair) -> Iterator[Finding]:
    """readOnly/writeOnly on a property: it stops being accepted (request) or returned (response)."""
    if not p.place.in_property:
        return
    for flag, stem in (("readOnly", "read-only"), ("writeOnly", "write-only")):
        old, new = _flag(p.old, flag), _flag(p.new, flag)
        if new and not old:
            yield p.finding(f"became-{stem}")
        elif old and not new:
            yield p.finding(f"became-not-{stem}")


def _flag(schema: Any, flag: str) -> bool:
    return isinstance(schema, dict) and schema.get(flag) is True


def _finding(place: Place, rule: str) -> Finding:
    return Finding(rule, place.location, dict(place.args))
