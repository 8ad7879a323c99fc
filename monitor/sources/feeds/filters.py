"""changedetection.io's ignore and trigger text filters over items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from monitor.sources.feeds.items import FeedItem, content_hash


def compile_text_filter(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """changedetection.io's filter syntax: a plain substring, or `/regex/`; both case-insensitive.

    Raises `ValueError` naming the pattern when a regex does not compile (config validation can call this).
    """
    compiled = []
    for pattern in patterns:
        if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
            try:
                compiled.append(re.compile(pattern[1:-1], re.IGNORECASE))
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        elif pattern.strip():
            compiled.append(re.compile(re.escape(pattern.strip()), re.IGNORECASE))
    return compiled


def filter_items(items: Iterable[FeedItem], *, ignore_text: list[str], trigger_text: list[str]) -> list[FeedItem]:
    """Apply ignore and trigger filters as changedetection.io does.

    `ignore_text`: lines matching any pattern are removed from the text considered, so a changing "Last updated"
    line neither triggers nor changes the content hash. `trigger_text`: when given, only items whose remaining
    title or text matches one of the patterns are kept.
    """
    ignore = compile_text_filter(ignore_text)
    triggers = compile_text_filter(trigger_text)
    kept = []
    for item in items:
        item = _without_ignored_lines(item, ignore) if ignore else item
        considered = [line for line in [item.title, *item.summary.split("\n")] if not _matches(line, ignore)]
        if triggers and not any(_matches(line, triggers) for line in considered):
            continue
        kept.append(item)
    return kept


def _without_ignored_lines(item: FeedItem, ignore: list[re.Pattern[str]]) -> FeedItem:
    lines = [line for line in item.summary.split("\n") if not _matches(line, ignore)]
    summary = "\n".join(lines)
    if summary == item.summary:
        return item
    digest = content_hash(item.title, item.link, item.published_at, summary, item.extra)
    return replace(item, summary=summary, content_hash=digest)


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.search(line) for p in patterns)
