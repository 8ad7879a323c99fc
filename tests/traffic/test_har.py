"""Captures: masking before anything is kept, HAR as browsers write it, and hostile files in bounded time and memory."""

from __future__ import annotations

import base64
import json
import time
import tracemalloc
from pathlib import Path

import orjson
import pytest

from monitor.errors import CaptureError
from monitor.traffic.har import ABSENT, Exchange, HarWriter, Limits, Skipped, read_capture
from monitor.traffic.masking import FieldPath, Masking
from tests.traffic.conftest import entry, run_cli, write_config, write_har

TOKEN, SIGN, EMAIL = "Atza|secret-token-1", "c0ffee-signature", "buyer@example.com"


def _secretive() -> dict:
    item = entry("GET", f"https://api.example/orders?sign={SIGN}&access_token={TOKEN}&x-amz-access-token={TOKEN}"
                 "&page=2", 200, {"orders": [{"id": 1, "Buyer": {"Email": EMAIL, "Age": 40}}]},
                 headers={"Authorization": f"Bearer {TOKEN}", "x-amz-access-token": TOKEN,
                          "x-tts-access-token": TOKEN, "Cookie": f"session={TOKEN}"})  # fmt: skip
    item["request"]["cookies"] = [{"name": "session", "value": TOKEN}]
    item["response"]["cookies"] = [{"name": "set", "value": TOKEN}]
    return item


def test_secrets_and_personal_fields_are_masked_before_writing(tmp_path: Path) -> None:
    masking = Masking.from_paths(["$.orders[*].Buyer"])
    for name in ("out.har", "out.jsonl"):
        writer = HarWriter(tmp_path / name, masking=masking)
        writer.write(_secretive())
        writer.write(_secretive())
        written = (tmp_path / name).read_text()
        for value in (TOKEN, SIGN, EMAIL, "40"):
            assert value not in written, (name, value)
        assert "page=2" in written
    document = json.loads((tmp_path / "out.har").read_text())  # valid HAR after every append
    assert len(document["log"]["entries"]) == 2
    body = json.loads(document["log"]["entries"][0]["response"]["content"]["text"])
    assert body == {"orders": [{"id": 1, "Buyer": {"Email": "***", "Age": 0}}]}  # types kept: strings, numbers


def test_reading_masks_too_and_a_bare_name_masks_at_any_depth(tmp_path: Path) -> None:
    har = write_har(tmp_path / "browser.har", [_secretive()])
    (item,) = read_capture(har, masking=Masking.from_paths(["Email"]))
    assert isinstance(item, Exchange)
    assert dict(item.query)["sign"] == "***" and dict(item.query)["access_token"] == "***"
    assert item.request_headers["authorization"] == "***" and item.request_headers["x-tts-access-token"] == "***"
    assert item.response_body["orders"][0]["Buyer"]["Email"] == "***"
    assert TOKEN not in repr(item) and EMAIL not in repr(item)


def test_field_paths_are_checked() -> None:
    assert FieldPath.parse("$..BuyerName").steps == (("any", "BuyerName"),)
    assert FieldPath.parse("$.a[*].b").steps == (("key", "a"), ("[]", ""), ("key", "b"))
    for bad in ("$", "$.a..", "$.a[1]"):
        with pytest.raises(CaptureError):
            FieldPath.parse(bad)


def test_entries_without_an_answer_are_skipped_with_a_reason(tmp_path: Path) -> None:
    blocked = entry("GET", "https://x.example/a", 200, {})
    blocked["response"]["status"] = 0  # what browsers record for a blocked request
    har = write_har(
        tmp_path / "mixed.har",
        [blocked, "not an entry", {"request": {}}, entry("GET", "https://x.example/b", 200, {"ok": 1})],
    )
    found = list(read_capture(har))
    assert [type(f).__name__ for f in found] == ["Skipped", "Skipped", "Skipped", "Exchange"]
    assert "status 0" in found[0].reason  # type: ignore[union-attr]


# -- hostile captures -----------------------------------------------------------------------------------------------


