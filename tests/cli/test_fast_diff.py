"""The console script's fast path for a plain `monitor diff`: the same bytes and exit codes as the full CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.entry import _parse
from tests.cli.test_diff_command import _doc
from tests.engine.helpers import write_spec

# The full Typer CLI, bypassing the fast path, as the reference.
_FULL = "import sys; from monitor.cli import main; sys.argv[0] = 'monitor'; main()"


def _run(full: bool, *args: str | Path) -> subprocess.CompletedProcess[str]:
    head = [sys.executable, "-c", _FULL] if full else [sys.executable, "-m", "monitor"]
    return subprocess.run([*head, *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fast")
    return write_spec(folder / "old.yaml", _doc(False, ["A"])), write_spec(folder / "new.yaml", _doc(True, ["A", "B"]))


@pytest.mark.parametrize(
    "options",
    [(), ("--format", "json"), ("-f", "markdown"), ("--format=junit",), ("--format", "githubactions"),
     ("--fail-on", "info", "--format", "json"), ("--fail-on=warning",)],
)  # fmt: skip
def test_fast_path_prints_what_the_full_cli_prints(pair: tuple[Path, Path], options: tuple[str, ...]) -> None:
    fast, full = _run(False, "diff", *pair, *options), _run(True, "diff", *pair, *options)
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    assert fast.stdout


def test_a_file_name_is_printed_as_the_cli_prints_it(pair: tuple[Path, Path]) -> None:
    # Typer hands the command a Path, which drops "./" and doubled slashes from the name the user typed.
    old, new = pair
    args = ("diff", f"{old.parent}//./{old.name}", str(new), "--format", "json")
    fast, full = _run(False, *args), _run(True, *args)
    assert fast.stdout == full.stdout and "//" not in fast.stdout


def test_errors_fall_through_to_the_full_cli(pair: tuple[Path, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"openapi": "3.0.3",\n "paths": {"/a": }\n}')
    for args in (("diff", pair[0], bad), ("diff", pair[0], tmp_path / "missing.yaml"), ("diff", "--format", "pdf")):
        fast, full = _run(False, *args), _run(True, *args)
        assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
        assert fast.returncode == 2 and fast.stderr.startswith("error: ")


@pytest.mark.parametrize(
    "argv",
    [[], ["diff"], ["diff", "a"], ["diff", "a", "b", "c"], ["diff", "a", "b", "--help"], ["diff", "a", "b", "--"],
     ["diff", "a", "b", "-fjson"], ["diff", "a", "b", "-f=json"], ["diff", "a", "b", "--format"],
     ["diff", "a", "b", "--format", "JSON"], ["diff", "a", "b", "--usage", "u.yaml"], ["diff", "-", "b"],
     ["diff", "a", "b", "--allow-external-refs"], ["rules"], ["gate", "a", "b"], ["diff", "a", "b", "--fail-on", "x"]],
)  # fmt: skip
def test_anything_but_the_plain_form_goes_to_the_full_cli(argv: list[str]) -> None:
    assert _parse(argv) is None


def test_plain_forms_are_parsed_with_the_last_option_winning() -> None:
    assert _parse(["diff", "a", "b"]) == ("a", "b", "text", "breaking")
    argv = ["diff", "--format", "json", "a", "-f", "junit", "b", "--fail-on=info"]
    assert _parse(argv) == ("a", "b", "junit", "info")
