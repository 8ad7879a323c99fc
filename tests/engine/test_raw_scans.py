"""The loader's byte scans read a JSON file's own bytes (not orjson's re-serialisation): same answers, every spelling.

Each test loads a document written as a person or another tool writes JSON (spaces and newlines around ":",
escapes) and checks that what the scans decide (the distinct refs, dangling refs, bundling, the lenient repairs)
is what they decide on orjson's compact form of the same parsed document.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from monitor.engine import diff, load_spec, load_spec_bytes
from monitor.engine.loaders.lenient import _is_suspect
from monitor.engine.loaders.refs import scannable, serialise, unique_refs_in
from monitor.engine.render import json
from tests.conftest import require_corpus


def _doc(schemas: str, body: str = '{"$ref": "#/components/schemas/A"}') -> bytes:
    return (
        '{\n  "openapi" : "3.0.3", "info": {"title": "t", "version": "1"},\n  "paths": {"/a": {"get": {"responses":'
        ' {"200": {"description": "ok", "content": {"application/json": {"schema": ' + body + "}}}}}}},\n"
        '  "components": {"schemas": ' + schemas + "}\n}\n"
    ).encode()


SPELLINGS = {
    "spaces and newlines around the colon": _doc('{"A": {"$ref"\n :\t"#/components/schemas/B"}, "B": {"type": "string"}}'),
    "an escaped slash in a ref": _doc('{"A": {"$ref": "#\\/components\\/schemas\\/B"}, "B": {}}'),
    "a \\u escape of a letter in the key": _doc('{"A": {"\\u0024r\\u0065f": "#/components/schemas/B"}, "B": {}}'),
    "a non-ASCII escape elsewhere": _doc('{"A": {"description": "caf\\u00e9", "$ref": "#/components/schemas/B"}, "B": {}}'),
    "a dangling ref": _doc('{"A": {"$ref": "#/components/schemas/Gone"}}'),
    "an escaped quote before a $ref-like key": _doc('{"A": {"say \\"$ref": {"type": "string"}}}'),
    "a ref given twice, the earlier external": _doc('{"A": {"$ref": "other.json#/X", "$ref": "#/components/schemas/B"}, "B": {}}'),
    "a ref given twice, the earlier local": _doc('{"A": {"$ref": "#/components/schemas/Gone", "$ref": "#/components/schemas/B"}, "B": {}}'),
    "items as a bare type name, spaced": _doc('{"A": {"type": "array", "items" :  "string"}}'),
    "an empty list for properties, spaced": _doc('{"A": {"type": "object", "properties" : [ \n ]}}'),
    "an empty security list only": _doc('{"A": {"type": "object"}}').replace(b'"paths"', b'"security": [ ], "paths"'),
}  # fmt: skip


@pytest.mark.parametrize("data", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_scans_of_the_file_answer_as_scans_of_orjson_bytes(data: bytes) -> None:
    root = orjson.loads(data)
    compact = serialise(root)
    assert compact is not None
    raw = scannable(data)
    if raw is not None:
        assert _is_suspect(raw) == _is_suspect(compact)
    spec = load_spec_bytes(data, "spec.json")
    compact_spec = load_spec_bytes(compact, "spec.json")  # the same document, compact: read the way it always was
    if data is SPELLINGS["a ref given twice, the earlier local"]:  # the value the parser dropped is found too:
        assert spec.refs == {*unique_refs_in(root, compact), "#/components/schemas/Gone"}  # harmless, below
    else:
        assert spec.refs == unique_refs_in(root, compact)
    assert spec.defects == compact_spec.defects
    assert spec.root == compact_spec.root
    other = load_spec_bytes(_doc('{"A": {"type": "integer"}, "B": {"type": "string"}}'), "other.json")
    for old, new in ((other, spec), (spec, other), (spec, spec)):  # what a diff reports does not depend on it
        twin_old = compact_spec if old is spec else old
        twin_new = compact_spec if new is spec else new
        assert json.render(diff(old, new)) == json.render(diff(twin_old, twin_new))


def test_a_key_spelled_with_letter_escapes_is_not_scanned_in_place() -> None:
    assert scannable(SPELLINGS["a \\u escape of a letter in the key"]) is None
    assert scannable(SPELLINGS["a non-ASCII escape elsewhere"]) is not None
    assert scannable(b"openapi: 3.0.3\n") is None  # YAML is serialised as before


def test_the_lenient_repairs_are_found_in_spaced_json() -> None:
    kinds = {d[1] for d in load_spec_bytes(SPELLINGS["items as a bare type name, spaced"], "s.json").defects}
    assert "#/components/schemas/A/items" in kinds
    kinds = {d[1] for d in load_spec_bytes(SPELLINGS["an empty list for properties, spaced"], "s.json").defects}
    assert "#/components/schemas/A/properties" in kinds


def test_a_dangling_ref_is_reported_from_spaced_json() -> None:
    defects = load_spec_bytes(SPELLINGS["a dangling ref"], "s.json").defects
    assert ("dangling-ref", "#/components/schemas/A", "#/components/schemas/Gone") in defects


def test_a_ref_value_that_is_not_utf8_is_read_as_the_parser_read_it(tmp_path: Path) -> None:
    data = _doc('{"A": {"$ref": "#/components/schemas/B\xe9"}, "B": {}}'.replace("\xe9", "@")).replace(b"@", b"\xe9")
    spec = load_spec_bytes(data, "s.json")
    assert spec.refs == {"#/components/schemas/A", "#/components/schemas/B\ufffd"}


def test_every_corpus_file_gives_the_same_refs_from_its_own_bytes() -> None:
    corpus = require_corpus()
    files = sorted(corpus.glob("*/**/*.json"))
    assert len(files) > 300
    for file in files:
        data = file.read_bytes()
        raw = scannable(data)
        if raw is None or file.name in ("manifest.json", "verdicts.json"):
            continue
        try:
            root = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue  # stray cp1252 bytes: refs then come from orjson's bytes (the test above)
        compact = serialise(root)
        assert unique_refs_in(root, raw) == unique_refs_in(root, compact), file
        assert _is_suspect(raw) == _is_suspect(compact), file


def test_a_spec_file_on_disk_is_read_the_same(tmp_path: Path) -> None:
    file = tmp_path / "spec.json"
    file.write_bytes(SPELLINGS["spaces and newlines around the colon"])
    assert load_spec(file).refs == {"#/components/schemas/A", "#/components/schemas/B"}
