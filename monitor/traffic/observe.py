"""Traffic vs contract: check each recorded answer against the contract's response schemas, counted over exchanges.

The findings have the diff's shape (a `DiffResult` of engine `Change`s, so every renderer works), with their own ids:

| id                                       | level    | when                                                    |
|------------------------------------------|----------|---------------------------------------------------------|
| observed-response-property-missing       | breaking | a property the contract requires is absent              |
| observed-response-property-type-changed  | breaking | a value's type is not one the contract allows           |
| observed-response-enum-value-added       | warning  | a string outside the contract's enum                    |
| observed-response-property-added         | info     | a property the contract does not describe               |
| observed-status-undocumented             | warning  | a status code the operation does not document           |
| observed-operation-undocumented          | info     | a request that matches no operation of the contract     |

Each finding is counted over the exchanges that could show it ("missing in 37 of 40 answers since 2026-12-01").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.engine.diff import DiffResult
from monitor.engine.group import Change
from monitor.engine.loaders.refs import Resolver
from monitor.engine.model import Level, Operation, Spec
from monitor.redact import MASK
from monitor.traffic.har import ABSENT, Exchange, Skipped, is_json_media
from monitor.traffic.paths import PathMatcher, generalised

MISSING = "observed-response-property-missing"
TYPE_CHANGED = "observed-response-property-type-changed"
ENUM_ADDED = "observed-response-enum-value-added"
PROPERTY_ADDED = "observed-response-property-added"
STATUS_UNDOCUMENTED = "observed-status-undocumented"
OPERATION_UNDOCUMENTED = "observed-operation-undocumented"
LEVELS: dict[str, Level] = {
    MISSING: Level.BREAKING, TYPE_CHANGED: Level.BREAKING, ENUM_ADDED: Level.WARNING, PROPERTY_ADDED: Level.INFO,
    STATUS_UNDOCUMENTED: Level.WARNING, OPERATION_UNDOCUMENTED: Level.INFO,
}  # fmt: skip
COUNT_ARGS = frozenset({"count", "total", "since", "until"})  # change with every observation: not part of identity
MAX_DEPTH = 64
MAX_BRANCHES = 16  # oneOf/anyOf alternatives tried per value
MAX_FINDINGS_PER_ANSWER = 200  # a hostile answer with 10,000 unknown keys reports 200 of them


@dataclass(slots=True)
class _Tally:
    count: int = 0
    since: datetime | None = None
    until: datetime | None = None

    def add(self, at: datetime | None) -> None:
        self.count += 1
        if at is not None:
            self.since = min(self.since or at, at)
            self.until = max(self.until or at, at)


@dataclass
class Observation:
    """The result of checking a set of exchanges: findings (diff shape) and what was looked at."""

    result: DiffResult
    exchanges: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # operation label -> exchanges
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    fields: dict[str, set[str]] = field(default_factory=dict)  # operation label -> response property paths seen

    @property
    def breaking(self) -> bool:
        return self.result.reaches(Level.BREAKING)


def observe(spec: Spec, items: Iterable[Exchange | Skipped], *, source: str = "traffic") -> Observation:
    """Check every exchange in `items` against `spec`.

    Usage: `observation = observe(load_spec("contracts/shopee/orders.json"), read_captures([Path("today.har")]))`
    """
    resolver = Resolver(spec.root, spec.file)
    by_template: dict[str, dict[str, Operation]] = {}
    for op in spec.operations.values():
        by_template.setdefault(op.path, {})[op.method] = op
    matcher = PathMatcher(by_template, _base_path(spec))
    plain = PathMatcher(by_template)
    tallies: dict[tuple[str, str, tuple[tuple[str, Any], ...], str | None], _Tally] = {}
    totals: dict[tuple[str | None, str], _Tally] = {}  # (operation label, status) -> answers checked
    observation = Observation(DiffResult(spec.info, {}, []))
    for item in items:
        if isinstance(item, Skipped):
            if len(observation.skipped) < 1000:  # the reasons of the first thousand; the rest are only counted
                observation.skipped.append(item)
            observation.skipped_count += 1
            continue
        observation.exchanges += 1
        for note in item.notes:
            observation.notes[note] = observation.notes.get(note, 0) + 1
        template = matcher.match(item.path) or plain.match(item.path)
        op = by_template.get(template, {}).get(item.method) if template is not None else None
        if op is None:
            label = f"{item.method} {generalised(item.path)}"
            totals.setdefault((label, "*"), _Tally()).add(item.started_at)
            _tally(tallies, OPERATION_UNDOCUMENTED, label, {"operation": label}, label, item.started_at)
            continue
        observation.matched[op.label] = observation.matched.get(op.label, 0) + 1
        status = str(item.status)
        response = op.responses.get(status) or op.responses.get(f"{status[0]}XX") or op.responses.get("default")
        totals.setdefault((op.label, "*"), _Tally()).add(item.started_at)
        if response is None:
            _tally(tallies, STATUS_UNDOCUMENTED, f"{op.pointer}/responses", {"status": status}, op.label,
                   item.started_at)  # fmt: skip
            continue
        if item.response_body is ABSENT or not is_json_media(item.response_media):
            continue
        schema = _schema_for(response.content, item.response_media)
        if schema is None:
            continue
        totals.setdefault((op.label, status), _Tally()).add(item.started_at)
        found: set[tuple[str, str, tuple[tuple[str, Any], ...]]] = set()
        seen = observation.fields.setdefault(op.label, set())
        _walk(schema, item.response_body, "", resolver, found, seen, 0)
        for rule_id, prop, extra in sorted(found, key=repr)[:MAX_FINDINGS_PER_ANSWER]:
            args = {"property": prop, "status": status, **dict(extra)}
            _tally(tallies, rule_id, f"{response.pointer}/{prop or '(body)'}", args, op.label, item.started_at)
    changes = []
    for (rule_id, location, args_items, label), tally in tallies.items():
        args = dict(args_items)
        status = args.get("status", "*") if rule_id not in (STATUS_UNDOCUMENTED, OPERATION_UNDOCUMENTED) else "*"
        total = totals.get((label, status), tally)
        args.update(count=tally.count, total=total.count, since=_iso(tally.since), until=_iso(tally.until))
        changes.append(Change(rule_id, LEVELS[rule_id], location, args, [label] if label else [],
                              message(rule_id, args, label)))  # fmt: skip
    changes.sort(key=lambda c: (-c.level.rank, c.operation or "", c.location, c.id, c.message))
    observation.result = DiffResult(spec.info, {"file": source, "format": "traffic", "title": f"{observation.exchanges} "
                                                "exchange(s)", "version": ""}, changes)  # fmt: skip
    return observation


def _tally(tallies: dict[Any, _Tally], rule_id: str, location: str, args: dict[str, Any], label: str | None,
           at: datetime | None) -> None:  # fmt: skip
    key = (rule_id, location, tuple(sorted(args.items())), label)
    tallies.setdefault(key, _Tally()).add(at)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def message(rule_id: str, args: dict[str, Any], label: str | None) -> str:
    """The sentence of an observed finding, with its counts."""
    counted = f"in {args['count']} of {args['total']} answers"
    if args.get("since"):
        counted += f" since {str(args['since'])[:10]}"
    prop = f"`{args.get('property') or '(body)'}`"
    where = f"{label} {args.get('status', '')}".strip()
    if rule_id == MISSING:
        return f"{where}: required response property {prop} missing {counted}"
    if rule_id == TYPE_CHANGED:
        return f"{where}: response property {prop} is {args['actual']}, the contract says {args['expected']}, {counted}"
    if rule_id == ENUM_ADDED:
        return f"{where}: response property {prop} has value {args['value']!r} outside its enum, {counted}"
    if rule_id == PROPERTY_ADDED:
        return f"{where}: response property {prop} not in the contract, {counted}"
    if rule_id == STATUS_UNDOCUMENTED:
        return f"{label}: status {args['status']} is not documented, {counted.replace('answers', 'answers of it')}"
    return f"{args['operation']} is not an operation of the contract: {args['count']} request(s)" + (
        f" since {str(args['since'])[:10]}" if args.get("since") else "")  # fmt: skip


def _base_path(spec: Spec) -> str:
    if spec.format == "swagger-2.0":
        base = spec.root.get("basePath")
        return base if isinstance(base, str) else ""
    servers = spec.root.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str):
            try:
                return urlsplit(url).path
            except ValueError:
                return ""
    return ""


def _schema_for(content: dict[str, Any], media: str | None) -> Any:
    if media in content:
        return content[media]
    for name, schema in content.items():
        if is_json_media(name.split(";", 1)[0].strip().lower()):
            return schema
    return None


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _allowed(schema: dict[str, Any]) -> set[str] | None:
    """The types a schema allows (None: any)."""
    value = schema.get("type")
    types = {value} if isinstance(value, str) else {str(v) for v in value} if isinstance(value, list) else set()
    if not types:
        if "properties" in schema or "additionalProperties" in schema:
            types = {"object"}
        elif "items" in schema:
            types = {"array"}
        else:
            return None
    if schema.get("nullable") is True or schema.get("x-nullable") is True:
        types.add("null")
    if "number" in types:
        types.add("integer")
    return types


def _flatten(schema: Any, resolver: Resolver, depth: int) -> dict[str, Any]:
    """A schema with its refs followed and its allOf parts merged (properties and required united)."""
    schema = resolver.deref(schema)
    if not isinstance(schema, dict):
        return {}
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth > MAX_DEPTH:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props = dict(merged.get("properties") or {})
    required = set(merged.get("required") or [])
    for part in parts:
        flat = _flatten(part, resolver, depth + 1)
        props.update(flat.get("properties") or {})
        required |= set(flat.get("required") or [])
        for key in ("type", "additionalProperties", "items", "enum", "nullable", "x-nullable"):
            if key in flat and key not in merged:
                merged[key] = flat[key]
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = sorted(required)
    return merged


Found = set[tuple[str, str, tuple[tuple[str, Any], ...]]]


def _walk(schema: Any, value: Any, prop: str, resolver: Resolver, found: Found, seen: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    flat = _flatten(schema, resolver, 0)
    if not flat:
        return
    alternatives = flat.get("oneOf") or flat.get("anyOf")
    if isinstance(alternatives, list) and alternatives:
        best: Found | None = None
        for branch in alternatives[:MAX_BRANCHES]:
            trial: Found = set()
            _walk(branch, value, prop, resolver, trial, set(), depth + 1)
            if best is None or _weight(trial) < _weight(best):
                best = trial
            if not trial:
                break
        found |= best or set()
        return
    allowed = _allowed(flat)
    actual = _type_of(value)
    if allowed is not None and actual not in allowed:
        expected = "/".join(sorted(t for t in allowed if not (t == "integer" and "number" in allowed)))
        found.add((TYPE_CHANGED, prop, (("actual", actual), ("expected", expected))))
        return
    if actual == "string":
        enum = flat.get("enum")
        if isinstance(enum, list) and enum and value not in enum and value != MASK:
            found.add((ENUM_ADDED, prop, (("value", value[:100]),)))
    elif actual == "object":
        props = flat.get("properties") if isinstance(flat.get("properties"), dict) else {}
        for name in flat.get("required") or []:
            if isinstance(name, str) and name not in value:
                found.add((MISSING, _join(prop, name), ()))
        extra = flat.get("additionalProperties")
        for name, item in value.items():
            path = _join(prop, name)
            if len(seen) < 2000:
                seen.add(path)
            if name in props:
                _walk(props[name], item, path, resolver, found, seen, depth + 1)
            elif isinstance(extra, dict) and extra:
                _walk(extra, item, _join(prop, "{}"), resolver, found, seen, depth + 1)
            elif extra is not True:
                found.add((PROPERTY_ADDED, path, ()))
    elif actual == "array":
        items = flat.get("items")
        if isinstance(items, dict) and items:
            for element in value[:1000]:  # a page of a few hundred items shows what it has to show
                _walk(items, element, prop + "[]", resolver, found, seen, depth + 1)


def _weight(found: Found) -> tuple[int, int]:
    return (sum(1 for f in found if LEVELS[f[0]] is Level.BREAKING), len(found))


def _join(prop: str, name: str) -> str:
    return f"{prop}.{name}" if prop else name
