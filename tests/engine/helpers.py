"""Small builders for spec pairs written inline in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.engine import DiffOptions, DiffResult, diff, load_spec


def write_spec(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def diff_docs(
    tmp_path: Path, old: dict[str, Any], new: dict[str, Any], options: DiffOptions | None = None
) -> DiffResult:
    a = write_spec(tmp_path / "old.yaml", old)
    b = write_spec(tmp_path / "new.yaml", new)
    return diff(load_spec(a), load_spec(b), options)
