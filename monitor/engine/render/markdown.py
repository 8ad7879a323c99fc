"""A Markdown changelog fit for a pull request comment or a Slack post."""

from __future__ import annotations

from monitor.engine.diff import DiffResult
from monitor.engine.render.text import operations_label

_TITLE = {"breaking": "Breaking changes", "warning": "Warnings", "info": "Other changes"}


def render(result: DiffResult) -> str:
    s = result.summary
    title = result.new["title"] or result.new["file"]
    lines = [
        f"## API changes: {title} {result.old['version']} → {result.new['version']}",
        "",
        f"**{s['breaking']} breaking**, {s['warning']} warning, {s['info']} info",
    ]
    for level, heading in _TITLE.items():
        changes = [c for c in result.changes if c.level.value == level]
        if not changes:
            continue
        lines += ["", f"### {heading}", ""]
        for c in changes:
            lines.append(f"- **{_escape(operations_label(c))}**: {_escape(c.message)} (`{c.id}`)")
    if not result.changes:
        lines += ["", "No changes."]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
