"""Consumer-aware filtering (only what an integration uses) and ignore entries with an expiry date."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from monitor.engine.errors import OptionsError
from monitor.engine.limits import Need, parse_need
from monitor.engine.model import Operation, operation_key

_METHOD_PATH = re.compile(r"^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE)\s+(/\S*)$", re.IGNORECASE)


class Usage(NamedTuple):
    """The operations (by operationId or `METHOD /path`) and, optionally, the fields a consumer uses.

    `fields` maps an operation reference to property paths (`OrderStatus`, `ShippingAddress.City`);
    an operation without fields listed uses all of its fields.
    """

    operations: frozenset[str]
    fields: Mapping[str, frozenset[str]] = MappingProxyType({})
    needs: Mapping[str, Need] = MappingProxyType({})  # operation ref -> the rate/burst it needs

    def need_for(self, op: Operation) -> Need | None:
        return next((self.needs[r] for r in self._refs(op) if r in self.needs), None)

    def _refs(self, op: Operation) -> list[str]:
        refs = [op.key]
        if op.operation_id:
            refs.append(op.operation_id)
        return refs

    def uses(self, op: Operation) -> bool:
        return any(r in self.operations for r in self._refs(op))

    def uses_property(self, op: Operation, prop: str | None) -> bool:
        if prop is None:
            return True
        wanted: set[str] = set()
        for ref in self._refs(op):
            if ref in self.fields:
                wanted |= self.fields[ref]
        if not wanted:
            return True
        clean = prop.replace("[]", "").replace("{}", "")
        return any(clean == w or clean.startswith(w + ".") or w.startswith(clean + ".") for w in wanted)


class IgnoreEntry(NamedTuple):
    rule: str | None
    operation: str | None  # operation key or operationId; None matches every operation
    reason: str
    expires: date | None

    def is_active(self, today: date) -> bool:
        return self.expires is None or today <= self.expires


def normalise_operation_ref(ref: str) -> str:
    """`get /orders/{orderId}` -> `GET /orders/{}`; an operationId stays as it is."""
    match = _METHOD_PATH.match(ref.strip())
    return operation_key(match.group(1), match.group(2)) if match else ref.strip()


def _read_yaml(path: str | Path, what: str) -> Any:
    import yaml  # here, not at the top: a plain diff of JSON specs never needs PyYAML (~15 ms to import)

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OptionsError(f"{path}: cannot read {what} file: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OptionsError(f"{path}: invalid YAML in {what} file: {exc}") from exc


def load_usage(path: str | Path) -> Usage:
    """Read a usage file: a list of operations, or `{operations: [...]}` whose items may carry `fields` and needs.

    operations:
      - getOrders
      - operation: GET /orders/v0/orders/{orderId}
        fields: [OrderStatus, ShippingAddress.City]
      - {operation: getOrderItems, rate: 0.5/s, burst: 10}   # or per_day / per_hour / per_minute
    """
    data = _read_yaml(path, "usage")
    if isinstance(data, dict):
        data = data.get("operations", data.get("uses"))
    if not isinstance(data, list):
        raise OptionsError(f"{path}: a usage file lists operations (a list, or `operations:` with a list)")
    ops: set[str] = set()
    fields: dict[str, frozenset[str]] = {}
    needs: dict[str, Need] = {}
    for i, item in enumerate(data):
        if isinstance(item, str):
            ops.add(normalise_operation_ref(item))
        elif isinstance(item, dict) and isinstance(item.get("operation"), str):
            ref = normalise_operation_ref(item["operation"])
            ops.add(ref)
            if item.get("fields") is not None:
                if not isinstance(item["fields"], list):
                    raise OptionsError(f"{path}: entry {i + 1}: `fields` must be a list")
                fields[ref] = frozenset(str(f) for f in item["fields"])
            try:
                need = parse_need(item)
            except ValueError as exc:
                raise OptionsError(f"{path}: entry {i + 1}: {exc}") from exc
            if need is not None:
                needs[ref] = need
        else:
            raise OptionsError(f"{path}: entry {i + 1} is neither an operation nor {{operation: ..., fields: [...]}}")
    return Usage(frozenset(ops), fields, needs)


def load_ignore(path: str | Path) -> tuple[IgnoreEntry, ...]:
    """Read an ignore file: a list of {rule, operation, reason, expires}; reason is required."""
    data = _read_yaml(path, "ignore")
    if isinstance(data, dict):
        data = data.get("ignore")
    if data is None:
        return ()
    if not isinstance(data, list):
        raise OptionsError(f"{path}: an ignore file is a list of entries (rule, operation, reason, expires)")
    entries = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise OptionsError(f"{path}: entry {i + 1} is not a mapping")
        unknown = set(item) - {"rule", "id", "operation", "reason", "expires"}
        if unknown:
            raise OptionsError(f"{path}: entry {i + 1}: unknown key(s) {', '.join(sorted(unknown))}")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise OptionsError(f"{path}: entry {i + 1}: a reason is required")
        rule = item.get("rule", item.get("id"))
        op = item.get("operation")
        if rule is None and op is None:
            raise OptionsError(f"{path}: entry {i + 1}: give a rule, an operation or both")
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError as exc:
                raise OptionsError(f"{path}: entry {i + 1}: expires {expires!r} is not a YYYY-MM-DD date") from exc
        elif expires is not None and not isinstance(expires, date):
            raise OptionsError(f"{path}: entry {i + 1}: expires must be a YYYY-MM-DD date")
        entries.append(IgnoreEntry(rule, normalise_operation_ref(op) if isinstance(op, str) else None, reason, expires))
    return tuple(entries)
