"""Deprecation, sunset dates and stability levels: when removing something is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from monitor.engine.model import Operation
from monitor.engine.rules.base import BREAKING, INFO, NONE, REQUEST, Finding, Rule
from monitor.engine.rules.context import OperationPair, SpecPair

RULES = [
    Rule("endpoint-deprecated", INFO, NONE, "paths", "lifecycle", "An operation was deprecated without a sunset date"),
    Rule("endpoint-deprecated-with-sunset", INFO, NONE, "paths", "lifecycle", "An operation was deprecated with a sunset date"),
    Rule("endpoint-reactivated", INFO, NONE, "paths", "lifecycle", "A deprecated operation is no longer deprecated"),
    Rule("api-deprecated-sunset-parse", BREAKING, NONE, "paths", "lifecycle", "A deprecated operation's sunset date cannot be parsed"),
    Rule("api-sunset-date-too-small", BREAKING, NONE, "paths", "lifecycle", "A deprecated operation's sunset date is sooner than the minimum notice"),
    Rule("sunset-deleted", BREAKING, NONE, "paths", "lifecycle", "The sunset date of a still-deprecated operation was removed"),
    Rule("api-sunset-date-changed-too-small", BREAKING, NONE, "paths", "lifecycle", "A sunset date was moved earlier than the minimum notice allows"),
    Rule("api-sunset-date-changed", INFO, NONE, "paths", "lifecycle", "A sunset date was moved"),
    Rule("api-stability-decreased", BREAKING, NONE, "paths", "lifecycle", "An operation's x-stability-level was lowered"),
    Rule("api-stability-increased", INFO, NONE, "paths", "lifecycle", "An operation's x-stability-level was raised"),
    Rule("api-invalid-stability-level", BREAKING, NONE, "paths", "lifecycle", "An operation's x-stability-level is not draft, alpha, beta or stable"),
    Rule("request-parameter-deprecated", INFO, REQUEST, "parameters", "lifecycle", "A request parameter was deprecated"),
    Rule("request-parameter-reactivated", INFO, REQUEST, "parameters", "lifecycle", "A request parameter is no longer deprecated"),
]  # fmt: skip

STABILITY = {"draft": 0, "alpha": 1, "beta": 2, "stable": 3}
SUNSET_KEYS = ("x-sunset", "x-sunset-date")


def sunset_of(extensions: dict[str, Any]) -> tuple[date | None, str | None]:
    """(parsed date, raw text); raw without a date means the value could not be parsed."""
    for key in SUNSET_KEYS:
        raw = extensions.get(key)
        if raw is None:
            continue
        if isinstance(raw, date):  # YAML turns 2025-03-31 into a date
            return raw, str(raw)
        text = str(raw).strip()
        match = re.match(r"^(\d{4}-\d{2}-\d{2})", text)
        if match:
            try:
                return datetime.strptime(match.group(1), "%Y-%m-%d").date(), text
            except ValueError:
                pass
        return None, text
    return None, None


def check_deprecation(p: OperationPair) -> Iterator[Finding]:
    """Deprecating announces a removal; the sunset date says when, and must leave enough notice."""
    old, new = p.old, p.new
    loc = f"{new.pointer}/deprecated"
    old_sunset, _ = sunset_of(old.extensions)
    new_sunset, new_raw = sunset_of(new.extensions)
    if new.deprecated and not old.deprecated:
        if new_raw is not None and new_sunset is None:
            yield Finding("api-deprecated-sunset-parse", loc, {"sunset": new_raw})
        elif new_sunset is not None:
            if (new_sunset - p.specs.today).days < p.specs.min_sunset_days:  # instead of the info: one root cause
                yield Finding(
                    "api-sunset-date-too-small", loc, {"sunset": str(new_sunset), "days": p.specs.min_sunset_days}
                )
            else:
                yield Finding("endpoint-deprecated-with-sunset", loc, {"sunset": str(new_sunset)})
        else:
            yield Finding("endpoint-deprecated", loc, {})
    elif old.deprecated and not new.deprecated:
        yield Finding("endpoint-reactivated", loc, {})
    elif old.deprecated and new.deprecated:
        if old_sunset is not None and new_sunset is None:
            yield Finding("sunset-deleted", loc, {"old": str(old_sunset)})
        elif old_sunset is not None and new_sunset is not None and old_sunset != new_sunset:
            days = (new_sunset - p.specs.today).days
            if new_sunset < old_sunset and days < p.specs.min_sunset_days:
                yield Finding(
                    "api-sunset-date-changed-too-small", loc, {"old": str(old_sunset), "new": str(new_sunset)}
                )
            else:
                yield Finding("api-sunset-date-changed", loc, {"old": str(old_sunset), "new": str(new_sunset)})


def check_stability(p: OperationPair) -> Iterator[Finding]:
    old, new = p.old.extensions.get("x-stability-level"), p.new.extensions.get("x-stability-level")
    if old == new or new is None:
        return
    loc = f"{p.new.pointer}/x-stability-level"
    if new not in STABILITY:
        yield Finding("api-invalid-stability-level", loc, {"value": new})
        return
    if old in STABILITY:
        if STABILITY[new] < STABILITY[old]:
            yield Finding("api-stability-decreased", loc, {"old": old, "new": new})
        elif STABILITY[new] > STABILITY[old]:
            yield Finding("api-stability-increased", loc, {"old": old, "new": new})


def removal_verdict(op: Operation, specs: SpecPair) -> str:
    """How an operation's removal stands against its deprecation: without, before the sunset, or with."""
    if not op.deprecated and STABILITY.get(str(op.extensions.get("x-stability-level")), 3) >= 2:
        return "without-deprecation"
    if op.deprecated:
        sunset, _ = sunset_of(op.extensions)
        if sunset is not None and sunset > specs.today:
            return "before-sunset"
    return "with-deprecation"


CHECKS = (check_deprecation, check_stability)
