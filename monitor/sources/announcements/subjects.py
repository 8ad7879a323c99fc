"""What each removal date is about (API, operations, phase), normalised so a moved date is noticed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from monitor.sources.announcements.keywords import _BOUNDARY, _PHASE, _PHASE_NUMBERS, _SAME_EVENT_DAYS, _UNAFFECTED
from monitor.sources.announcements.model import KIND_REMOVAL, Classification
from monitor.sources.announcements.names import (
    _API_MENTION,
    _CAMEL,
    _SNAKE_API,
    _UPPER_SNAKE,
    _is_successor,
    _Mention,
    _unique,
    api_key,
)
from monitor.sources.feeds import FeedItem

# -- subjects of removal dates ----------------------------------------------------------------------------------------


def _removal_subjects(
    text: str, dates: list[tuple[int, str, date, str]], mentions: list[_Mention], item: FeedItem
) -> list[tuple[str, date]]:
    """(subject, date) for each removal date: the API (and operations) or type named on the date's line."""
    primary = _primary_subject(item, mentions)
    found: list[tuple[str, date]] = []
    for position, kind, value, _ in dates:
        if kind != KIND_REMOVAL:
            continue
        subject = primary if position < 0 else _line_subject(text, position, mentions) or primary
        phase = _phase(text, position) if position >= 0 else None
        if phase is not None:  # each phase of a plan is its own subject: its date is not a move of another's
            name, sep, operations = subject.partition(":")
            subject = f"{name.strip()} phase {phase}{sep}{operations}"
        same = [i for i, (s, d) in enumerate(found) if d == value and _same_or_narrower(s, subject)]
        # "Complete migration by 10 August ... will be taken offline on 11 August": a deadline and the switch-off
        # days apart are one event, not a date that moved within the post.
        if any(s == subject and 0 < abs((value - d).days) <= _SAME_EVENT_DAYS for s, d in found):
            continue
        if not same:
            found.append((subject, value))
        elif len(subject) > len(found[same[0]][0]):  # the body names the operations the title only implies
            found[same[0]] = (subject, value)
    return found


def _phase(text: str, position: int) -> str | None:
    """The phase number named on the date's line ("Phase 2 APIs ...", "第二阶段"), else None."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    match = _PHASE.search(text, line_start, len(text) if line_end < 0 else line_end)
    if match is None:
        return None
    raw = (match["n"] or match["zh"] or match["zh2"] or "").lower()
    return _PHASE_NUMBERS.get(raw, raw)


def _primary_subject(item: FeedItem, mentions: list[_Mention]) -> str:
    api = item.extra.get("api", "")
    methods = [m.strip() for m in item.extra.get("methods", "").split(",") if m.strip() and "(" not in m]
    if api:
        return f"{api}: {', '.join(methods)}" if methods else api
    subjects = [m for m in mentions if not m.is_successor]
    return subjects[0].name if subjects else item.title[:120]


def _line_subject(text: str, position: int, mentions: list[_Mention]) -> str | None:
    """The nearest API named before the date on its line (else after it), with the operations named along with it;
    else the first feed/report/notification type on the line."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line_end = len(text) if line_end < 0 else line_end
    on_line = [m for m in mentions if line_start <= m.start < line_end and not m.is_successor]
    before = [m for m in on_line if m.start < position]
    mention = before[-1] if before else (on_line[0] if on_line else None)
    if mention is None:
        constant = _UPPER_SNAKE.search(text, line_start, line_end)
        return constant.group(0) if constant else None
    # The operations belong to the API from the sentence of its first mention on the line (or from the date) up to
    # the next other API: "The listCatalogCategories operation of the Catalog Items API v0 has a removal date of".
    first = min(m.start for m in on_line if m.key == mention.key)
    sentence_start = max((m.end() for m in _BOUNDARY.finditer(text, line_start, first)), default=line_start)
    start = min(sentence_start, position)
    later = [m.start for m in on_line if m.key != mention.key and m.start > max(position, mention.start)]
    operations = _unique(_operations_affected(text[start : min(later, default=line_end)]))
    return f"{mention.name}: {', '.join(operations)}" if operations else mention.name


def _operations_affected(line: str) -> list[str]:
    """Operation ids named on a line, minus migration targets and parts that say they stay."""
    found = []
    for part in re.split(r"[;；]", line):
        if _UNAFFECTED.search(part):
            continue
        found += [
            m.group(0) for m in _CAMEL.finditer(part) if m.group(0)[0].islower() and not _is_successor(part, m.start())
        ]
    return found


def _same_or_narrower(known: str, candidate: str) -> bool:
    return known == candidate or known.startswith(candidate + ":") or candidate.startswith(known + ":")


def subject_key(classification: Classification, links: Sequence[tuple[str, str]]) -> str:
    """A stable name for what the removal date is about, so a later entry with a different date shows a move.

    The subject of the first removal date, normalised ("catalogitems@0:getcatalogitem,listcatalogitems"); else the
    first API named; else the first linked spec source; else "" (nothing to track).
    """
    if classification.removals:
        return _normalise_subject(classification.removals[0][0])
    if classification.apis:
        return _normalise_subject(classification.apis[0])
    if links:
        return links[0][0]
    return ""


def removal_subjects(classification: Classification) -> list[tuple[str, date]]:
    """(subject key, removal date) for every removal the item announces, not only the first: a "Deprecation
    Reminders" post moves the dates of several APIs and types at once."""
    return list(dict.fromkeys((_normalise_subject(subject), value) for subject, value in classification.removals))


def _normalise_subject(subject: str) -> str:
    name, _, operations = subject.partition(":")
    name = name.strip()
    mention = _API_MENTION.fullmatch(name) or _SNAKE_API.fullmatch(name)
    if _UPPER_SNAKE.fullmatch(name):
        head = name
    elif mention is not None:
        key = api_key(name)
        head = f"{key[0]}@{key[1]}" if key[1] else key[0]
    else:  # not an API name (an eBay api element, a post title): a plain slug
        head = "-".join(re.findall(r"[a-z0-9]+", name.lower()))
    ops = sorted({op.strip().lower() for op in operations.split(",") if op.strip()})
    return f"{head}:{','.join(ops)}" if ops else head
