"""Documented rate limits: read an operation's usage plan (rate per second, burst) from its spec text.

Two places carry a limit in the specs we watch:

* **Amazon's usage-plan table** in the operation's `description` (every SP-API model). Every variant in the corpus:
  `| Rate (requests per second) | Burst |` then `| ---- | ---- |` then `| 0.0167 | 20 |`; figures written `.1`,
  `0.0167`, `2.0`; rows with and without spaces around the bars; tables with a `Plan type` column that list
  `|Default| 0.5 | 30 |` beside `|Selling partner specific| Variable | Variable |` (the default plan is the
  documented one); descriptions whose newlines were published as the two characters `\\n`; and placeholders
  (`| n | n |`), which document no figure.
* **Vendor extensions** on the operation object, for specs that state a limit as data. No spec in the corpus carries
  one (checked: the only `x-ratelimit-*` names there are response headers); we read the forms in use elsewhere:
  `x-rate-limit` / `x-ratelimit` / `x-amzn-api-rate-limit` as `{rate: 0.5, burst: 30}` (per second) or
  `{limit: 100, period|per|interval: minute}`, and `x-ratelimit-limit` / `x-ratelimit-burst` as plain numbers.

Figures are numbers (requests per second, burst as an integer): `.5` and `0.50` are the same limit.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import orjson

__all__ = [
    "PERIODS",
    "Need",
    "RateLimit",
    "documented_limit",
    "format_count",
    "format_rate",
    "parse_need",
    "parse_rate",
    "per_day",
]

# seconds per period word, for needs (`20000/day`) and extensions (`{limit: 100, per: minute}`)
PERIODS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip

_HEADER = re.compile(r"^\|(?P<cells>.*\bRate\s*\(requests per second\).*)\|\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_EXTENSIONS = ("x-rate-limit", "x-ratelimit", "x-amzn-api-rate-limit")
_READ = (*_EXTENSIONS, "x-ratelimit-limit", "x-ratelimit-burst", "description")  # what documented_limit reads


class RateLimit(NamedTuple):
    """One operation's documented limit. `rate` in requests per second; either figure may be undocumented."""

    rate: float | None
    burst: int | None
    source: str  # "usage-plan" (the description's table) or the extension's name


def limit_text(operation: dict[str, Any]) -> bytes | None:
    """All that `documented_limit` reads of an operation object, as JSON: equal texts document equal limits.

    JSON tells `true` from `1`, which `==` does not (and the limit does); None when a value cannot be written.
    """
    try:
        return orjson.dumps([operation.get(key) for key in _READ])
    except TypeError:
        return None


def documented_limit(operation: dict[str, Any]) -> RateLimit | None:
    """The limit an operation object documents, or None.

    Usage: `documented_limit(spec["paths"]["/orders/v0/orders"]["get"])`
    """
    for key in _EXTENSIONS:
        found = _from_extension(operation.get(key), key)
        if found is not None:
            return found
    plain = _number(operation.get("x-ratelimit-limit"))
    if plain is not None:
        return RateLimit(plain, _int(operation.get("x-ratelimit-burst")), "x-ratelimit-limit")
    description = operation.get("description")
    if isinstance(description, str) and "requests per second" in description:
        return _from_table(description)
    return None


def _from_table(text: str) -> RateLimit | None:
    if "\\n" in text and "\n" not in text:  # a description published with escaped newlines
        text = text.replace("\\n", "\n")
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        header = _HEADER.match(line)
        if header is None:
            continue
        names = [c.strip().lower() for c in header.group("cells").split("|")]
        # the header regex found the rate column, whatever precedes `Rate` in it (`Max Rate (requests per second)`)
        rate_at = next(j for j, n in enumerate(names) if "requests per second" in n)
        burst_at = next((j for j, n in enumerate(names) if n.startswith("burst")), None)
        plan_at = next((j for j, n in enumerate(names) if "plan" in n), None)
        rows = []
        for row in lines[i + 1 :]:
            if _SEPARATOR.match(row):
                continue
            if not row.startswith("|"):
                break
            rows.append([c.strip() for c in row.strip("|").split("|")])
        if plan_at is not None:  # several plans: the default one is what every caller gets
            rows = [r for r in rows if len(r) > plan_at and r[plan_at].lower() == "default"] or rows[:1]
        for cells in rows[:1]:
            rate_text = cells[rate_at] if rate_at < len(cells) else None
            burst_text = cells[burst_at] if burst_at is not None and burst_at < len(cells) else None
            rate = _number(rate_text)
            burst = _int(burst_text)
            if rate is None and burst is None:
                return None  # `Variable`, `n`: a table without figures documents no limit
            return RateLimit(rate, burst, "usage-plan")
    return None


