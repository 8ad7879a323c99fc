"""Rate limits: an operation's documented rate and burst went down, up, appeared or disappeared.

Only figures count: rewording the usage-plan table (`.5` -> `0.5`, spaces, another plan listed beside it) or editing
the description around it is not a finding. A used operation whose new figure is below what the consumer declared it
needs (`{operation: getOrders, rate: 0.5/s}`) is breaking, whatever the rule's default level.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from monitor.engine.limits import RateLimit, format_count, format_rate, limit_text, per_day
from monitor.engine.model import Operation
from monitor.engine.rules.base import BREAKING, INFO, NONE, WARNING, Finding, Rule
from monitor.engine.rules.context import OperationPair

if TYPE_CHECKING:
    from monitor.engine.filters import Usage
    from monitor.engine.group import Change

RULES = [
    Rule("operation-rate-limit-decreased", WARNING, NONE, "limits", "limits", "An operation's documented rate limit (requests per second) was lowered"),
    Rule("operation-rate-limit-increased", INFO, NONE, "limits", "limits", "An operation's documented rate limit (requests per second) was raised"),
    Rule("operation-burst-decreased", WARNING, NONE, "limits", "limits", "An operation's documented burst was lowered"),
    Rule("operation-burst-increased", INFO, NONE, "limits", "limits", "An operation's documented burst was raised"),
    Rule("operation-rate-limit-removed", INFO, NONE, "limits", "limits", "An operation's rate limit is no longer documented"),
    Rule("operation-rate-limit-added", INFO, NONE, "limits", "limits", "An operation's rate limit is now documented"),
]  # fmt: skip
IDS = frozenset(r.id for r in RULES)
RATE_IDS = frozenset({"operation-rate-limit-decreased", "operation-rate-limit-added"})
BURST_IDS = frozenset({"operation-burst-decreased", "operation-rate-limit-added"})


def _location(op: Operation, limit: RateLimit) -> str:
    return f"{op.pointer}/{'description' if limit.source == 'usage-plan' else limit.source}"


def _figures(limit: RateLimit, side: str) -> dict[str, object]:
    args: dict[str, object] = {}
    if limit.rate is not None:
        args[side] = format_rate(limit.rate)
        args[f"{side}_per_day"] = format_count(per_day(limit.rate))
    if limit.burst is not None:
        args[f"{side}_burst"] = limit.burst
    return args


def _describe(limit: RateLimit) -> str:
    """`5 requests per second (432,000 calls a day), burst 10`, leaving out what the spec does not say."""
    parts = []
    if limit.rate is not None:
        parts.append(f"{format_rate(limit.rate)} requests per second ({format_count(per_day(limit.rate))} calls a day)")
    if limit.burst is not None:
        parts.append(f"burst {limit.burst}")
    return ", ".join(parts)


def check_limits(p: OperationPair) -> Iterator[Finding]:
    text = limit_text(p.old.raw)
    if text is not None and text == limit_text(p.new.raw):  # most descriptions do not change: no table is read
        return
    old, new = p.old.limit, p.new.limit
    if old is None and new is None:
        return
    if new is None:
        assert old is not None
        yield Finding(
            "operation-rate-limit-removed", _location(p.old, old), {**_figures(old, "old"), "limit": _describe(old)}
        )
        return
    loc = _location(p.new, new)
    if old is None:
        yield Finding("operation-rate-limit-added", loc, {**_figures(new, "new"), "limit": _describe(new)})
        return
    if old.rate is not None and new.rate is not None and old.rate != new.rate:
        rule = "operation-rate-limit-decreased" if new.rate < old.rate else "operation-rate-limit-increased"
        yield Finding(rule, loc, {**_figures(old, "old"), **_figures(new, "new")})
    if old.burst is not None and new.burst is not None and old.burst != new.burst:
        rule = "operation-burst-decreased" if new.burst < old.burst else "operation-burst-increased"
        yield Finding(rule, loc, {"old": old.burst, "new": new.burst})


CHECKS = (check_limits,)


def apply_needs(
    raw: list[tuple[str | None, Finding]], ops: dict[str, Operation], usage: Usage
) -> list[tuple[str | None, Finding]]:
    """Mark the limit findings whose new figure falls below the consumer's declared need (they become breaking)."""
    out: list[tuple[str | None, Finding]] = []
    for label, finding in raw:
        if label is not None and finding.rule_id in RATE_IDS | BURST_IDS:
            op = ops[label]
            need = usage.need_for(op)
            short = (
                need.shortfall(op.limit, rate=finding.rule_id in RATE_IDS, burst=finding.rule_id in BURST_IDS)
                if need
                else None
            )
            if need is not None and short is not None:
                finding = Finding(
                    finding.rule_id, finding.location, {**finding.args, "need": need.text, "shortfall": short}
                )
        out.append((label, finding))
    return out


def escalate(changes: list[Change]) -> list[Change]:
    """A limit below the need breaks the consumer: breaking, and the sentence says by how much."""
    from monitor.engine.messages import render  # messages import the rule aspects: import late, no cycle

    touched = False
    for change in changes:
        if change.id in IDS and "shortfall" in change.args:
            change.level = BREAKING
            change.message = f"{change.message}. {render('operation-rate-limit-below-need', change.args)}"
            touched = True
    if touched:
        changes.sort(key=lambda c: (-c.level.rank, c.operation or "", c.location, c.id, c.message))
    return changes
