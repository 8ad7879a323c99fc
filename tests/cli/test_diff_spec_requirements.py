"""`monitor diff` on a spec lacking what its version requires: refused in one line, exit 2, nothing compared."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_diff_command import run
from tests.engine.helpers import write_spec

INFO = {"title": "shop", "version": "1"}


def test_a_spec_without_paths_is_refused_instead_of_reporting_every_operation_removed(tmp_path: Path) -> None:
    old = write_spec(tmp_path / "old.yaml", {"openapi": "3.0.3", "info": INFO,
                                             "paths": {"/orders": {"get": {"responses": {"200": {"description": "ok"}}}}}})  # fmt: skip
    truncated = write_spec(tmp_path / "new.yaml", {"openapi": "3.0.3", "info": INFO})
    proc = run("diff", old, truncated, "--format", "json")
    assert proc.returncode == 2
    assert (
        proc.stderr
        == f"error: {truncated}: no `paths`: OpenAPI 3.0 requires it (write `paths: {{}}` for no operations)\n"
    )
    assert proc.stdout == ""
