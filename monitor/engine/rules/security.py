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
    Rule("api-security-requirement-scheme-added", BREAKING, NONE, "security", "existence", "An operation's security requirement now needs an additional scheme"),
    Rule("api-global-security-requirement-scheme-added", BREAKING, NONE, "security", "existence", "The global security requirement now needs an additional scheme"),
    Rule("api-security-component-added", INFO, NONE, "security", "existence", "A security scheme was added"),
    Rule("api-security-component-renamed", INFO, NONE, "security", "existence", "A security scheme was renamed without changing what it is"),
    Rule("api-security-component-removed", INFO, NONE, "security", "existence", "A security scheme was removed"),
    Rule("api-security-component-type-changed", INFO, NONE, "security", "type", "The type of a security scheme changed"),
    Rule("api-security-component-oauth-url-changed", INFO, NONE, "security", "type", "The OAuth authorization URL of a security scheme changed"),
    Rule("api-security-component-oauth-token-url-changed", INFO, NONE, "security", "type", "The OAuth token URL of a security scheme changed"),
    Rule("api-security-component-oauth-scope-added", INFO, NONE, "security", "existence", "An OAuth scope was added to a security scheme"),
    Rule("api-security-component-oauth-scope-removed", INFO, NONE, "security", "existence", "An OAuth scope was removed from a security scheme"),
]  # fmt: skip


Fingerprint = tuple[Any, ...]


def _fingerprint(scheme: Any) -> Fingerprint:
    """What a client must do to satisfy a scheme: its kind, where the credential goes, which auth server.

    The scheme's name in the document is not on the wire; renaming it changes nothing for a client.
    """
    if not isinstance(scheme, dict):
        return ("unknown", repr(scheme))
    kind = str(scheme.get("type", "")).lower()
    if kind == "apikey":
        where = str(scheme.get("in", "")).lower()
        name = str(scheme.get("name", ""))
        return (kind, where, name.lower() if where == "header" else name)
    if kind in ("http", "basic"):  # Swagger 2.0 `basic` is OpenAPI 3 `http` with scheme basic
        return ("http", "basic" if kind == "basic" else str(scheme.get("scheme", "")).lower())
    if kind == "oauth2":
        flows = sorted(
            (flow, str(f.get("authorizationUrl", "")), str(f.get("tokenUrl", ""))) for flow, f in _flows(scheme).items()
        )
        return (kind, tuple(flows))
    if kind == "openidconnect":
        return (kind, str(scheme.get("openIdConnectUrl", "")))
    return (kind, repr(sorted((k, repr(v)) for k, v in scheme.items() if k != "description")))


def _identities(schemes: dict[str, Any], other: set[str]) -> dict[str, Fingerprint]:
    """Scheme name -> what identifies it across the two specs.

    A name both sides know (defined, or named in a requirement) is the same scheme, even if its definition changed
    (the component rules report that); a name only one side has is known by its fingerprint, so a renamed scheme meets its old self. Two
    such schemes of one spec that look alike stay apart by name.
    """
    prints = {name: ("scheme", _fingerprint(scheme)) for name, scheme in schemes.items() if name not in other}
    seen: dict[Fingerprint, int] = {}
    for fp in prints.values():
        seen[fp] = seen.get(fp, 0) + 1
    ids: dict[str, Fingerprint] = {name: ("name", name) for name in schemes if name in other}
    ids.update({name: (fp if seen[fp] == 1 else (*fp, name)) for name, fp in prints.items()})
    return ids


Alternatives = dict[frozenset[Fingerprint], dict[Fingerprint, tuple[str, set[str]]]]


def _alternatives(reqs: list[dict[str, Any]], prints: dict[str, Fingerprint]) -> Alternatives:
    """Each requirement object is an alternative, keyed by what its schemes are (name and scopes kept)."""
    out: Alternatives = {}
    for req in reqs:
        by_print = {}
        for name, scopes in req.items():
            fp = prints.get(name, ("name", name))
            by_print[fp] = (name, {str(s) for s in scopes} if isinstance(scopes, list) else set())
        out[frozenset(by_print)] = by_print
    return out


