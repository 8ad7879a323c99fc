"""Operation- and spec-level rule families, assembled in a fixed order."""

from __future__ import annotations

from monitor.engine.rules import bodies, lifecycle, limits, parameters, paths, security

RULES = [*paths.RULES, *lifecycle.RULES, *parameters.RULES, *bodies.RULES, *security.RULES, *limits.RULES]
OPERATION_CHECKS = (
    *paths.OPERATION_CHECKS, *lifecycle.CHECKS, *security.OPERATION_CHECKS,
    *parameters.OPERATION_CHECKS, *bodies.OPERATION_CHECKS, *limits.CHECKS,
)  # fmt: skip
SPEC_CHECKS = (paths.check_webhooks, paths.check_schemas, *security.SPEC_CHECKS)
