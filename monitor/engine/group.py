"""One root cause, one finding: fold findings reached from many operations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from monitor.engine.messages import render
from monitor.engine.model import Level
from monitor.engine.rules.base import Finding, Rule


class Change:
    """A reported change: a rule, its level, where, which operations it touches, and its sentence."""

    __slots__ = ("args", "id", "level", "location", "message", "operations")

    def __init__(
        self,
        id: str,
        level: Level,
        location: str,
        args: dict[str, Any],
        operations: list[str] | None = None,
        message: str = "",
    ) -> None:
        self.id = id
        self.level = level
        self.location = location
        self.args = args
        self.operations = [] if operations is None else operations
        self.message = message

    def __repr__(self) -> str:
        return f"Change({self.id!r}, {self.level.value!r}, {self.location!r}, operations={self.operations!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Change) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    @property
    def operation(self) -> str | None:
        return self.operations[0] if self.operations else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level.value,
            "operation": self.operation,
            "operations": list(self.operations),
            "location": self.location,
            "message": self.message,
            "args": self.args,
        }


def group(
    raw: Iterable[tuple[str | None, Finding]], rules: Mapping[str, Rule], levels: Mapping[str, Level]
) -> list[Change]:
    """Fold raw (operation, finding) pairs into changes, ordered by level then location."""
    by_key: dict[tuple[str, str, str], Change] = {}
    listed: dict[tuple[str, str, str], set[str]] = {}  # a change's operations, for the membership test
    # A component's finding is one object reached from every operation that uses the component (Stripe: 9,589
    # raw findings, 730 objects), so its key is computed once; the finding is kept so its id stays its own.
    keys: dict[int, tuple[Finding, tuple[str, str, str]]] = {}
    for operation, finding in raw:
        known = keys.get(id(finding))
        if known is None:
            known = keys[id(finding)] = (finding, finding.key)
        key = known[1]
        change = by_key.get(key)
        if change is None:
            rule = rules[finding.rule_id]
            level = levels.get(finding.rule_id, rule.level)
            change = Change(finding.rule_id, level, finding.location, finding.args)
            by_key[key] = change
            listed[key] = set()
        if operation is not None and operation not in listed[key]:
            listed[key].add(operation)
            change.operations.append(operation)
    changes = list(by_key.values())
    for change in changes:
        change.operations.sort()
        change.message = render(change.id, change.args)
    changes.sort(key=lambda c: (-c.level.rank, c.operation or "", c.location, c.id, c.message))
    return changes
