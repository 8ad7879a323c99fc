"""What each OpenAPI/Swagger version requires, and OpenAPI 3.2 read like the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.engine import SpecError, diff, load_spec
from tests.engine.helpers import diff_docs, write_spec

INFO = {"title": "t", "version": "1"}
OK = {"responses": {"200": {"description": "ok"}}}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"openapi": "3.0.3", "info": INFO}, "no `paths`: OpenAPI 3.0 requires it"),
        ({"swagger": "2.0", "info": INFO}, "no `paths`: Swagger 2.0 requires it"),
        ({"openapi": "3.1.0", "info": INFO}, "no `paths`, `webhooks` or `components`: OpenAPI 3.1 requires one"),
    ],
)
def test_a_spec_without_what_its_version_requires_is_refused(tmp_path: Path, doc: dict[str, Any], reason: str) -> None:
    """Read as an API without operations, such a file would report every operation removed."""
    path = write_spec(tmp_path / "x.yaml", doc)
    with pytest.raises(SpecError, match=reason.replace("(", r"\(")) as caught:
        load_spec(path)
    assert caught.value.file == str(path)


def test_an_openapi_3_1_document_of_only_webhooks_or_components_is_read(tmp_path: Path) -> None:
    for extra in ({"webhooks": {}}, {"components": {"schemas": {}}}):
        spec = load_spec(write_spec(tmp_path / "x.yaml", {"openapi": "3.1.0", "info": INFO, **extra}))
        assert spec.operations == {}


def test_an_api_without_operations_says_so_with_empty_paths(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "x.yaml", {"openapi": "3.0.3", "info": INFO, "paths": {}}))
    assert spec.operations == {}


def test_a_missing_info_version_is_read_as_real_publishers_ship_it(tmp_path: Path) -> None:
    """Every Walmart spec of 2021-2022 has `info` without `version`; it hides no operation."""
    doc = {"openapi": "3.0.1", "info": {"title": "Utilities"}, "paths": {"/a": {"get": OK}}}
    spec = load_spec(write_spec(tmp_path / "x.yaml", doc))
    assert list(spec.operations) == ["GET /a"]
    assert spec.defects == [("malformed-value", "#/info", "no `info.version`: the document does not state its version")]
    with_version = {**doc, "info": {"title": "Utilities", "version": "1"}}
    assert [c.id for c in diff_docs(tmp_path, with_version, doc).changes] == ["spec-malformed-value"]
    assert diff_docs(tmp_path, doc, doc).changes == []


def test_openapi_3_2_is_read_with_its_query_method_and_additional_operations(tmp_path: Path) -> None:
    doc = {
        "openapi": "3.2.0",
        "$self": "https://example.com/api/openapi.yaml",
        "info": INFO,
        "paths": {"/search": {"query": OK, "get": OK, "additionalOperations": {"LINK": OK}}},
    }
    spec = load_spec(write_spec(tmp_path / "x.yaml", doc))
    assert spec.format == "openapi-3.2"
    assert sorted(spec.operations) == ["GET /search", "LINK /search", "QUERY /search"]


def test_openapi_3_2_query_operation_removed_is_breaking(tmp_path: Path) -> None:
    old = {"openapi": "3.2.0", "info": INFO, "paths": {"/search": {"query": OK, "get": OK}}}
    new = {"openapi": "3.2.0", "info": INFO, "paths": {"/search": {"get": OK}}}
    changes = diff_docs(tmp_path, old, new).changes
    assert [(c.id, c.operations) for c in changes] == [("api-removed-without-deprecation", ["QUERY /search"])]
    assert [c.id for c in diff_docs(tmp_path, new, old).changes] == ["endpoint-added"]


def test_openapi_3_2_and_3_0_versions_of_one_api_compare(tmp_path: Path) -> None:
    a = write_spec(tmp_path / "a.yaml", {"openapi": "3.0.3", "info": INFO, "paths": {"/a": {"get": OK}}})
    b = write_spec(tmp_path / "b.yaml", {"openapi": "3.2.0", "info": INFO, "paths": {"/a": {"get": OK}}})
    assert diff(load_spec(a), load_spec(b)).changes == []
