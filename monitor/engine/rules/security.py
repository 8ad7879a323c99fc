"""Security requirements per operation and globally, and the security schemes themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.engine.rules.base import BREAKING, INFO, NONE, Finding, Rule
from monitor.engine.rules.context import OperationPair, SpecPair, escape

RULES = [
    Rule("api-security-removed", BREAKING, NONE, "security", "existence", "A security requirement alternative was removed from an operation"),
    Rule("api-security-added", INFO, NONE, "security", "existence", "A security requirement alternative was added to an operation"),
    Rule("api-security-scope-added", BREAKING, NONE, "security", "existence", "An operation now requires an additional OAuth scope"),
    Rule("api-security-scope-removed", INFO, NONE, "security", "existence", "An operation no longer requires an OAuth scope"),
    Rule("api-global-security-removed", BREAKING, NONE, "security", "existence", "A global security requirement alternative was removed"),
    Rule("api-global-security-added", INFO, NONE, "security", "existence", "A global security requirement alternative was added"),
    Rule("api-global-security-scope-added", BREAKING, NONE, "security", "existence", "The global security requirement needs an additional scope"),
    Rule("api-global-security-scope-removed", INFO, NONE, "security", "existence", "The global security requirement needs one scope less"),
    Rule("api-security-component-added", INFO, NONE, "security", "existence", "A security scheme was added"),
    Rule("api-security-component-removed", INFO, NONE, "security", "existence", "A security scheme was removed"),
    Rule("api-security-component-type-changed", INFO, NONE, "security", "type", "The type of a security scheme changed"),
    Rule("api-security-component-oauth-url-changed", INFO, NONE, "security", "type", "The OAuth authorization URL of a security scheme changed"),
    Rule("api-security-component-oauth-token-url-changed", INFO, NONE, "security", "type", "The OAuth token URL of a security scheme changed"),
    Rule("api-security-component-oauth-scope-added", INFO, NONE, "security", "existence", "An OAuth scope was added to a security scheme"),
    Rule("api-security-component-oauth-scope-removed", INFO, NONE, "security", "existence", "An OAuth scope was removed from a security scheme"),
]  # fmt: skip


def _alternatives(reqs: list[dict[str, Any]]) -> dict[frozenset[str], dict[str, set[str]]]:
    """Each requirement object is an alternative, keyed by the schemes it combines."""
    out = {}
    for req in reqs:
        out[frozenset(req)] = {name: set(scopes or []) for name, scopes in req.items()}
    return out


def _compare(old: list[dict[str, Any]], new: list[dict[str, Any]], prefix: str, loc: str) -> Iterator[Finding]:
    o, n = _alternatives(old), _alternatives(new)
    for key in o.keys() - n.keys():
        if any(other <= key for other in n):  # a client meeting the old requirement meets a weaker new one
            continue
        yield Finding(f"{prefix}-removed", loc, {"security": " AND ".join(sorted(key)) or "none"})
    for key in n.keys() - o.keys():
        yield Finding(f"{prefix}-added", loc, {"security": " AND ".join(sorted(key)) or "none"})
    for key in o.keys() & n.keys():
        for scheme in sorted(key):
            for scope in sorted(n[key][scheme] - o[key][scheme]):
                yield Finding(f"{prefix}-scope-added", loc, {"scheme": scheme, "scope": scope})
            for scope in sorted(o[key][scheme] - n[key][scheme]):
                yield Finding(f"{prefix}-scope-removed", loc, {"scheme": scheme, "scope": scope})


def check_operation_security(p: OperationPair) -> Iterator[Finding]:
    """Only explicit operation requirements; inherited ones are compared once, globally."""
    if p.old.security is None and p.new.security is None:
        return
    old = p.old.security if p.old.security is not None else p.specs.old.global_security
    new = p.new.security if p.new.security is not None else p.specs.new.global_security
    yield from _compare(old, new, "api-security", f"{p.new.pointer}/security")


def check_global_security(s: SpecPair) -> Iterator[Finding]:
    yield from _compare(s.old.global_security, s.new.global_security, "api-global-security", "#/security")


def check_security_schemes(s: SpecPair) -> Iterator[Finding]:
    old, new = s.old.security_schemes, s.new.security_schemes
    old_at, new_at = _schemes_pointer(s.old.format), _schemes_pointer(s.new.format)
    for name in sorted(new.keys() - old.keys()):
        yield Finding("api-security-component-added", f"{new_at}{escape(name)}", {"scheme": name})
    for name in sorted(old.keys() - new.keys()):
        yield Finding("api-security-component-removed", f"{old_at}{escape(name)}", {"scheme": name})
    for name in sorted(old.keys() & new.keys()):
        o, n = old[name], new[name]
        loc = f"{new_at}{escape(name)}"
        if not isinstance(o, dict) or not isinstance(n, dict) or o == n:
            continue
        if o.get("type") != n.get("type"):
            yield Finding(
                "api-security-component-type-changed", loc, {"scheme": name, "old": o.get("type"), "new": n.get("type")}
            )
        old_flows, new_flows = _flows(o), _flows(n)
        for flow in sorted(old_flows.keys() & new_flows.keys()):
            of, nf = old_flows[flow], new_flows[flow]
            if of.get("authorizationUrl") != nf.get("authorizationUrl"):
                yield Finding(
                    "api-security-component-oauth-url-changed",
                    loc,
                    {"scheme": name, "flow": flow, "new": nf.get("authorizationUrl")},
                )
            if of.get("tokenUrl") != nf.get("tokenUrl"):
                yield Finding(
                    "api-security-component-oauth-token-url-changed",
                    loc,
                    {"scheme": name, "flow": flow, "new": nf.get("tokenUrl")},
                )
            old_scopes = of.get("scopes") if isinstance(of.get("scopes"), dict) else {}
            new_scopes = nf.get("scopes") if isinstance(nf.get("scopes"), dict) else {}
            for scope in sorted(new_scopes.keys() - old_scopes.keys()):
                yield Finding("api-security-component-oauth-scope-added", loc, {"scheme": name, "scope": scope})
            for scope in sorted(old_scopes.keys() - new_scopes.keys()):
                yield Finding("api-security-component-oauth-scope-removed", loc, {"scheme": name, "scope": scope})


def _schemes_pointer(spec_format: str) -> str:
    return "#/securityDefinitions/" if spec_format == "swagger-2.0" else "#/components/securitySchemes/"


def _flows(scheme: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """OpenAPI 3 `flows`, or the single Swagger 2.0 `flow` under its name."""
    flows = scheme.get("flows")
    if isinstance(flows, dict):
        return {k: v for k, v in flows.items() if isinstance(v, dict)}
    if scheme.get("type") == "oauth2":
        return {str(scheme.get("flow", "oauth2")): scheme}
    return {}


OPERATION_CHECKS = (check_operation_security,)
SPEC_CHECKS = (check_global_security, check_security_schemes)
