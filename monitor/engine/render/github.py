"""GitHub Actions workflow commands: an annotation per change on the new spec file."""

from __future__ import annotations

from monitor.engine.diff import DiffResult
from monitor.engine.render.text import operations_label

_COMMAND = {"breaking": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: DiffResult) -> str:
    file = _escape_property(result.new["file"])
    lines = []
    for c in result.changes:
        title = _escape_property(f"{c.id} ({operations_label(c)})")
        lines.append(f"::{_COMMAND[c.level.value]} file={file},title={title}::{_escape_data(c.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
