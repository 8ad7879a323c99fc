"""The rule catalogue: every rule family's rules, in a fixed order, and the schema checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache

from monitor.engine.rules import composition, constraints, enums, properties, types
from monitor.engine.rules.aspects import BOUNDS, schema_rule, schema_rules
from monitor.engine.rules.base import Finding, Rule

# A schema check compares the old schema with the new one and finds nothing between equal ones: the walk skips
# them on pairs that are equal (schemas._changed_keys), telling `true` from `1` only for the keys named there, which
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


# The keys each schema check reads, for those that read few: the walk runs one only on a pair that differs in one
# of its keys (most changed pairs differ in their properties alone). A check not named here runs on every changed
# pair. tests/engine/test_annotation_skipping.py records what each check reads and holds it to this table.
CHECK_KEYS: dict[Callable[..., Iterable[Finding]], frozenset[str]] = {
    types.check_format: frozenset(("format",)),
    types.check_nullable: frozenset(("nullable", "x-nullable", "type", "enum")),
    types.check_wholesale: frozenset(("properties", "required", "type", "additionalProperties", "items")),
    enums.check_enum: frozenset(("enum",)),
    enums.check_extensible_enum: frozenset(("x-extensible-enum",)),
    enums.check_default: frozenset(("default",)),
    enums.check_const: frozenset(("const",)),
    constraints.check_bounds: frozenset(BOUNDS),
    constraints.check_pattern: frozenset(("pattern",)),
    constraints.check_multiple_of: frozenset(("multipleOf",)),
    constraints.check_unique_items: frozenset(("uniqueItems",)),
    constraints.check_presence_keywords: frozenset(constraints.PRESENCE),
    constraints.check_content_keywords: frozenset(("contentEncoding", "contentMediaType")),
    constraints.check_dependent_required: frozenset(("dependentRequired",)),
    constraints.check_keyed_schemas: frozenset(("dependentSchemas", "patternProperties")),
    constraints.check_additional_properties: frozenset(("additionalProperties",)),
    constraints.check_deprecated: frozenset(("deprecated",)),
    composition.check_discriminator: frozenset(("discriminator",)),
    properties.check_visibility: frozenset(("readOnly", "writeOnly")),
}


_LISTED_KEYS = frozenset().union(*CHECK_KEYS.values())


def checks_for(changed: frozenset[object]) -> tuple[Callable[..., Iterable[Finding]], ...]:
    """The schema checks, in their order, that may find something between schemas differing in `changed` (keys,
    at least one)."""
    return _checks_for(changed & _LISTED_KEYS)  # other keys run only the unlisted checks: a bounded memo


@lru_cache(maxsize=1024)
def _checks_for(listed: frozenset[object]) -> tuple[Callable[..., Iterable[Finding]], ...]:
    return tuple(c for c in SCHEMA_CHECKS if c not in CHECK_KEYS or not CHECK_KEYS[c].isdisjoint(listed))


__all__ = ["CHECK_KEYS", "SCHEMA_CHECKS", "Finding", "Rule", "catalogue", "checks_for", "unread"]


def catalogue() -> dict[str, Rule]:
    table = dict(_declared())
    for rule in schema_rules():  # an explicit rule (request-parameter-deprecated) wins over its generated twin
        table.setdefault(rule.id, rule)
    return table


@cache
def rule(rule_id: str) -> Rule:
    """One rule of the catalogue, without generating all 1,228 (a diff meets a few dozen ids). KeyError if none."""
    found = _declared().get(rule_id)
    if found is not None:
        return found
    from monitor.engine.messages import split_schema_rule  # messages import the aspects: import late, no cycle

    context, aspect = split_schema_rule(rule_id)
    found = schema_rule(context, aspect) if context is not None else None
    if found is None:
        raise KeyError(rule_id)
    return found


@cache
def _declared() -> dict[str, Rule]:
    from monitor.engine.rules import operations

    table: dict[str, Rule] = {}
    for declared in [*operations.RULES, *properties.RULES]:
        if declared.id in table:
            raise RuntimeError(f"rule id {declared.id} is declared twice")
        table[declared.id] = declared
    return table
