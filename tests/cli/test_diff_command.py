"""`monitor diff` run for real as a subprocess: output formats, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.engine.helpers import write_spec


def _doc(required: bool, enum: list[str]) -> dict:
    return {
        "openapi": "3.0.3", "info": {"title": "shop", "version": "1"},
        "paths": {"/orders": {"get": {"operationId": "getOrders", "parameters": [
            {"name": "since", "in": "query", "required": required, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"status": {"type": "string", "enum": enum}}}}}}}}}},
    }  # fmt: skip


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *map(str, args)], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return write_spec(tmp_path / "old.yaml", _doc(False, ["A"])), write_spec(
        tmp_path / "new.yaml", _doc(True, ["A", "B"])
    )


def test_json_output_follows_the_brief_and_breaking_exits_1(pair: tuple[Path, Path]) -> None:
    proc = run("diff", *pair, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"] == {"breaking": 1, "warning": 1, "info": 0}
    assert set(data["old"]) >= {"file", "format", "version"}
    first = data["changes"][0]
    assert first["id"] == "request-parameter-became-required" and first["level"] == "breaking"
    assert first["operation"] == "GET /orders" and first["operations"] == ["GET /orders"]
    assert {"location", "message"} <= set(first)


def test_fail_on_warning_and_no_changes(pair: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = pair
    assert run("diff", old, old).returncode == 0
    only_warning = write_spec(tmp_path / "w.yaml", _doc(False, ["A", "B"]))
    assert run("diff", old, only_warning).returncode == 0
    assert run("diff", old, only_warning, "--fail-on", "warning").returncode == 1


def test_text_output_is_grouped_by_operation(pair: tuple[Path, Path]) -> None:
    out = run("diff", *pair).stdout
    assert "1 breaking, 1 warning, 0 info" in out
    assert "\nGET /orders\n  BREAKING The query parameter `since` became required" in out


def test_markdown_junit_and_github_formats(pair: tuple[Path, Path]) -> None:
    md = run("diff", *pair, "--format", "markdown").stdout
    assert md.startswith("## API changes: shop 1 → 1") and "### Breaking changes" in md
    junit = ET.fromstring(run("diff", *pair, "--format", "junit").stdout)
    assert junit.get("failures") == "1" and junit.find("testcase/failure") is not None
    gh = run("diff", *pair, "--format", "githubactions").stdout.splitlines()
    assert gh[0].startswith("::error file=") and "request-parameter-became-required" in gh[0]
    assert gh[1].startswith("::warning file=")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("diff", "missing-old.yaml", "missing-new.yaml"), "error: missing-old.yaml: cannot read file"),
        (("diff",), "error: Missing argument"),
        (("diff", "a", "b", "--format", "pdf"), "error: Invalid value for '--format'"),
    ],
)
def test_bad_usage_is_one_line_on_stderr_with_exit_2(args: tuple[str, ...], expected: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith(expected)
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_invalid_spec_names_file_and_line(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"openapi": "3.0.3",\n "paths": {"/a": }\n}')
    proc = run("diff", pair[0], bad)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {bad}:2:") and proc.stderr.count("\n") == 1


def test_ignore_and_usage_options(pair: tuple[Path, Path], tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "- rule: request-parameter-became-required\n  reason: we always send since\n  expires: 2999-01-01\n"
    )
    assert run("diff", *pair, "--ignore", ignore).returncode == 0
    usage = tmp_path / "usage.yaml"
    usage.write_text("- getReturns\n")
    proc = run("diff", *pair, "--usage", usage, "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["changes"] == []


def test_rules_markdown_matches_docs(tmp_path: Path) -> None:
    proc = run("rules", "--format", "markdown")
    assert proc.returncode == 0
    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == proc.stdout, (
        "regenerate: monitor rules --format markdown > docs/rules.md"
    )
