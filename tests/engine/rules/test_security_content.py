"""Security schemes compared by what they are (type, location, header name, flows), not by their names."""

from __future__ import annotations

from pathlib import Path

from monitor.engine import Level
from tests.engine.helpers import diff_docs
from tests.engine.rules.test_operations import ITEMS, OAUTH, SCHEMES, covers, expect, expect_nothing, secured

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
KEY = SCHEMES["key"]


@covers("api-security-component-renamed")
def test_renaming_a_security_scheme_without_changing_it_is_no_security_change(tmp_path: Path) -> None:
    old = secured([{"key": []}, {"oauth": ["read"]}])
    new = secured([{"ApiKey": []}, {"OAuth": ["read"]}], schemes={"ApiKey": KEY, "OAuth": OAUTH})
    changes = diff_docs(tmp_path, old, new).changes
    assert sorted((c.id, c.level, c.args["old"], c.args["scheme"]) for c in changes) == [
        ("api-security-component-renamed", INFO, "key", "ApiKey"),
        ("api-security-component-renamed", INFO, "oauth", "OAuth"),
    ]
    reverse = diff_docs(tmp_path, new, old).changes
    assert sorted(c.args["scheme"] for c in reverse if c.id == "api-security-component-renamed") == ["key", "oauth"]


def test_renaming_a_global_security_scheme_is_no_security_change(tmp_path: Path) -> None:
    old = secured(glob=[{"key": []}], schemes={"key": KEY})
    new = secured(glob=[{"X-Key": []}], schemes={"X-Key": {**KEY, "name": "x-key"}})  # header names ignore case
    assert [c.id for c in diff_docs(tmp_path, old, new).changes if c.level is not INFO] == []
    assert [c.id for c in diff_docs(tmp_path, new, old).changes if c.level is not INFO] == []


def test_a_renamed_scheme_that_now_sends_its_key_elsewhere_is_a_removed_requirement(tmp_path: Path) -> None:
    old = secured([{"key": []}], schemes={"key": KEY})
    new = secured([{"query_key": []}], schemes={"query_key": {**KEY, "in": "query"}})
    result = diff_docs(tmp_path, old, new)
    removed = [c for c in result.changes if c.id == "api-security-removed"]
    assert [c.args for c in removed] == [{"security": "key"}]


@covers("api-security-requirement-scheme-added", "api-security-added")
def test_a_requirement_that_now_needs_another_scheme_is_breaking_and_names_it(tmp_path: Path) -> None:
    old, new = secured([{"oauth": ["read"]}]), secured([{"oauth": ["read"], "key": []}])
    args = {"security": "oauth", "added": "key"}
    result = diff_docs(tmp_path, old, new)
    expect(result, "api-security-requirement-scheme-added", BREAKING, "GET /items", f"{ITEMS}/get/security", args)
    assert result.changes[0].message == "The security requirement `oauth` now also needs `key`"
    expect(diff_docs(tmp_path, new, old), "api-security-added", INFO, "GET /items", args={"security": "oauth"})


@covers("api-global-security-requirement-scheme-added", "api-global-security-added")
def test_a_global_requirement_that_now_needs_another_scheme_is_breaking(tmp_path: Path) -> None:
    old, new = secured(glob=[{"key": []}]), secured(glob=[{"key": [], "oauth": ["read"]}])
    args = {"security": "key", "added": "oauth"}
    expect(
        diff_docs(tmp_path, old, new),
        "api-global-security-requirement-scheme-added",
        BREAKING,
        None,
        "#/security",
        args,
    )
    expect(diff_docs(tmp_path, new, old), "api-global-security-added", INFO, None)


@covers("api-security-scope-added", "api-security-scope-removed")
def test_a_renamed_scheme_that_needs_another_scope_names_the_scope_and_the_new_name(tmp_path: Path) -> None:
    old = secured([{"oauth": ["read"]}], schemes={"oauth": OAUTH})
    new = secured([{"Auth": ["read", "write"]}], schemes={"Auth": OAUTH})
    args = {"scheme": "Auth", "scope": "write"}
    result = diff_docs(tmp_path, old, new)
    assert [(c.id, c.args) for c in result.changes if c.level is BREAKING] == [("api-security-scope-added", args)]
    reverse = diff_docs(tmp_path, new, old)
    assert [c.id for c in reverse.changes if c.id.startswith("api-security-scope")] == ["api-security-scope-removed"]


def test_the_same_requirement_spelled_with_the_same_names_is_no_change(tmp_path: Path) -> None:
    doc = secured([{"oauth": ["read"], "key": []}])
    expect_nothing(diff_docs(tmp_path, doc, doc))
