"""Endpoints and operations appearing and disappearing, operation ids, tags, webhooks and schemas."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.engine.model import operation_key
from monitor.engine.rules.base import BREAKING, INFO, NONE, WARNING, Finding, Rule
from monitor.engine.rules.context import OperationPair, SpecPair, escape
from monitor.engine.rules.lifecycle import removal_verdict

RULES = [
    Rule("endpoint-added", INFO, NONE, "paths", "existence", "An operation was added"),
    Rule("api-path-removed-without-deprecation", BREAKING, NONE, "paths", "existence", "A path was removed without being deprecated first"),
    Rule("api-path-removed-with-deprecation", INFO, NONE, "paths", "existence", "A deprecated path was removed after its sunset"),
    Rule("api-path-removed-before-sunset", BREAKING, NONE, "paths", "existence", "A deprecated path was removed before its sunset date"),
    Rule("api-removed-without-deprecation", BREAKING, NONE, "paths", "existence", "An operation was removed without being deprecated first"),
    Rule("api-removed-with-deprecation", INFO, NONE, "paths", "existence", "A deprecated operation was removed after its sunset"),
    Rule("api-removed-before-sunset", BREAKING, NONE, "paths", "existence", "A deprecated operation was removed before its sunset date"),
    Rule("api-operation-id-removed", INFO, NONE, "paths", "existence", "An operation lost its operationId"),
    Rule("api-operation-id-added", INFO, NONE, "paths", "existence", "An operation got an operationId"),
    Rule("api-operation-id-changed", WARNING, NONE, "paths", "existence", "An operation's operationId changed (generated clients rename the method)"),
    Rule("api-tag-added", INFO, NONE, "tags", "existence", "A tag was added to an operation"),
    Rule("api-tag-removed", INFO, NONE, "tags", "existence", "A tag was removed from an operation"),
    Rule("webhook-added", INFO, NONE, "components", "existence", "A webhook was added"),
    Rule("webhook-removed", BREAKING, NONE, "components", "existence", "A webhook was removed"),
    Rule("api-schema-added", INFO, NONE, "components", "existence", "A named schema was added"),
    Rule("api-schema-removed", INFO, NONE, "components", "existence", "A named schema was removed"),
]  # fmt: skip


def check_operations_added_removed(s: SpecPair) -> Iterator[tuple[str, Finding]]:
    """Yields (operation label, finding); a removed path is told apart from a removed method."""
    new_paths = {operation_key("GET", op.path).split(" ", 1)[1] for op in s.new.operations.values()}
    for key, op in s.old.operations.items():
        if key in s.new.operations:
            continue
        verdict = removal_verdict(op, s)
        path_gone = operation_key("GET", op.path).split(" ", 1)[1] not in new_paths
        rule = f"api-{'path-' if path_gone else ''}removed-{verdict}"
        yield op.label, Finding(rule, op.pointer, {})
    for key, op in s.new.operations.items():
        if key not in s.old.operations:
            yield op.label, Finding("endpoint-added", op.pointer, {})


def check_operation_id(p: OperationPair) -> Iterator[Finding]:
    old, new = p.old.operation_id, p.new.operation_id
    if old == new:
        return
    loc = f"{p.new.pointer}/operationId"
    if new is None:
        yield Finding("api-operation-id-removed", loc, {"old": old})
    elif old is None:
        yield Finding("api-operation-id-added", loc, {"new": new})
    else:
        yield Finding("api-operation-id-changed", loc, {"old": old, "new": new})


def check_tags(p: OperationPair) -> Iterator[Finding]:
    loc = f"{p.new.pointer}/tags"
    for tag in sorted(set(p.new.tags) - set(p.old.tags)):
        yield Finding("api-tag-added", loc, {"tag": tag})
    for tag in sorted(set(p.old.tags) - set(p.new.tags)):
        yield Finding("api-tag-removed", loc, {"tag": tag})


def check_webhooks(s: SpecPair) -> Iterator[Finding]:
    for name in sorted(s.new.webhooks.keys() - s.old.webhooks.keys()):
        yield Finding("webhook-added", f"#/webhooks/{escape(name)}", {"webhook": name})
    for name in sorted(s.old.webhooks.keys() - s.new.webhooks.keys()):
        yield Finding("webhook-removed", f"#/webhooks/{escape(name)}", {"webhook": name})


def check_schemas(s: SpecPair) -> Iterator[Finding]:
    """Named schemas only; a renamed schema of unchanged shape surfaces here as info and nowhere else."""
    if s.old.format != s.new.format and "swagger-2.0" in (s.old.format, s.new.format):
        return  # definitions -> components/schemas in a migration is a move, not a removal
    for name in sorted(s.new.schemas.keys() - s.old.schemas.keys()):
        yield Finding("api-schema-added", s.new.schema_pointer_prefix + escape(name), {"schema": name})
    for name in sorted(s.old.schemas.keys() - s.new.schemas.keys()):
        yield Finding("api-schema-removed", s.old.schema_pointer_prefix + escape(name), {"schema": name})


OPERATION_CHECKS = (check_operation_id, check_tags)
