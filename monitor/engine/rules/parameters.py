"""Request parameters: presence, requiredness, serialisation, and their schemas."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.engine.model import Parameter
from monitor.engine.rules.base import BREAKING, INFO, REQUEST, WARNING, Finding, Rule
from monitor.engine.rules.context import OperationPair, escape
from monitor.engine.rules.lifecycle import sunset_of
from monitor.engine.rules.schema_pair import Place

RULES = [
    Rule("new-required-request-parameter", BREAKING, REQUEST, "parameters", "existence", "A required request parameter was added; existing clients do not send it"),
    Rule("new-optional-request-parameter", INFO, REQUEST, "parameters", "existence", "An optional request parameter was added"),
    Rule("request-parameter-removed", WARNING, REQUEST, "parameters", "existence", "A request parameter was removed; clients still sending it may be rejected"),
    Rule("request-parameter-removed-with-deprecation", INFO, REQUEST, "parameters", "existence", "A deprecated request parameter was removed"),
    Rule("request-parameter-removed-before-sunset", BREAKING, REQUEST, "parameters", "existence", "A deprecated request parameter was removed before its sunset date"),
    Rule("request-parameter-sunset-parse", BREAKING, REQUEST, "parameters", "lifecycle", "A deprecated request parameter's sunset date cannot be parsed"),
    Rule("request-parameter-sunset-date-too-small", BREAKING, REQUEST, "parameters", "lifecycle", "A deprecated request parameter's sunset date is sooner than the minimum notice"),
    Rule("request-parameter-became-required", BREAKING, REQUEST, "parameters", "requiredness", "An optional request parameter became required"),
    Rule("request-parameter-became-optional", INFO, REQUEST, "parameters", "requiredness", "A required request parameter became optional"),
    Rule("request-parameter-style-changed", WARNING, REQUEST, "parameters", "structure", "The serialisation style of a request parameter changed"),
    Rule("request-parameter-explode-changed", WARNING, REQUEST, "parameters", "structure", "The explode setting of a request parameter changed"),
    Rule("request-parameter-allow-empty-value-removed", BREAKING, REQUEST, "parameters", "constraints", "A request parameter no longer accepts an empty value"),
    Rule("request-parameter-allow-empty-value-added", INFO, REQUEST, "parameters", "constraints", "A request parameter now accepts an empty value"),
]  # fmt: skip


def _args(param: Parameter) -> dict[str, str]:
    return {"parameter": param.name, "in": param.location}


def _location(op_pointer: str, param: Parameter) -> str:
    return f"{op_pointer}/parameters/{param.location}/{escape(param.name)}"


def check_parameters(p: OperationPair) -> Iterator[Finding]:
    if p.inputs_unchanged:
        return
    old, new = p.old.parameters, p.new.parameters
    for key in old.keys() - new.keys():
        param = old[key]
        rule = "request-parameter-removed"
        if param.deprecated:
            sunset, _ = sunset_of(param.extensions)
            before = sunset is not None and sunset > p.specs.today
            rule = "request-parameter-removed-before-sunset" if before else "request-parameter-removed-with-deprecation"
        yield Finding(rule, _location(p.old.pointer, param), _args(param))
    for key in new.keys() - old.keys():
        param = new[key]
        has_default = isinstance(param.schema, dict) and "default" in p.comparer.new.deref(param.schema)
        rule = (
            "new-required-request-parameter" if param.required and not has_default else "new-optional-request-parameter"
        )
        yield Finding(rule, _location(p.new.pointer, param), _args(param))
    for key in old.keys() & new.keys():
        yield from _compare(p, old[key], new[key])


def _compare(p: OperationPair, old: Parameter, new: Parameter) -> Iterator[Finding]:
    loc = _location(p.new.pointer, new)
    args = _args(new)
    if new.required and not old.required:
        yield Finding("request-parameter-became-required", loc, args)
    elif old.required and not new.required:
        yield Finding("request-parameter-became-optional", loc, args)
    if new.deprecated and not old.deprecated:
        yield _deprecation(p, new, loc, args)
    elif old.deprecated and not new.deprecated:
        yield Finding("request-parameter-reactivated", loc, args)
    style_changed = old.style != new.style and old.style is not None and new.style is not None
    if style_changed:
        yield Finding("request-parameter-style-changed", loc, {**args, "old": old.style, "new": new.style})
    # a new style brings its own default explode (only form explodes by default): that is the style change
    implied = style_changed and ("explode" not in old.raw or "explode" not in new.raw)
    if old.explode != new.explode and old.explode is not None and new.explode is not None and not implied:
        yield Finding("request-parameter-explode-changed", loc, {**args, "old": old.explode, "new": new.explode})
    if old.allow_empty_value and not new.allow_empty_value:
        yield Finding("request-parameter-allow-empty-value-removed", loc, args)
    elif new.allow_empty_value and not old.allow_empty_value:
        yield Finding("request-parameter-allow-empty-value-added", loc, args)
    if not p.comparer.same(old.schema, new.schema):  # most parameters keep their schema: no place is built
        place = Place(REQUEST, "parameter", False, f"{loc}/schema", tuple(args.items()))
        yield from p.comparer.compare_changed(old.schema, new.schema, place)


def _deprecation(p: OperationPair, param: Parameter, loc: str, args: dict[str, str]) -> Finding:
    """Deprecating a parameter announces its removal; a sunset date must parse and leave enough notice."""
    sunset, raw = sunset_of(param.extensions)
    if raw is not None and sunset is None:
        return Finding("request-parameter-sunset-parse", loc, {**args, "sunset": raw})
    if sunset is not None and (sunset - p.specs.today).days < p.specs.min_sunset_days:
        return Finding(
            "request-parameter-sunset-date-too-small",
            loc,
            {**args, "sunset": str(sunset), "days": p.specs.min_sunset_days},
        )
    return Finding("request-parameter-deprecated", loc, {**args, **({"sunset": str(sunset)} if sunset else {})})


OPERATION_CHECKS = (check_parameters,)
