"""Operation- and spec-level rule families, assembled in a fixed order."""

from __future__ import annotations

from monitor.engine.rules import bodies, composition, defects, lifecycle, limits, parameters, paths, security, webhooks

RULES = [*paths.RULES, *lifecycle.RULES, *parameters.RULES, *bodies.RULES, *security.RULES, *limits.RULES]
RULES += defects.RULES + webhooks.RULES + composition.RULES
OPERATION_CHECKS = (
    *paths.OPERATION_CHECKS, *lifecycle.CHECKS, *security.OPERATION_CHECKS,
    *parameters.OPERATION_CHECKS, *bodies.OPERATION_CHECKS, *limits.CHECKS,
)  # fmt: skip
SPEC_CHECKS = (paths.check_webhooks, paths.check_schemas, *security.SPEC_CHECKS)
SPEC_CHECKS += (defects.check_defects,)