def test_an_invalid_har_is_one_clear_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    for name, content in (("broken.har", b'{"log": {"entries": [{'), ("other.har", b'{"openapi": "3.0.0"}'),
                          ("empty.har", b"")):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(content)
        code, _out, err = run_cli(["contracts", "learn", "--har", path, "--platform", "p", "--name", "n",
                                  "--config", config], capsys)  # fmt: skip
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (name, err)
        assert name in err
    code, _, err = run_cli(["contracts", "learn", "--har", tmp_path / "missing.har", "--platform", "p", "--name", "n",
                            "--config", config], capsys)  # fmt: skip
    assert code == 2 and "cannot read" in err


def test_a_100_mb_body_is_not_inspected_in_bounded_memory(tmp_path: Path) -> None:
    huge = "x" * (100 * 1024 * 1024)
    har = write_har(tmp_path / "huge.har", [entry("GET", "https://x.example/a", 200, '{"a": "' + huge + '"}'),
                                             entry("GET", "https://x.example/b", 200, {"ok": 1})])  # fmt: skip
    lines = tmp_path / "huge.jsonl"
    lines.write_bytes(orjson.dumps(entry("GET", "https://x.example/a", 200, '{"a": "' + huge + '"}')) + b"\n"
                      + orjson.dumps(entry("GET", "https://x.example/b", 200, {"ok": 1})) + b"\n")  # fmt: skip
    del huge
    tracemalloc.start()
    started = time.monotonic()
    first, second = list(read_capture(har))
    assert isinstance(first, Exchange) and first.response_body is ABSENT and "not inspected" in first.notes[0]
    assert isinstance(second, Exchange) and second.response_body == {"ok": 1}
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    skipped, kept = list(read_capture(lines, limits=Limits(max_line_bytes=16 * 1024 * 1024)))
    _, line_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(skipped, Skipped) and "line limit" in skipped.reason and isinstance(kept, Exchange)
    assert peak < 400 * 1024 * 1024  # the file, its text, nothing more (bigger files: JSON Lines)
    assert line_peak < 64 * 1024 * 1024  # JSON Lines: one line's limit at most
    assert time.monotonic() - started < 30


def test_a_document_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    har = write_har(tmp_path / "big.har", [entry("GET", "https://x.example/a", 200, {"a": "x" * 5000})])
    with pytest.raises(CaptureError, match="JSON Lines"):
        list(read_capture(har, limits=Limits(max_file_bytes=1000)))


def test_100k_entries_stop_at_the_entry_limit(tmp_path: Path) -> None:
    one = orjson.dumps(entry("GET", "https://x.example/a/1", 200, {"ok": 1}))
    lines = tmp_path / "many.jsonl"
    lines.write_bytes(b"\n".join([one] * 100_000) + b"\n")
    har = write_har(tmp_path / "many.har", [orjson.loads(one)] * 100_000)
    for path in (lines, har):
        started = time.monotonic()
        found = list(read_capture(path, limits=Limits(max_entries=500)))
        assert sum(isinstance(f, Exchange) for f in found) == 500
        assert isinstance(found[-1], Skipped) and "entry limit" in found[-1].reason
        assert time.monotonic() - started < 10


def test_binary_and_deep_bodies_are_skipped_with_a_reason(tmp_path: Path) -> None:
    png = entry("GET", "https://x.example/img", 200, None, media="image/png")
    png["response"]["content"].update(text=base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\xff").decode(), encoding="base64")
    deep = "[" * 100 + "]" * 100
    deeper = '{"a":' * 5000 + "1" + "}" * 5000
    garbage = entry("GET", "https://x.example/g", 200, None)
    garbage["response"]["content"].update(text="not base64!", encoding="base64")
    har = write_har(tmp_path / "odd.har", [png, entry("GET", "https://x.example/d", 200, deep),
                                           entry("GET", "https://x.example/e", 200, deeper), garbage])  # fmt: skip
    notes = [item.notes for item in read_capture(har) if isinstance(item, Exchange)]
    assert "image/png" in notes[0][0]
    assert "deeper than 64" in notes[1][0]
    assert "not valid JSON" in notes[2][0]  # past orjson's own nesting limit
    assert "invalid base64" in notes[3][0]
