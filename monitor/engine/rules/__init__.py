"""The rule catalogue: every rule family's rules, in a fixed order, and the schema checks."""

from __future__ import annotations

from monitor.engine.rules import composition, constraints, enums, properties, types
from monitor.engine.rules.aspects import schema_rules
from monitor.engine.rules.base import Finding, Rule

# A schema check compares the old schema with the new one and finds nothing between equal ones: the walk skips
# them on pairs that are equal (schemas._alike), telling `true` from `1` only for the keys named there, which
# are the ones a check reads with `is True`/`is False`. tests/engine/test_unchanged_skipping.py holds them to it.
SCHEMA_CHECKS = (
    *types.CHECKS, *enums.CHECKS, *constraints.CHECKS, *composition.CHECKS, properties.check_visibility,
)  # fmt: skip

# Keys no schema check reads, nor any extension but these two: a pair that differs only in such keys (two thirds
# of the changed pairs of a real API differ only in a description) is skipped like an equal one.
# tests/engine/test_annotation_skipping.py records what each check reads and holds it to this.
UNREAD_KEYS = frozenset(("description", "title", "example", "examples", "externalDocs", "$comment"))
READ_EXTENSIONS = frozenset(("x-nullable", "x-extensible-enum"))


def unread(key: object) -> bool:
    """Whether no schema check reads `key` (a keyword or extension of the schemas it compares)."""
    return key in UNREAD_KEYS or (isinstance(key, str) and key.startswith("x-") and key not in READ_EXTENSIONS)


__all__ = ["SCHEMA_CHECKS", "Finding", "Rule", "catalogue", "unread"]


def catalogue() -> dict[str, Rule]:
    from monitor.engine.rules import operations

    table: dict[str, Rule] = {}
    for rule in [*operations.RULES, *properties.RULES]:
        if rule.id in table:
            raise RuntimeError(f"rule id {rule.id} is declared twice")
        table[rule.id] = rule
    for rule in schema_rules():  # an explicit rule (request-parameter-deprecated) wins over its generated twin
        table.setdefault(rule.id, rule)
    return table
