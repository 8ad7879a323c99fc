"""One JSON object: old, new, summary and changes (the shape in the product brief)."""

from __future__ import annotations

import orjson

from monitor.engine.diff import DiffResult


def render(result: DiffResult) -> str:
    return orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
