"""Learning more traffic into a learned contract: the union of both, never narrower, with what was widened.

New operations, statuses, media types, parameters and properties are added (optional); a property or parameter the
new traffic lacks becomes optional; types are united; enums are united (or dropped when one side is open); a format
stays only when both agree. Nothing the old contract accepted stops being accepted, so a pinned contract is never
narrowed silently.
"""

from __future__ import annotations

import copy
from typing import Any

from monitor.traffic.learn import METHODS


def widen(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`old` widened by `new`; the second value says, one line each, what changed."""
    merged = copy.deepcopy(old)
    widened: list[str] = []
    paths = merged.setdefault("paths", {})
    for template, item in (new.get("paths") or {}).items():
        target = paths.setdefault(template, {})
        for method, op in item.items():
            if method not in METHODS:
                continue
            label = f"{method.upper()} {template}"
            if method not in target:
                target[method] = copy.deepcopy(op)
                widened.append(f"{label}: new operation")
                continue
            _merge_operation(target[method], op, label, widened)
    schemes = (new.get("components") or {}).get("securitySchemes") or {}
    if schemes:
        known = merged.setdefault("components", {}).setdefault("securitySchemes", {})
        for name, scheme in schemes.items():
            if name not in known:
                known[name] = scheme
                widened.append(f"security scheme {name}: new")
    learned_old = merged.get("x-monitor-learned") or {}
    learned_new = new.get("x-monitor-learned") or {}
    merged["x-monitor-learned"] = {
        **learned_old,
        "at": learned_new.get("at", learned_old.get("at")),
        "from": [*learned_old.get("from", []), *learned_new.get("from", [])][-50:],
        "exchanges": int(learned_old.get("exchanges", 0)) + int(learned_new.get("exchanges", 0)),
        "skipped": int(learned_old.get("skipped", 0)) + int(learned_new.get("skipped", 0)),
        "traffic_from": _min(learned_old.get("traffic_from"), learned_new.get("traffic_from")),
        "traffic_until": _max(learned_old.get("traffic_until"), learned_new.get("traffic_until")),
        "learned_times": int(learned_old.get("learned_times", 1)) + 1,
    }
    if learned_new.get("note"):  # where the newest traffic came from, when it was not real traffic
        merged["x-monitor-learned"]["note"] = learned_new["note"]
    if "info" in new:
        merged.setdefault("info", {})["version"] = new["info"].get("version")
    return merged, widened


def _min(a: str | None, b: str | None) -> str | None:
    return min((x for x in (a, b) if x), default=None)


def _max(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x), default=None)


def _merge_operation(old: dict[str, Any], new: dict[str, Any], label: str, widened: list[str]) -> None:
    old["x-monitor-samples"] = int(old.get("x-monitor-samples", 0)) + int(new.get("x-monitor-samples", 0))
    old_params = {(p.get("in"), p.get("name")): p for p in old.get("parameters", []) if isinstance(p, dict)}
    new_params = {(p.get("in"), p.get("name")): p for p in new.get("parameters", []) if isinstance(p, dict)}
    for key, param in old_params.items():
        if param.get("required") and key[0] != "path" and not new_params.get(key, {}).get("required"):
            param["required"] = False
            widened.append(f"{label}: {key[0]} parameter {key[1]} became optional")
        if key in new_params:
            param["schema"] = _merge_schema(param.get("schema", {}), new_params[key].get("schema", {}),
                                            f"{label}: {key[0]} parameter {key[1]}", widened)  # fmt: skip
    for key, param in new_params.items():
        if key not in old_params:
            old.setdefault("parameters", []).append({**param, "required": key[0] == "path"})
            widened.append(f"{label}: new optional {key[0]} parameter {key[1]}")
    if "requestBody" in new:
        if "requestBody" not in old:
            old["requestBody"] = {**new["requestBody"], "required": False}
            widened.append(f"{label}: new optional request body")
        else:
            body = old["requestBody"]
            if body.get("required") and not new["requestBody"].get("required"):
                body["required"] = False
                widened.append(f"{label}: request body became optional")
            _merge_content(body.setdefault("content", {}), new["requestBody"].get("content", {}),
                           f"{label} request", widened)  # fmt: skip
    elif old.get("requestBody", {}).get("required"):
        old["requestBody"]["required"] = False
        widened.append(f"{label}: request body became optional")
    responses = old.setdefault("responses", {})
    for status, response in (new.get("responses") or {}).items():
        if status not in responses:
            responses[status] = copy.deepcopy(response)
            widened.append(f"{label}: new status {status}")
            continue
        mine = responses[status]
        mine["x-monitor-samples"] = int(mine.get("x-monitor-samples", 0)) + int(response.get("x-monitor-samples", 0))
        mine["description"] = f"Seen {mine['x-monitor-samples']} time(s)"
        if "content" in response:
            _merge_content(mine.setdefault("content", {}), response["content"], f"{label} {status}", widened)
    if new.get("security") and new["security"] != old.get("security"):
        requirements = old.setdefault("security", [])
        for requirement in new["security"]:
            if requirement not in requirements:
                requirements.append(requirement)
                widened.append(f"{label}: new security alternative {', '.join(requirement) or 'none'}")


def _merge_content(old: dict[str, Any], new: dict[str, Any], where: str, widened: list[str]) -> None:
    for media, entry in new.items():
        if media not in old:
            old[media] = copy.deepcopy(entry)
            widened.append(f"{where}: new media type {media}")
        else:
            old[media]["schema"] = _merge_schema(old[media].get("schema", {}), entry.get("schema", {}),
                                                 f"{where} {media}", widened)  # fmt: skip


def _types(schema: dict[str, Any]) -> set[str]:
    value = schema.get("type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def _merge_schema(
    old: dict[str, Any], new: dict[str, Any], where: str, widened: list[str], depth: int = 0
) -> dict[str, Any]:
    if not old or not new or depth > 64:
        if old and not new:
            widened.append(f"{where}: now any value")
        return {} if not old or not new else old
    if old == new:
        return old
    if "anyOf" in old or "anyOf" in new:  # mixed shapes: keep both alternatives
        alternatives = [
            *old.get("anyOf", [old]),
            *[s for s in new.get("anyOf", [new]) if s not in old.get("anyOf", [old])],
        ]
        widened.append(f"{where}: alternatives united")
        return {"anyOf": alternatives}
    result = dict(old)
    types_old, types_new = _types(old), _types(new)
    if types_old != types_new:
        union = types_old | types_new
        if {"integer", "number"} <= union:
            union.discard("integer")
        if union != types_old:
            widened.append(f"{where}: type {'/'.join(sorted(types_old))} widened to {'/'.join(sorted(union))}")
        result["type"] = sorted(union)[0] if len(union) == 1 else sorted(union)
    if "properties" in new or "properties" in old:
        props = dict(old.get("properties", {}))
        for name, schema in new.get("properties", {}).items():
            if name in props:
                props[name] = _merge_schema(props[name], schema, f"{where}.{name}", widened, depth + 1)
            else:
                props[name] = schema
                widened.append(f"{where}: new optional property {name}")
        result["properties"] = props
        if "object" in types_old and "object" in types_new:
            required = set(old.get("required", [])) & set(new.get("required", []))
        else:
            required = set(old.get("required", []) if "object" in types_old else new.get("required", []))
        for name in sorted(set(old.get("required", [])) - required):
            widened.append(f"{where}: property {name} became optional")
        if required:
            result["required"] = sorted(required)
        else:
            result.pop("required", None)
    if "items" in old or "items" in new:
        result["items"] = (
            _merge_schema(old.get("items", {}), new.get("items", {}), f"{where}[]", widened, depth + 1)
            if "items" in old and "items" in new
            else old.get("items", new.get("items"))
        )
    if "enum" in old:
        if "enum" in new and "string" in types_new:
            added = [v for v in new["enum"] if v not in old["enum"]]
            if added:
                result["enum"] = [*old["enum"], *added]
                widened.append(f"{where}: enum values added {', '.join(map(str, added))}")
        elif "string" in types_new:
            result.pop("enum")
            widened.append(f"{where}: enum opened (new values seen without enough evidence for a closed set)")
    if "format" in old and new.get("format") != old["format"] and types_new & {"string"}:
        result.pop("format")
        widened.append(f"{where}: format {old['format']} dropped")
    return result
