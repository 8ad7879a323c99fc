"""Rate limits read from announcements classified `rate-limit`: the new figure and the operations it applies to.

"We increased the rate limit of getItemOffers to 5 requests per second with a burst of 10" gives getItemOffers:
5/s, burst 10. Each line (a changelog bullet) is read on its own; operations are the operationIds it names
(lowerCamelCase, as Amazon writes them). A line that names operations and a change of their limit without a figure
("the throttle rate for calls to these operations has decreased. listCatalogItems, getCatalogItem", a real Amazon
reminder) is kept too, with no rate: it says a limit moved, not to what.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from monitor.engine.limits import PERIODS

MAX_TEXT = 20_000  # characters of an announcement read: feeds are hostile input
MAX_LINE = 2_000  # and of one line
_RATE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?|\.\d+)\s*(?:requests?|calls?|req)\s*(?:per|/|an?)\s*(second|sec|minute|min|hour|day)\b",
    re.I,
)
_RATE_CN = re.compile(r"每(秒|分钟|小时|天)\s*(?<![\d.])(\d+(?:\.\d+)?)\s*次")
_BURST = re.compile(r"\bburst(?:\s+(?:rate|size|limit))?\s*(?:of|:|=|to|is)?\s*(\d+)\b", re.I)
_LIMIT_WORDS = re.compile(r"rate[- ]limit|throttl|usage plan|requests? per|burst|限流|限速|调用频率", re.I)
_OPERATION = re.compile(r"\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+\b")
_CN_PERIOD = {"秒": 1, "分钟": 60, "小时": 3600, "天": 86400}


@dataclass(frozen=True, slots=True)
class AnnouncedFigure:
    operation: str
    rate: float | None  # requests per second
    burst: int | None
    text: str  # the line it came from (bounded)


def extract_limits(text: str) -> list[AnnouncedFigure]:
    """Every (operation, rate, burst) an announcement's text gives, in reading order, one per operation."""
    found: dict[str, AnnouncedFigure] = {}
    lines = [line.strip()[:MAX_LINE] for line in text[:MAX_TEXT].splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if not _LIMIT_WORDS.search(line):
            continue
        rate = _rate(line)
        burst_match = _BURST.search(line)
        burst = int(burst_match.group(1)) if burst_match else None
        operations = _OPERATION.findall(line)
        if not operations and i + 1 < len(lines) and rate is None:  # "...has decreased.\nlistCatalogItems, ..."
            operations = _OPERATION.findall(lines[i + 1])
        for name in operations:
            known = found.get(name)
            if known is None or (known.rate is None and known.burst is None and (rate, burst) != (None, None)):
                found[name] = AnnouncedFigure(name, rate, burst, line[:500])  # a figure beats a mention without one
    return list(found.values())


def _rate(line: str) -> float | None:
    rate = None
    match = _RATE.search(line)
    cn = None if match else _RATE_CN.search(line)
    if match:
        rate = float(match.group(1)) / PERIODS[match.group(2).lower()]
    elif cn:
        rate = float(cn.group(2)) / _CN_PERIOD[cn.group(1)]
    return rate if rate is not None and math.isfinite(rate) else None
