"""Compare two loaded specs: run every rule family over matched operations, then group and filter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from itertools import repeat
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from monitor.engine._gc import paused_gc
from monitor.engine.errors import RefusedInput
from monitor.engine.group import Change, group
from monitor.engine.model import Level, Operation, Spec
from monitor.engine.rules import catalogue, rule
from monitor.engine.rules.base import Finding, Rule
from monitor.engine.rules.context import OperationPair, SpecPair
from monitor.engine.rules.defects import check_defects
from monitor.engine.rules.limits import apply_needs, escalate
from monitor.engine.rules.operations import OPERATION_CHECKS, SPEC_CHECKS
from monitor.engine.rules.paths import check_operations_added_removed
from monitor.engine.rules.webhooks import check_events
from monitor.engine.schemas import SchemaComparer

if TYPE_CHECKING:  # the filters are read only when a caller passes them: not imported by a plain diff
    from monitor.engine.filters import IgnoreEntry, Usage


class DiffOptions(NamedTuple):
    """What the caller may tune; the engine never reads the service's settings.

    **Parameters:**
    * **levels** - per rule id level overrides.
    * **usage** - only the operations (and fields) a consumer uses.
    * **ignore** - accepted changes; an entry past its expiry stops applying.
    * **today** - the date sunset dates are measured against (defaults to the real today).
    * **min_sunset_days** - how far ahead a new deprecation's sunset date must be.
    """

    levels: Mapping[str, Level] = MappingProxyType({})
    usage: Usage | None = None
    ignore: tuple[IgnoreEntry, ...] = ()
    today: date | None = None
    min_sunset_days: int = 0


class DiffResult:
    __slots__ = ("changes", "ignored", "new", "old")

    def __init__(
        self, old: dict[str, str], new: dict[str, str], changes: list[Change], ignored: list[Change] | None = None
    ) -> None:
        self.old = old
        self.new = new
        self.changes = changes
        self.ignored = [] if ignored is None else ignored

    @property
    def summary(self) -> dict[str, int]:
        counts = {level.value: 0 for level in Level}
        for change in self.changes:
            counts[change.level.value] += 1
        return counts

    def reaches(self, level: Level) -> bool:
        return any(c.level.rank >= level.rank for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "summary": self.summary,
            "changes": [c.to_dict() for c in self.changes],
        }


@cache
def rules() -> dict[str, Rule]:
    return catalogue()


def diff(old: Spec, new: Spec, options: DiffOptions | None = None) -> DiffResult:
    """Every change from `old` to `new`, one per root cause.

    Usage: `result = diff(load_spec("old.json"), load_spec("new.json"))`
    """
    try:
        with paused_gc():
            return _diff(old, new, options)
    except RecursionError as exc:  # only hostile, absurdly nested documents get here
        raise RefusedInput(new.file, "the documents nest too deeply to compare") from exc


def _diff(old: Spec, new: Spec, options: DiffOptions | None) -> DiffResult:
    options = options or DiffOptions()
    comparer = SchemaComparer(old.resolver, new.resolver)  # the loaders' own: targets looked up once per spec
    specs = SpecPair(old, new, comparer, options.today or date.today(), options.min_sunset_days)
    usage = options.usage
    ops: dict[str, Operation] = {}
    raw: list[tuple[str | None, Finding]] = []

    for label, finding in check_operations_added_removed(specs):
        op = old.operations.get(_key(label)) or new.operations[_key(label)]
        if usage is None or usage.uses(op):
            ops[label] = op
            raw.append((label, finding))
    for label, finding in check_events(specs):  # webhooks and callbacks: the platform is the client
        op = new.events.get(label) or old.events[label]
        parent = None if op.parent is None else new.operations.get(op.parent) or old.operations.get(op.parent)
        if usage is None or usage.uses(op) or (parent is not None and usage.uses(parent)):  # a callback goes with
            # the operation that registers it: a consumer of POST /subscriptions receives its callbacks
            ops[label] = op
            raw.append((label, finding))
    if usage is None:
        for spec_check in SPEC_CHECKS:
            raw.extend((None, f) for f in spec_check(specs))
    else:  # a defect is reported unless it sits inside an operation the consumer does not use
        unused = tuple(op.pointer + "/" for op in new.operations.values() if not usage.uses(op))
        raw.extend((None, f) for f in check_defects(specs) if not (f.location + "/").startswith(unused))
    same_defaults = old.format == new.format and all(
        old.root.get(k) == new.root.get(k) for k in ("consumes", "produces", "basePath")
    )
    for key, old_op in old.operations.items():
        new_op = new.operations.get(key)
        if new_op is None or (usage is not None and not usage.uses(new_op)):
            continue
        if (
            same_defaults
            and _unchanged(comparer, old_op.raw, new_op.raw)
            and comparer.same(old_op.raw_path_parameters, new_op.raw_path_parameters)
        ):
            continue
        label = new_op.label
        ops[label] = new_op
        inputs_unchanged = (
            same_defaults and old_op.path == new_op.path and _unchanged(comparer, _inputs(old_op), _inputs(new_op))
        )
        pair = OperationPair(old_op, new_op, specs, inputs_unchanged)
        for check in OPERATION_CHECKS:
            raw.extend(zip(repeat(label), check(pair)))  # one (label, finding) per finding, without a Python frame

    if usage is not None and usage.fields:
        raw = [
            (label, f) for label, f in raw if label is None or usage.uses_property(ops[label], f.args.get("property"))
        ]
    if usage is not None and usage.needs:
        raw = apply_needs(raw, ops, usage)
    changes = group(raw, rule, options.levels)
    if usage is not None and usage.needs:
        changes = escalate(changes)
    kept, ignored = _apply_ignore(changes, options.ignore, specs.today, ops)
    return DiffResult(old.info, new.info, kept, ignored)


def _inputs(op: Operation) -> list[Any]:
    """What an operation's parameters and body are read from (`Operation.inputs`); a ref in them that changed
    makes them differ (`SchemaComparer.same`)."""
    return [op.raw_path_parameters, op.raw.get("parameters"), op.raw.get("requestBody"), op.raw.get("consumes")]


def _unchanged(comparer: SchemaComparer, old: Any, new: Any) -> bool:
    """The same, and written alike: nothing read from them can differ."""
    return comparer.same(old, new) and _written_alike(old, new)


def _written_alike(old: Any, new: Any) -> bool:
    """Equal as JSON: `==` finds `deprecated: 1` and `deprecated: true` equal; the checks do not."""
    try:
        return orjson.dumps(old) == orjson.dumps(new)
    except TypeError:  # deeper than orjson writes, or keys that are not strings: compared in full
        return False


def _key(label: str) -> str:
    from monitor.engine.model import operation_key

    method, path = label.split(" ", 1)
    return operation_key(method, path)


def _apply_ignore(
    changes: list[Change], entries: tuple[IgnoreEntry, ...], today: date, ops: dict[str, Operation]
) -> tuple[list[Change], list[Change]]:
    active = [e for e in entries if e.is_active(today)]
    if not active:
        return changes, []
    kept, ignored = [], []
    for change in changes:
        matching = [e for e in active if e.rule in (None, change.id)]
        if not matching:
            kept.append(change)
            continue
        if any(e.operation is None for e in matching):
            ignored.append(change)
            continue
        refs = {e.operation for e in matching}
        left = [label for label in change.operations if not _matches(ops.get(label), label, refs)]
        if change.operations and not left:
            ignored.append(change)
        else:
            if len(left) != len(change.operations):
                change.operations = left
            kept.append(change)
    return kept, ignored


def _matches(op: Operation | None, label: str, refs: set[str | None]) -> bool:
    return _key(label) in refs or (op is not None and op.operation_id in refs)