def _from_extension(value: Any, key: str) -> RateLimit | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        rate = _number(value)
        return RateLimit(rate, None, key) if rate is not None else None
    if not isinstance(value, dict):
        return None
    rate = _number(value.get("rate"))
    if rate is None:
        limit = _number(value.get("limit", value.get("requests")))
        period = value.get("period", value.get("per", value.get("interval", "second")))
        seconds = PERIODS.get(str(period).strip().lower()) if period is not None else None
        if limit is not None and seconds:
            rate = limit / seconds
    burst = _int(value.get("burst"))
    if rate is None and burst is None:
        return None
    return RateLimit(rate, burst, key)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        if not _NUMBER.match(text):
            return None
        number = float(text)
    return number if math.isfinite(number) and number >= 0 else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) and number < 1e12 else None


def parse_rate(text: str) -> float | None:
    """`0.5/s`, `2/min`, `20000/day`, `0.5` (per second) -> requests per second; None when not a rate."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*([a-zA-Z]+))?\s*", text)
    if match is None:
        return None
    seconds = PERIODS.get((match.group(2) or "s").lower())
    if seconds is None:
        return None
    return float(match.group(1)) / seconds


def per_day(rate: float) -> int:
    """Calls a day at `rate` requests per second (86,400 seconds), rounded: 0.0167/s -> 1,443."""
    return round(rate * 86400)


def format_rate(rate: float) -> str:
    """A rate as people write it: 1, 0.5, 0.0167 (no float noise, no trailing zeros)."""
    return f"{rate:.6g}" if rate < 1e6 else f"{rate:,.0f}"


def format_count(count: float) -> str:
    return f"{round(count):,}"


NEED_KEYS = {"rate": None, "per_second": 1, "per_minute": 60, "per_hour": 3600, "per_day": 86400}


class Need(NamedTuple):
    """What a consumer needs of one operation: a sustained rate (requests per second) and/or a burst."""

    rate: float | None
    burst: int | None
    text: str  # as declared (`0.5/s`, `20000/day`), for messages

    def to_json(self) -> dict[str, Any]:
        return {"rate": self.rate, "burst": self.burst, "text": self.text}

    def shortfall(self, limit: RateLimit | None, *, rate: bool = True, burst: bool = True) -> str | None:
        """Why `limit` does not meet this need, in words; None when it does (or says nothing we can compare)."""
        if limit is None:
            return None
        parts = []
        if rate and self.rate is not None and limit.rate is not None and limit.rate < self.rate:
            parts.append(
                f"needs {format_rate(self.rate)} requests per second ({format_count(per_day(self.rate))} calls a day), "
                f"{format_count(per_day(self.rate) - per_day(limit.rate))} calls a day more than "
                f"{format_rate(limit.rate)} allows"
            )
        if burst and self.burst is not None and limit.burst is not None and limit.burst < self.burst:
            parts.append(f"needs a burst of {self.burst}, {self.burst - limit.burst} more than {limit.burst}")
        return "; ".join(parts) or None


def parse_need(entry: dict[str, Any]) -> Need | None:
    """The need in a usage entry (`rate: 0.5/s`, `burst: 10`, `per_day: 20000`, ...); None when it has none.

    Raises ValueError with a one-line reason for a figure that is not a positive number.
    """
    rates: list[tuple[float, str]] = []
    for key, seconds in NEED_KEYS.items():
        if key not in entry:
            continue
        value = entry[key]
        if seconds is None:
            rate = parse_rate(str(value)) if not isinstance(value, bool) else None
            text = str(value) if "/" in str(value) else f"{value}/s"
        else:
            count = _number(value)
            rate = count / seconds if count is not None else None
            text = f"{value}/{key.removeprefix('per_')}"
        if rate is None or rate <= 0:
            raise ValueError(f"`{key}: {value}` is not a positive rate (e.g. `rate: 0.5/s`, `per_day: 20000`)")
        rates.append((rate, text))
    burst = None
    if "burst" in entry:
        burst = _int(entry["burst"])
        if burst is None or burst <= 0:
            raise ValueError(f"`burst: {entry['burst']}` is not a positive whole number")
    if not rates and burst is None:
        return None
    rate, text = max(rates) if rates else (None, "")
    if burst is not None:
        text = f"{text}, burst {burst}" if text else f"burst {burst}"
    return Need(rate, burst, text)