def _show(alternative: dict[Fingerprint, tuple[str, set[str]]], only: frozenset[Fingerprint] | None = None) -> str:
    return " AND ".join(sorted(name for fp, (name, _) in alternative.items() if only is None or fp in only)) or "none"


def _compare(old: list[dict[str, Any]], new: list[dict[str, Any]], prefix: str, loc: str, s: SpecPair
             ) -> Iterator[Finding]:  # fmt: skip
    old_names = s.old.security_schemes.keys() | {name for req in old for name in req}
    new_names = s.new.security_schemes.keys() | {name for req in new for name in req}
    o = _alternatives(old, _identities(s.old.security_schemes, new_names))
    n = _alternatives(new, _identities(s.new.security_schemes, old_names))
    added = sorted(n.keys() - o.keys(), key=lambda k: (len(k), _show(n[k])))
    extended: set[frozenset[Fingerprint]] = set()
    for key in sorted(o.keys() - n.keys(), key=lambda k: _show(o[k])):
        if any(other <= key for other in n):  # a client meeting the old requirement meets a weaker new one
            continue
        wider = next((k for k in added if key < k and k not in extended), None)
        if wider is not None:  # the same requirement, now with another scheme on top: name what is needed
            extended.add(wider)
            args = {"security": _show(o[key]), "added": _show(n[wider], wider - key)}
            yield Finding(f"{prefix}-requirement-scheme-added", loc, args)
            continue
        yield Finding(f"{prefix}-removed", loc, {"security": _show(o[key])})
    for key in added:
        if key not in extended:
            yield Finding(f"{prefix}-added", loc, {"security": _show(n[key])})
    for key in sorted(o.keys() & n.keys(), key=lambda k: _show(n[k])):
        for fp in sorted(key, key=lambda f: n[key][f][0]):
            scheme, new_scopes = n[key][fp]
            old_scopes = o[key][fp][1]
            for scope in sorted(new_scopes - old_scopes):
                yield Finding(f"{prefix}-scope-added", loc, {"scheme": scheme, "scope": scope})
            for scope in sorted(old_scopes - new_scopes):
                yield Finding(f"{prefix}-scope-removed", loc, {"scheme": scheme, "scope": scope})


def check_operation_security(p: OperationPair) -> Iterator[Finding]:
    """Only explicit operation requirements; inherited ones are compared once, globally."""
    if p.old.security is None and p.new.security is None:
        return
    old = p.old.security if p.old.security is not None else p.specs.old.global_security
    new = p.new.security if p.new.security is not None else p.specs.new.global_security
    yield from _compare(old, new, "api-security", f"{p.new.pointer}/security", p.specs)


def check_global_security(s: SpecPair) -> Iterator[Finding]:
    yield from _compare(s.old.global_security, s.new.global_security, "api-global-security", "#/security", s)


def check_security_schemes(s: SpecPair) -> Iterator[Finding]:
    old, new = s.old.security_schemes, s.new.security_schemes
    old_at, new_at = _schemes_pointer(s.old.format), _schemes_pointer(s.new.format)
    renamed = _renamed(old, new)
    for name in sorted(new.keys() - old.keys()):
        if name in renamed.values():
            continue
        yield Finding("api-security-component-added", f"{new_at}{escape(name)}", {"scheme": name})
    for name in sorted(old.keys() - new.keys()):
        if name in renamed:
            yield Finding("api-security-component-renamed", f"{new_at}{escape(renamed[name])}",
                          {"scheme": renamed[name], "old": name})  # fmt: skip
            continue
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


def _renamed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """Old name -> new name of schemes that only changed name: one of a kind on each side, same fingerprint."""
    gone = {}
    for name in old.keys() - new.keys():
        gone.setdefault(_fingerprint(old[name]), []).append(name)
    came = {}
    for name in new.keys() - old.keys():
        came.setdefault(_fingerprint(new[name]), []).append(name)
    return {names[0]: came[fp][0] for fp, names in gone.items() if len(names) == 1 and len(came.get(fp, [])) == 1}


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
