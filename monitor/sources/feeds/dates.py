"""Calendar dates written in announcement text (English and Chinese forms), API version strings excluded."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
# "March 31, 2025", "Mar. 31 2025", "September 30th, 2026"
_MDY = re.compile(rf"\b(?P<mon>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORD},?\s+(?P<year>\d{{4}})\b", re.IGNORECASE)
# "31 March 2025", "3rd April 2023", "31-March-2022" (the SP-API versions table)
_DMY = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORD}(?:\s+|-)(?:of\s+)?(?P<mon>{_MONTH})\.?,?(?:\s+|-)(?P<year>\d{{4}})\b", re.IGNORECASE
)
# 2025-03-31 (also in 2025-03-31T10:00:00) and eBay's 2025/03/31, not inside paths, model names or decimals. ASCII
# classes, not \w: Python's \w matches Chinese, and 于2024/06/15 or 2024-08-01起 are dates.
_ISO = re.compile(
    r"(?<![A-Za-z0-9_./-])(?P<year>\d{4})(?P<sep>[-/])(?P<mon>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?!(?!T\d)[A-Za-z0-9_/-]|\.\d)"
)
_CJK = re.compile(r"(?P<year>\d{4})\s*年\s*(?P<mon>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]")
# API versions look like dates: "Orders API v2026-01-01", "payload version 2023-12-13", "Reports API 2020-09-04".
_VERSION_BEFORE = re.compile(r"(?:\bv|\bversion\s*|\bapis?\s+|_)$", re.IGNORECASE)
_VERSION_AFTER = re.compile(r"^\s*(?:apis?|version)\b", re.IGNORECASE)


def find_dates(text: str) -> list[tuple[int, int, date]]:
    """Calendar dates written in `text`, as (start, end, date) in reading order; API version strings are skipped.

    Formats: "March 31, 2025", "31 March 2025", "31-March-2022", 2025-03-31, 2025/03/31, 2025年3月31日. Relative
    phrases ("in 90 days") and numeric day/month orders (03/31/2025) are out of scope: they are ambiguous.
    """
    found: list[tuple[int, int, date]] = []
    for pattern in (_MDY, _DMY, _ISO, _CJK):
        for match in pattern.finditer(text):
            if pattern is _ISO and _looks_like_version(text, match.start(), match.end()):
                continue
            value = _to_date(match["year"], match["mon"], match["day"])
            if value is not None:
                found.append((match.start(), match.end(), value))
    found.sort()
    # The formats never overlap in practice, but a hostile text could make two of them claim the same characters.
    kept: list[tuple[int, int, date]] = []
    for start, end, value in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, value))
    return kept


def _looks_like_version(text: str, start: int, end: int) -> bool:
    return bool(_VERSION_BEFORE.search(text[max(0, start - 12) : start]) or _VERSION_AFTER.match(text[end : end + 12]))


def _to_date(year: str, month: str, day: str) -> date | None:
    month_number = int(month) if month.isdigit() else _MONTHS[month.lower()]
    try:
        value = date(int(year), month_number, int(day))
    except ValueError:
        return None
    return value if 1990 <= value.year <= 2100 else None
