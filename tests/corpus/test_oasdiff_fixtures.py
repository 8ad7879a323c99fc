"""oasdiff's own fixtures as a peer's test suite: every breaking finding it reports, we report too, or we say why not.

`oasdiff-fixtures/verdicts.json` holds oasdiff 1.15.0's `changelog` on 245 small base -> revision pairs. For every
finding oasdiff rates breaking, the engine must report a breaking change on the same operation (rule ids may
differ: oasdiff's `request-body-list-of-types-narrowed` is our `request-body-one-of-removed`, its
`new-required-request-default-parameter-to-existing-path` our `new-required-request-parameter`), or the finding
is in `ALLOWED` below with the reason we deliberately differ. An allow-listed finding must stay unmatched: if
the engine starts reporting it, the entry is stale (or the engine grew a false positive) and the test says so.
Where we differ because the engine is wrong, the pair is in `ENGINE_GAPS` and xfails strictly until fixed.
See docs/oasdiff-comparison.md for the classes of difference, with an example each.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from monitor.engine import DiffResult, SpecError, diff, load_spec
from monitor.engine.model import Level, operation_key
from tests.conftest import CORPUS, require_corpus

pytestmark = pytest.mark.corpus

FIXTURES = "oasdiff-fixtures"

_WRAP = "oasdiff false positive: wrapping a schema X as oneOf [null, X] (3.1) only widens what is accepted"
_SAME_ALTERNATIVE = "compared by meaning: the anyOf alternative Cat was replaced by Rabbit, whose schema is identical"
_ALLOF_SAME = "allOf flattened by meaning: the added part (Rabbit/Breed3: name: string) constrains nothing new"
_ANNOTATION = "oasdiff false positive: an allOf part holding only title/description validates nothing"
_INLINE_TO_REF = "oasdiff false positive: an inline anyOf alternative moved, unchanged, to a named schema ($ref)"
_UNTYPED = "response narrowed: an untyped ({}) alternative became integer; readers get a subset of what they accepted"

# (revision file, oasdiff rule id, text fragment of oasdiff's message) -> why we deliberately report no breaking
ALLOWED: dict[tuple[str, str, str], str] = {
    ("data/checker/nullable_wrap_revision.yaml", "request-property-enum-value-removed", "`serviceAccount`"): _WRAP,
    ("data/checker/nullable_wrap_revision.yaml", "request-property-enum-value-removed", "`user`"): _WRAP,
    ("data/checker/nullable_wrap_revision.yaml", "request-property-type-changed", "`optionalRef`"): _WRAP,
    ("data/checker/nullable_wrap_body_revision.yaml", "request-body-type-changed", ""): _WRAP,
    ("data/checker/nullable_wrap_param_revision.yaml", "request-parameter-enum-value-removed", "`serviceAccount`"): _WRAP,
    ("data/checker/nullable_wrap_param_revision.yaml", "request-parameter-enum-value-removed", "`user`"): _WRAP,
    ("data/checker/nullable_wrap_narrowed_revision.yaml", "request-property-enum-value-removed", "`user`"):
        "oasdiff false positive: `user` is still in SomeEnum (only `serviceAccount` was removed, which we report)",
    ("data/checker/transition_claims_enum_revision.yaml", "request-property-enum-value-removed", "`alpha`"):
        "oasdiff false positive: enum [alpha, beta] became oneOf [string, integer], which accepts every old value",
    ("data/checker/transition_claims_enum_revision.yaml", "request-property-enum-value-removed", "`beta`"):
        "oasdiff false positive: enum [alpha, beta] became oneOf [string, integer], which accepts every old value",
    ("data/checker/request_body_any_of_media_type_revision.yaml", "request-body-any-of-removed", ""): _SAME_ALTERNATIVE,
    ("data/checker/request_property_all_of_added_revision.yaml", "request-body-all-of-added", "Rabbit"): _ALLOF_SAME,
    ("data/checker/request_property_all_of_added_revision.yaml", "request-property-all-of-added", "Breed3"): _ALLOF_SAME,
    ("data/checker/request_property_all_of_inline_added_revision.yaml", "request-body-all-of-added", ""):
        "allOf flattened by meaning: the new part only adds optional prop3 (new-optional-request-property, info, "
        "as oasdiff itself rates the same property added directly)",
    ("data/checker/request_property_all_of_annotation_only_added_revision.yaml", "request-body-all-of-added", ""):
        _ANNOTATION,
    ("data/checker/request_property_all_of_annotation_only_added_at_property_revision.yaml",
     "request-property-all-of-added", ""): _ANNOTATION,
    ("data/checker/request_property_any_of_ref_inline_enum_revision.yaml", "request-property-any-of-removed", ""):
        _INLINE_TO_REF,
    ("data/x-of/inline-to-ref-refactor-revision.yaml", "request-body-any-of-removed", ""): _INLINE_TO_REF,
    ("data/header-case/revision.yaml", "new-required-request-default-parameter-to-existing-path", "`x-case`"):
        "oasdiff false positive: header names are case-insensitive (RFC 9110); X-Case -> x-case is the same header",
    ("data/list-of-types/no-type-revision.yaml", "response-property-type-changed", "anyOfWithNoType"): _UNTYPED,
    ("data/list-of-types/no-type-revision.yaml", "response-property-type-changed", "oneOfWithNoType"): _UNTYPED,
    ("data/checker/webhook_operation_revision.yaml", "request-body-became-required", ""):
        "a webhook's request is sent by the provider: its body becoming required cannot break the receiving client "
        "(webhooks are diffed with the direction reversed; the added `amount` is webhook-optional-property-added)",
}  # fmt: skip

# Revision files the engine refuses (SpecError), with why.
REFUSED: dict[str, str] = {
    "data/duplicate_endpoints/revision.yaml": "/pet/{petId}, /pet/{petId2} and /pet/{petId3} are one templated "
    "path; oasdiff refuses the file too (exit 104)",
    "data/version/base.yaml": "an OpenAPI 3.0 document without `paths`, which 3.0 requires; read as an API with no "
    "operations it would report every operation of the next version as added (or of the last as removed)",
}

# revision file -> why the engine wrongly misses oasdiff's breaking finding(s); strict xfail until fixed
ENGINE_GAPS: dict[str, str] = {}  # the last one, request_property_one_of_wrapped, is request-body-one-of-ambiguous


def load_verdicts(corpus: Path) -> list[dict[str, Any]]:
    return json.loads((corpus / FIXTURES / "verdicts.json").read_text(encoding="utf-8"))["pairs"]


def allowed_reason(pair: dict[str, Any], finding: dict[str, Any]) -> str | None:
    for (revision, rule, fragment), reason in ALLOWED.items():
        if revision == pair["revision"] and rule == finding["id"] and fragment in finding["text"]:
            return reason
    return None


def _key(label: str) -> str:
    method, _, path = label.partition(" ")
    return operation_key(method, path)


def matched(finding: dict[str, Any], result: DiffResult) -> bool:
    """Do we report a breaking change on the operation of this oasdiff finding (by meaning, not by rule id)?"""
    ours = [c for c in result.changes if c.level is Level.BREAKING]
    if finding["operation"] is None:  # spec-level: webhook-removed, security components
        return any(c.id == finding["id"] and not c.operations for c in ours)
    key = _key(finding["operation"])
    return any(key in {_key(op) for op in c.operations} for c in ours)


def run_pair(corpus: Path, pair: dict[str, Any]) -> DiffResult:
    base, revision = corpus / FIXTURES / pair["base"], corpus / FIXTURES / pair["revision"]
    # a few fixtures split one spec over sibling files; they are followed inside the fixture folder only
    return diff(load_spec(base, allow_external_refs=True), load_spec(revision, allow_external_refs=True))


def classify(corpus: Path, pair: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """oasdiff's breaking findings of a pair, sorted into matched / allowed / unmatched (and stale allow-list).

    An allow-listed finding is stale when we now report breaking on its operation, unless another, not
    allow-listed, oasdiff finding on the same operation accounts for that (matching is per operation).
    """
    out: dict[str, list[dict[str, Any]]] = {"matched": [], "allowed": [], "unmatched": [], "stale": []}
    breaking = [f for f in pair["verdicts"] if f["level"] == "breaking"]
    if pair["revision"] in REFUSED or pair["base"] in REFUSED:
        out["allowed"].extend(breaking)
        return out
    result = run_pair(corpus, pair)
    explained = {f["operation"] for f in breaking if allowed_reason(pair, f) is None}
    for finding in breaking:
        hit, reason = matched(finding, result), allowed_reason(pair, finding)
        if reason is not None:
            out["stale" if hit and finding["operation"] not in explained else "allowed"].append(finding)
        else:
            out["matched" if hit else "unmatched"].append(finding)
    return out


class Unmatched(AssertionError):
    """oasdiff reports a breaking change the engine misses (the failure an ENGINE_GAPS pair expects)."""


@cache
def _pairs() -> tuple[dict[str, Any], ...]:
    return tuple(load_verdicts(CORPUS))


def _params() -> list[object]:
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-absent")]
    params = []
    for pair in _pairs():
        marks = []
        if pair["revision"] in ENGINE_GAPS:
            marks.append(pytest.mark.xfail(strict=True, raises=Unmatched, reason=ENGINE_GAPS[pair["revision"]]))
        ident = f"{pair['base'].removeprefix('data/')}->{Path(pair['revision']).name}"
        params.append(pytest.param(pair, id=ident, marks=marks))
    return params


@pytest.mark.parametrize("pair", _params())
def test_oasdiff_breaking_findings_are_matched_or_allow_listed(pair: dict[str, Any] | None) -> None:
    corpus = require_corpus()
    assert pair is not None
    try:
        sorted_ = classify(corpus, pair)
    except SpecError as exc:
        raise AssertionError(f"the engine refuses a fixture not listed in REFUSED: {exc}") from exc
    if sorted_["unmatched"]:
        raise Unmatched([f"{f['id']} {f['operation']}: {f['text']}" for f in sorted_["unmatched"]])
    assert not sorted_["stale"], f"now reported by the engine, remove from ALLOWED: {sorted_['stale']}"


def test_allow_list_names_real_oasdiff_breaking_findings() -> None:
    corpus = require_corpus()
    pairs = load_verdicts(corpus)
    used = set()
    for pair in pairs:
        for finding in pair["verdicts"]:
            if finding["level"] != "breaking":
                continue
            for revision, rule, fragment in ALLOWED:
                if revision == pair["revision"] and rule == finding["id"] and fragment in finding["text"]:
                    used.add((revision, rule, fragment))
    assert set(ALLOWED) == used, f"allow-list entries matching no oasdiff breaking finding: {set(ALLOWED) - used}"
    revisions = {p["revision"] for p in pairs}
    assert set(ENGINE_GAPS) <= revisions
    assert all(reason.strip() for reason in ALLOWED.values())
