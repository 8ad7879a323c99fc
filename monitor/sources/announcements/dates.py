"""Dates in an announcement and what each is: removal, deprecation, effective, previous or mentioned."""

from __future__ import annotations

import itertools
import re
from datetime import date

from monitor.sources.announcements.keywords import (
    _BOUNDARY,
    _CATEGORY_KEYWORDS,
    _CONDITIONAL,
    _CONTEXT_CHARS,
    _DATE_KEYWORDS,
    _MAX_DATES,
    _MOVED_TO,
    _TODAY,
)
from monitor.sources.announcements.model import (
    KIND_DEPRECATION,
    KIND_EFFECTIVE,
    KIND_MENTIONED,
    KIND_PREVIOUS,
    KIND_REMOVAL,
    REMOVAL,
)
from monitor.sources.feeds import FeedItem, find_dates

# -- dates ------------------------------------------------------------------------------------------------------------

# Custom elements whose name says what their date is: eBay's deprecationDate/decommissionDate, Shopify's effectiveAt.
_STRUCTURED_KINDS = [
    (
        re.compile(r"(?:decommission|removal|sunset|retire|end_?of_?life|eol)\w*(?:date|at)$", re.IGNORECASE),
        KIND_REMOVAL,
    ),
    (re.compile(r"deprecat\w*(?:date|at)$", re.IGNORECASE), KIND_DEPRECATION),
    (re.compile(r"^(?:effective|start)(?:_?date|_?at)?$", re.IGNORECASE), KIND_EFFECTIVE),
]


def _date_kind_of(name: str) -> str | None:
    return next((kind for pattern, kind in _STRUCTURED_KINDS if pattern.search(name)), None)


def _structured_dates(item: FeedItem) -> list[tuple[int, str, date, str]]:
    found = []
    for name, value in item.extra.items():
        kind = _date_kind_of(name)
        dates = find_dates(value) if kind else []
        if kind and dates:
            found.append((-1, kind, dates[0][2], f"{name}: {value}"[:200]))
    return found


def _text_dates(text: str, prose_end: int, item: FeedItem) -> list[tuple[int, str, date, str]]:
    """(position, kind, date, snippet) for every date written in text[:prose_end], plus "today" removals."""
    spans = find_dates(text[:prose_end])[:_MAX_DATES]
    kinds: list[str] = []
    for index, (start, end, _) in enumerate(spans):
        previous_end = spans[index - 1][1] if index else 0
        next_start = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        before = _clause_before(text, max(previous_end, start - _CONTEXT_CHARS), start)
        after = _clause_after(text, end, min(next_start, end + _CONTEXT_CHARS))
        consequence = _CONDITIONAL.search(after)
        kind = _date_kind(before, after[: consequence.start()] if consequence else after)
        if kind == KIND_REMOVAL and _CONDITIONAL.search(before):
            kind = KIND_MENTIONED
        kinds.append(kind)
        if index and _MOVED_TO.match(text[previous_end:start]):
            # "changed from <old> to <new>": the kind read before <old> belongs to <new>.
            kinds[index], kinds[index - 1] = kinds[index - 1], KIND_PREVIOUS
    found = [
        (start, kind, value, _snippet(text, start, end)) for (start, end, value), kind in zip(spans, kinds, strict=True)
    ]
    return found + _today_removals(text, item, spans)


def _clause_before(text: str, start: int, end: int) -> str:
    window = text[start:end]
    cuts = [m.end() for m in _BOUNDARY.finditer(window)]
    return window[cuts[-1] :] if cuts else window


def _clause_after(text: str, start: int, end: int) -> str:
    window = text[start:end]
    match = _BOUNDARY.search(window)
    return window[: match.start()] if match else window


def _date_kind(before: str, after: str) -> str:
    # Removal and deprecation words outrank effective words wherever they sit in the clause: in "the removal date
    # has changed from <date>", "from" is nearer but "removal" says what the date is.
    strong = (KIND_REMOVAL, KIND_DEPRECATION)
    kind = _nearest_keyword(before, strong, from_end=True)
    # After the date: "Effective March 31, 2026, the operation will no longer be available"; "于2025年3月31日下线".
    kind = kind or _nearest_keyword(after, strong, from_end=False)
    if kind:
        return kind
    if _nearest_keyword(before, (KIND_EFFECTIVE,), from_end=True) or _nearest_keyword(
        after, (KIND_EFFECTIVE,), from_end=False
    ):
        return KIND_EFFECTIVE
    return KIND_MENTIONED


# "the deprecated Finances API will be decommissioned": an adjective says what a thing is, not what the date is
_ADJECTIVE_BEFORE = re.compile(r"\b(?:the|a|an|all|any|these|those|its|their|our|already)\s+$", re.IGNORECASE)
_ADJECTIVE_AFTER = re.compile(r"^\s+(?:operations?|endpoints?|apis?|versions?|fields?|propert\w+|resources?)\b",
                             re.IGNORECASE)  # fmt: skip


def _nearest_keyword(context: str, kinds: tuple[str, ...], *, from_end: bool) -> str | None:
    best: tuple[int, str] | None = None
    for kind, pattern in _DATE_KEYWORDS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(context):
            if kind == KIND_DEPRECATION and (
                _ADJECTIVE_BEFORE.search(context, 0, match.start()) or _ADJECTIVE_AFTER.match(context[match.end() :])
            ):
                continue
            distance = len(context) - match.end() if from_end else match.start()
            if best is None or distance < best[0]:
                best = (distance, kind)
    return best[1] if best else None


def _snippet(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    offset = start - line_start
    left = max(0, offset - 120)
    return ("…" if left else "") + line[left : offset + (end - start) + 80].strip()


def _today_removals(text: str, item: FeedItem, spans: list[tuple[int, int, date]]) -> list[tuple[int, str, date, str]]:
    """'Today we removed...', 'should be removed as of today': the removal date is the post's own date."""
    if item.published_at is None:
        return []
    found = []
    for match in itertools.islice(_TODAY.finditer(text), 20):  # each look scans back to the sentence start
        sentence_start = max((m.end() for m in _BOUNDARY.finditer(text, 0, match.start())), default=0)
        boundary = _BOUNDARY.search(text, match.end())
        sentence = text[sentence_start : boundary.start() if boundary else len(text)]
        if any(pattern.search(sentence) for pattern in _CATEGORY_KEYWORDS[REMOVAL]):
            found.append((match.start(), KIND_REMOVAL, item.published_at.date(), sentence.strip()[:200]))
            break
    return found
