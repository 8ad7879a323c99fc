"""The catalogue as a whole: every rule has an id in kebab-case, a sentence, a description and a test."""

from __future__ import annotations

import re

import pytest

from monitor.engine import rules
from monitor.engine.messages import template_for
from monitor.engine.rules import operations, properties
from monitor.engine.rules.aspects import schema_rules
from tests.engine.rules import (
    test_defects,  # noqa: F401  (registers the rules it covers)
    test_limits,  # noqa: F401
    test_operations,
    test_schema_aspects,
    test_security_content,  # noqa: F401
    test_structure,  # noqa: F401
    test_webhooks,  # noqa: F401
)

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CATALOGUE = rules()
EXPLICIT = [*operations.RULES, *properties.RULES]

# rule id -> why no test can produce it; empty because every rule has a pair today
UNTESTED: dict[str, str] = {}


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE))
def test_rule_has_a_kebab_case_id_a_message_and_a_description(rule_id: str) -> None:
    rule = CATALOGUE[rule_id]
    assert rule.id == rule_id
    assert KEBAB.match(rule_id), rule_id
    assert template_for(rule_id) is not None, f"{rule_id} has no sentence in messages/en.yaml"
    assert rule.description.strip(), f"{rule_id} has no description"


def test_every_rule_is_exercised_by_a_test() -> None:
    covered = test_schema_aspects.COVERED | test_operations.COVERED
    assert covered <= set(CATALOGUE), f"tests name unknown rules: {sorted(covered - set(CATALOGUE))}"
    missing = set(CATALOGUE) - covered - set(UNTESTED)
    assert not missing, f"rules without a test: {sorted(missing)}"


def test_untested_waivers_are_real_and_still_needed() -> None:
    covered = test_schema_aspects.COVERED | test_operations.COVERED
    for rule_id, reason in UNTESTED.items():
        assert rule_id in CATALOGUE and rule_id not in covered and reason.strip()


def test_every_explicit_rule_is_tested_by_an_operation_test() -> None:
    assert {r.id for r in EXPLICIT} <= test_operations.COVERED


def test_an_explicit_rule_wins_over_its_generated_twin() -> None:
    generated = {r.id for r in schema_rules()}
    twins = [r for r in EXPLICIT if r.id in generated]
    assert twins, "request-parameter-deprecated is expected to have a generated twin"
    for rule in twins:
        assert CATALOGUE[rule.id] is rule


def test_explicit_rule_ids_are_declared_once() -> None:
    ids = [r.id for r in EXPLICIT]
    assert len(ids) == len(set(ids))
    assert len(CATALOGUE) == len(set(ids) | {r.id for r in schema_rules()})
