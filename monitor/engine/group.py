"""One root cause, one finding: fold findings reached from many operations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    raw: Iterable[tuple[str | None, Finding]], rule: Callable[[str], Rule], levels: Mapping[str, Level]
) -> list[Change]:
    """Fold raw (operation, finding) pairs into changes, ordered by level then location."""
    by_key: dict[tuple[str, str, str], tuple[Change, set[str]]] = {}  # a change and the operations it touches
    # A component's finding is one object reached from every operation that uses the component (Stripe: 9,589
    # raw findings, 730 objects), so its change is looked up once per object; the finding is kept so its id stays
    # its own.
    by_object: dict[int, tuple[Finding, set[str]]] = {}
    for operation, finding in raw:
        known = by_object.get(id(finding))
        if known is None:
            key = finding.key
            found = by_key.get(key)
            if found is None:
                default = rule(finding.rule_id).level
                change = Change(finding.rule_id, levels.get(finding.rule_id, default), finding.location, finding.args)
                found = by_key[key] = (change, set())
            known = by_object[id(finding)] = (finding, found[1])
        if operation is not None:
            known[1].add(operation)
    changes = []
    for change, operations in by_key.values():
        change.operations = sorted(operations)
        change.message = render(change.id, change.args)
        changes.append(change)
    changes.sort(key=lambda c: (-c.level.rank, c.operation or "", c.location, c.id, c.message))
    return changes
