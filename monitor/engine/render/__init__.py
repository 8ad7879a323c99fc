"""Output formats for a diff result; each renderer returns text and never prints."""

from __future__ import annotations

from collections.abc import Callable

from monitor.engine.diff import DiffResult
from monitor.engine.render import github, json, junit, markdown, text

RENDERERS: dict[str, Callable[[DiffResult], str]] = {
    "text": text.render,
    "json": json.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "githubactions": github.render,
}

__all__ = ["RENDERERS"]
