"""Plain text for a terminal: changes grouped by the operations they touch, worst first."""

from __future__ import annotations

from monitor.engine.diff import DiffResult
from monitor.engine.group import Change

_MARK = {"breaking": "BREAKING", "warning": "warning ", "info": "info    "}
MAX_LISTED_OPERATIONS = 3


def operations_label(change: Change) -> str:
    ops = change.operations
    if not ops:
        return "(whole spec)"
    shown = ", ".join(ops[:MAX_LISTED_OPERATIONS])
    more = len(ops) - MAX_LISTED_OPERATIONS
    return shown + (f" and {more} more" if more > 0 else "")


def render(result: DiffResult) -> str:
    s = result.summary
    lines = [
        f"{result.old['file']} ({result.old['format']} {result.old['version']}) -> "
        f"{result.new['file']} ({result.new['format']} {result.new['version']})",
        f"{s['breaking']} breaking, {s['warning']} warning, {s['info']} info",
    ]
    groups: dict[str, list[Change]] = {}
    for change in result.changes:
        groups.setdefault(operations_label(change), []).append(change)
    for label, changes in groups.items():
        lines.append("")
        lines.append(label)
        for c in changes:
            lines.append(f"  {_MARK[c.level.value]} {c.message}  [{c.id}]")
    if result.ignored:
        lines.append("")
        n = len(result.ignored)
        lines.append(f"{n} change{'' if n == 1 else 's'} ignored by the ignore file")
    return "\n".join(lines) + "\n"
