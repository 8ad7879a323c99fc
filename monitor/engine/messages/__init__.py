"""Render a finding's sentence from its rule id and arguments (templates in en.yaml, read from its copy en.json)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from monitor.engine.rules.aspects import ASPECTS, BOUNDS, CONTEXTS

_BOUND_STEMS = sorted(BOUNDS.values(), key=len, reverse=True)
_KEYWORDS = {stem: kw for kw, stem in BOUNDS.items()}
_CONTEXTS_LONGEST_FIRST = sorted(
    CONTEXTS, key=len, reverse=True
)  # `request-parameter-property` before `request-parameter`


@cache
def _templates() -> dict[str, dict[str, str]]:
    # en.json is en.yaml parsed ahead (messages/build.py; a test keeps them equal): reading it with orjson takes
    # 0.1 ms where importing PyYAML and parsing the YAML took ~14 ms of every diff that reports a change
    data = orjson.loads((Path(__file__).parent / "en.json").read_bytes())
    return {"aspects": data["aspects"], "rules": data["rules"]}


@cache  # a diff renders thousands of sentences from a few dozen rule ids
def template_for(rule_id: str) -> str | None:
    """The sentence template of a rule id, or None when en.yaml lacks one (a test guards this)."""
    t = _templates()
    if rule_id in t["rules"]:
        return t["rules"][rule_id]
    context, aspect = split_schema_rule(rule_id)
    if context is None:
        return None
    if aspect in t["aspects"]:
        return t["aspects"][aspect]
    for stem in _BOUND_STEMS:
        if aspect.startswith(stem + "-"):
            return t["aspects"].get(aspect[len(stem) + 1 :])
    if aspect.endswith("-added"):
        return t["aspects"]["added"]
    if aspect.endswith("-removed"):
        return t["aspects"]["removed"]
    return None


@cache
def split_schema_rule(rule_id: str) -> tuple[str | None, str]:
    for context in _CONTEXTS_LONGEST_FIRST:
        if rule_id.startswith(context + "-") and rule_id[len(context) + 1 :] in ASPECTS:
            return context, rule_id[len(context) + 1 :]
    return None, rule_id


def _keyword(aspect: str) -> str:
    for stem in _BOUND_STEMS:
        if aspect.startswith(stem + "-"):
            return _KEYWORDS[stem]
    return aspect.rsplit("-", 1)[0]


def subject(context: str, args: dict[str, Any]) -> str:
    """Name the changed thing: `response property `Status` of `Order``, `query parameter `limit``."""
    prop, schema = args.get("property"), args.get("schema")
    of_schema = f" of `{schema}`" if schema else ""
    if context.startswith("request-parameter"):
        base = f"the {args.get('in', '')} parameter `{args.get('parameter', '?')}`"
        return (
            f"property `{prop}`{of_schema} of {base}" if prop else (base + (f" (schema `{schema}`)" if schema else ""))
        )
    if context == "response-header":
        return f"the response header `{args.get('header', '?')}`" + (f" (schema `{schema}`)" if schema else "")
    side = context.split("-", 1)[0]
    if prop:
        return f"the {side} property `{prop}`{of_schema}"
    if schema:
        where = "a property of the" if context.endswith("-property") else "the"
        return f"the schema `{schema}` ({where} {side} body)"
    return f"the {side} body"


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(rule_id: str, args: dict[str, Any]) -> str:
    template = template_for(rule_id) or rule_id
    context, aspect = split_schema_rule(rule_id)
    values = _Lenient({k: _show(v) for k, v in args.items()})
    schema = args.get("schema")
    values["of_schema"] = f" of `{schema}`" if schema else ""
    if context is not None:
        values["subject"] = subject(context, args)
        values["keyword"] = _keyword(aspect)
    text = template.format_map(values)
    status = args.get("status")
    if status and context is not None and "{status}" not in template:
        text += f" (response `{status}`)"
    return text[0].upper() + text[1:] if text else text


def _show(value: Any) -> Any:
    if isinstance(value, (list, dict, bool)) or value is None:  # spec values read as JSON, not Python
        return orjson.dumps(value, default=str).decode()
    return value
