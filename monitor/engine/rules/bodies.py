"""Request bodies and responses: presence, media types, status codes, headers, and their schemas."""

from __future__ import annotations

from typing import Any

from monitor.engine.model import Direction, Node
from monitor.engine.rules.base import BREAKING, INFO, REQUEST, RESPONSE, WARNING, Finding, Rule
from monitor.engine.rules.context import OperationPair, escape
from monitor.engine.rules.schema_pair import Place

RULES = [
    Rule("request-body-added-required", BREAKING, REQUEST, "request-body", "existence", "A required request body was added"),
    Rule("request-body-added-optional", INFO, REQUEST, "request-body", "existence", "An optional request body was added"),
    Rule("request-body-removed", BREAKING, REQUEST, "request-body", "existence", "The request body was removed; clients sending one may be rejected"),
    Rule("request-body-became-required", BREAKING, REQUEST, "request-body", "requiredness", "The request body became required"),
    Rule("request-body-became-optional", INFO, REQUEST, "request-body", "requiredness", "The request body became optional"),
    Rule("request-body-media-type-added", INFO, REQUEST, "request-body", "existence", "A request body media type was added"),
    Rule("request-body-media-type-removed", BREAKING, REQUEST, "request-body", "existence", "A request body media type was removed"),
    Rule("response-success-status-added", INFO, RESPONSE, "responses", "existence", "A success status code was added"),
    Rule("response-success-status-removed", BREAKING, RESPONSE, "responses", "existence", "A success status code was removed"),
    Rule("response-non-success-status-added", INFO, RESPONSE, "responses", "existence", "An error status code was added"),
    Rule("response-non-success-status-removed", INFO, RESPONSE, "responses", "existence", "An error status code was removed"),
    Rule("response-media-type-added", INFO, RESPONSE, "responses", "existence", "A response media type was added"),
    Rule("response-media-type-removed", BREAKING, RESPONSE, "responses", "existence", "A response media type was removed"),
    Rule("response-header-added", INFO, RESPONSE, "headers", "existence", "A response header was added"),
    Rule("required-response-header-removed", BREAKING, RESPONSE, "headers", "existence", "A required response header was removed"),
    Rule("optional-response-header-removed", WARNING, RESPONSE, "headers", "existence", "An optional response header was removed"),
    Rule("response-header-became-optional", BREAKING, RESPONSE, "headers", "requiredness", "A required response header became optional"),
    Rule("response-header-became-required", INFO, RESPONSE, "headers", "requiredness", "An optional response header became required"),
]  # fmt: skip


# These return lists rather than yield: a component's findings (hundreds on Stripe) reach every operation that
# uses it, and each finding passed through two generator frames per operation; list.extend copies them at C speed.
def check_request_body(p: OperationPair) -> list[Finding]:
    if p.inputs_unchanged:
        return []
    old, new = p.old.body, p.new.body
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [Finding(f"request-body-added-{'required' if new.required else 'optional'}", new.pointer, {})]
    if new is None:
        return [Finding("request-body-removed", old.pointer, {})]
    out = []
    if new.required and not old.required:
        out.append(Finding("request-body-became-required", new.pointer, {}))
    elif old.required and not new.required:
        out.append(Finding("request-body-became-optional", new.pointer, {}))
    out.extend(_content(p, old.content, new.content, f"{new.pointer}/content", REQUEST, {}))
    return out


def check_responses(p: OperationPair) -> list[Finding]:
    old, new = p.old.responses, p.new.responses
    out = []
    if old.keys() != new.keys():  # most operations keep their statuses
        for status in sorted(old.keys() - new.keys()):
            if "default" in new and not _is_success(status):
                continue  # an error status folded into `default` is still described
            kind = "success" if _is_success(status) else "non-success"
            out.append(Finding(f"response-{kind}-status-removed", old[status].pointer, {"status": status}))
        for status in sorted(new.keys() - old.keys()):
            kind = "success" if _is_success(status) else "non-success"
            out.append(Finding(f"response-{kind}-status-added", new[status].pointer, {"status": status}))
    for status in sorted(old.keys() & new.keys()):
        o, n = old[status], new[status]
        args = {"status": status}
        out.extend(_headers(p, o.headers, n.headers, n.pointer, args))
        out.extend(_content(p, o.content, n.content, f"{n.pointer}/content", RESPONSE, args))
    return out


def _is_success(status: str) -> bool:
    return status.startswith("2")


def _content(
    p: OperationPair,
    old: dict[str, Node],
    new: dict[str, Node],
    pointer: str,
    direction: Direction,
    args: dict[str, Any],
) -> list[Finding]:
    """Media types matched by name; the same schema under several media types is compared once."""
    out = []
    if old.keys() != new.keys():  # most keep their media types
        side = "request-body" if direction is REQUEST else "response"
        for media in sorted(old.keys() - new.keys()):
            out.append(
                Finding(f"{side}-media-type-removed", f"{pointer}/{escape(media)}", {**args, "media_type": media})
            )
        for media in sorted(new.keys() - old.keys()):
            out.append(Finding(f"{side}-media-type-added", f"{pointer}/{escape(media)}", {**args, "media_type": media}))
    seen: set[tuple[int, int]] = set()
    for media in sorted(old.keys() & new.keys()):
        o, n = old[media], new[media]
        if (id(o), id(n)) in seen:
            continue
        seen.add((id(o), id(n)))
        if p.comparer.same(o, n):  # what compare() would answer first, before its place is built
            continue
        place = Place(direction, "body", False, f"{pointer}/{escape(media)}/schema", tuple(args.items()))
        out.extend(p.comparer.compare_changed(o, n, place))
    return out


def _headers(
    p: OperationPair, old: dict[str, Any], new: dict[str, Any], pointer: str, args: dict[str, Any]
) -> list[Finding]:
    out = []
    if old.keys() != new.keys():  # most responses keep their headers: this runs for each one of each operation
        for key in sorted(old.keys() - new.keys()):
            h = old[key]
            rule = "required-response-header-removed" if h.required else "optional-response-header-removed"
            out.append(Finding(rule, f"{pointer}/headers/{escape(h.name)}", {**args, "header": h.name}))
        for key in sorted(new.keys() - old.keys()):
            h = new[key]
            out.append(
                Finding("response-header-added", f"{pointer}/headers/{escape(h.name)}", {**args, "header": h.name})
            )
    for key in sorted(old.keys() & new.keys()):
        o, n = old[key], new[key]
        unchanged = p.comparer.same(o.schema, n.schema)
        if unchanged and o.required == n.required:  # most headers repeat unchanged
            continue
        loc = f"{pointer}/headers/{escape(n.name)}"
        hargs = {**args, "header": n.name}
        if o.required and not n.required:
            out.append(Finding("response-header-became-optional", loc, hargs))
        elif n.required and not o.required:
            out.append(Finding("response-header-became-required", loc, hargs))
        if not unchanged:
            place = Place(RESPONSE, "header", False, f"{loc}/schema", tuple(hargs.items()))
            out.extend(p.comparer.compare_changed(o.schema, n.schema, place))
    return out


OPERATION_CHECKS = (check_request_body, check_responses)
