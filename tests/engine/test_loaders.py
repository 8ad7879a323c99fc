"""Loading: formats, refs, hostile input and the errors a user sees."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from monitor.engine import RefusedInput, SpecError, load_spec
from tests.engine.helpers import write_spec

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "consumes": ["application/json"],
    "produces": ["application/json"],
    "paths": {
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
            "post": {
                "operationId": "createItem",
                "parameters": [
                    {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Item"}},
                    {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"},
                     "collectionFormat": "multi"},
                ],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Item"},
                                      "headers": {"X-Rate": {"type": "integer"}}}},
            },
        },
        "/upload": {
            "post": {
                "consumes": ["multipart/form-data"],
                "parameters": [
                    {"name": "file", "in": "formData", "type": "file", "required": True},
                    {"name": "note", "in": "formData", "type": "string"},
                ],
                "responses": {"204": {"description": "done"}},
            }
        },
    },
    "definitions": {"Item": {"type": "object", "properties": {"name": {"type": "string", "x-nullable": True}}}},
}  # fmt: skip


def test_swagger2_body_and_form_parameters_become_request_bodies(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "s.yaml", SWAGGER))
    op = spec.operations["POST /items/{}"]
    assert op.body is not None and op.body.required
    assert list(op.body.content) == ["application/json"]
    assert op.body.content["application/json"] == {"$ref": "#/definitions/Item"}
    assert op.parameters[("query", "tags")].style == "form" and op.parameters[("query", "tags")].explode is True
    assert ("path", "#0") in op.parameters  # path-level parameter merged in, keyed by its place
    assert op.responses["200"].headers["x-rate"].schema == {"type": "integer"}
    upload = spec.operations["POST /upload"].body
    assert upload is not None and list(upload.content) == ["multipart/form-data"]
    form = upload.content["multipart/form-data"]
    assert set(form["properties"]) == {"file", "note"} and form["required"] == ["file"]


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "openapi": "3.0.0",\n  "paths": {,}\n}\n')
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    assert err.value.line == 3 and err.value.column is not None
    assert str(err.value).startswith(f"{bad}:3:")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.0\npaths:\n  /a: [unclosed\n")
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    assert err.value.line is not None


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"openapi": "3.0.o", "info": {}, "paths": {}}, "invalid openapi version '3.0.o'"),
        ({"swagger": "1.2", "paths": {}}, "unsupported swagger version"),
        ({"name": "package.json-like"}, "no `openapi` or `swagger` field"),
        ({"openapi": "3.0.0", "paths": []}, "`paths` is not an object"),
    ],
)
def test_documents_that_are_not_specs_are_refused_with_a_reason(tmp_path: Path, doc: dict, reason: str) -> None:
    with pytest.raises(SpecError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load_spec(write_spec(tmp_path / "x.yaml", doc))


def test_billion_laughs_yaml_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["openapi: 3.0.0", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\npaths: {}\n")
    started = time.monotonic()
    with pytest.raises(RefusedInput, match="alias"):
        load_spec(bomb)
    assert time.monotonic() - started < 5  # refused while composing, long before expansion


def test_circular_refs_are_compared_without_recursion_blowup(tmp_path: Path) -> None:
    from monitor.engine import diff

    def doc(extra: str) -> dict:
        return {
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/n": {"get": {"responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {"schemas": {"Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                extra: {"type": "string"}}}}},
        }  # fmt: skip

    result = diff(
        load_spec(write_spec(tmp_path / "a.yaml", doc("a"))), load_spec(write_spec(tmp_path / "b.yaml", doc("b")))
    )
    assert {c.id for c in result.changes} == {"response-optional-property-removed", "response-optional-property-added"}


def test_ref_loop_is_an_error_not_a_hang(tmp_path: Path) -> None:
    from monitor.engine import diff

    doc = {
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/A"}}}}},
        "components": {"responses": {"A": {"$ref": "#/components/responses/B"},
                                     "B": {"$ref": "#/components/responses/A"}}},
    }  # fmt: skip
    with pytest.raises(SpecError, match="ref loop"):
        diff(load_spec(write_spec(tmp_path / "a.yaml", doc)), load_spec(write_spec(tmp_path / "b.yaml", doc)))


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("https://evil.example/schema.json#/X", "remote \\$ref"),
        ("/etc/passwd#/X", "absolute \\$ref"),
        ("../outside.yaml#/X", "leaves the spec's folder"),
        ("sibling.yaml#/X", "pass --allow-external-refs"),
    ],
)
def test_refs_to_other_files_are_refused_unless_allowed_and_inside_the_folder(
    tmp_path: Path, ref: str, reason: str
) -> None:
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {
               "application/json": {"schema": {"$ref": ref}}}}}}}}}  # fmt: skip
    with pytest.raises(RefusedInput, match=reason):
        load_spec(write_spec(spec_dir / "api.yaml", doc))


def test_sibling_file_refs_are_followed_when_allowed(tmp_path: Path) -> None:
    from monitor.engine import diff

    (tmp_path / "common.yaml").write_text("X:\n  type: object\n  properties:\n    id: {type: string}\n")
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {
               "application/json": {"schema": {"$ref": "common.yaml#/X"}}}}}}}}}  # fmt: skip
    old = load_spec(write_spec(tmp_path / "old.yaml", doc), allow_external_refs=True)
    (tmp_path / "common2.yaml").write_text("X:\n  type: object\n  properties:\n    id: {type: integer}\n")
    doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = "common2.yaml#/X"
    new = load_spec(write_spec(tmp_path / "new.yaml", doc), allow_external_refs=True)
    assert [c.id for c in diff(old, new).changes] == ["response-property-type-changed"]


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.engine.loaders import documents

    monkeypatch.setattr(documents, "MAX_SPEC_BYTES", 100)
    big = tmp_path / "big.json"
    big.write_text('{"openapi": "3.0.0", "paths": {}, "pad": "' + "x" * 200 + '"}')
    with pytest.raises(RefusedInput, match="over the 100-byte limit"):
        load_spec(big)


def test_deeply_nested_schema_is_cut_off_not_crashing(tmp_path: Path) -> None:
    from monitor.engine import diff

    def nested(depth: int, leaf: str) -> dict:
        node: dict = {"type": leaf}
        for _ in range(depth):
            node = {"type": "object", "properties": {"p": node}}
        return node

    def doc(leaf: str) -> dict:
        return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {
                    "application/json": {"schema": nested(400, leaf)}}}}}}}}  # fmt: skip

    import json

    (tmp_path / "a.json").write_text(json.dumps(doc("string")))  # ~800 levels: beyond orjson's writer
    (tmp_path / "b.json").write_text(json.dumps(doc("integer")))
    result = diff(load_spec(tmp_path / "a.json"), load_spec(tmp_path / "b.json"))
    assert result.changes == []  # the change sits below the depth limit; no RecursionError


def test_stray_non_utf8_bytes_in_descriptions_are_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.json"
    path.write_bytes(b'{"openapi": "3.0.3", "info": {"title": "it\x92s", "version": "1"}, "paths": {}}')
    assert load_spec(path).title == "it\ufffds"


def test_two_paths_that_are_one_template_are_refused(tmp_path: Path) -> None:
    ok = {"responses": {"200": {"description": "ok"}}}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {"/pet/{petId}": {"get": ok}, "/pet/{id}": {"get": ok}}}  # fmt: skip
    with pytest.raises(SpecError, match=r"GET /pet/\{id\} and GET /pet/\{petId\} are the same operation"):
        load_spec(write_spec(tmp_path / "dup.yaml", doc))


def _with_parameter(ref_target: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/P"}],
                                 "responses": {"200": {"description": "ok"}}}},
                  "/gone": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"parameters": {"P": ref_target, **components}},
    }  # fmt: skip


def test_an_operation_is_read_when_a_diff_first_asks_for_its_parameters_body_or_responses(tmp_path: Path) -> None:
    from monitor.engine import diff

    old = _with_parameter({"in": "query", "name": "q", "schema": {"type": "string"}})
    new = _with_parameter({"in": "query", "name": "q", "required": True, "schema": {"type": "string"}})
    del new["paths"]["/gone"]
    a, b = load_spec(write_spec(tmp_path / "a.yaml", old)), load_spec(write_spec(tmp_path / "b.yaml", new))
    result = diff(a, b)
    assert {c.id for c in result.changes} == {
        "request-parameter-became-required",
        "api-path-removed-without-deprecation",
    }
    # the removed operation is reported from what the loader always reads; its parts were never needed
    assert a.operations["GET /gone"]._inputs is None and a.operations["GET /gone"]._responses is None
    assert b.operations["GET /a"].parameters[("query", "q")].required is True


def test_a_ref_loop_an_operation_would_follow_fails_the_load_as_before_reading_became_lazy(tmp_path: Path) -> None:
    doc = _with_parameter({"$ref": "#/components/parameters/Q"}, Q={"$ref": "#/components/parameters/P"})
    with pytest.raises(SpecError, match="ref loop"):
        load_spec(write_spec(tmp_path / "loop.yaml", doc))
