"""Rate-limit figures from response headers: Amazon's `x-amzn-RateLimit-Limit` and the common standard forms.

* `x-amzn-RateLimit-Limit: 0.1` - Amazon SP-API: the rate (requests per second) of the usage plan applied to the call
  (developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits: "the x-amzn-RateLimit-Limit response header
  returns the usage plan rate limits that were applied to the requested operation, when available").
* `RateLimit-Policy: 100;w=60` / `RateLimit-Limit` with a window (draft-ietf-httpapi-ratelimit-headers: quota `q`
  requests per window `w` seconds; the newer drafts write `"name";q=100;w=60`).
* `RateLimit: limit=100, remaining=50, reset=30` (draft 03+ in one field) - the limit without a window is not a rate.
* `X-RateLimit-Limit: 5000` (GitHub, eBay, Shopify...) - a quota whose window the header does not say; kept as text
  and as a figure only when a `X-RateLimit-Window`/`-Interval` header (seconds) gives the window.

Each parsed header keeps its raw value (bounded) so `monitor limits` can show what was actually seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_VALUE = 200  # characters of a header value we keep: headers are hostile input
NAMES = (
    "x-amzn-ratelimit-limit", "ratelimit-policy", "ratelimit", "ratelimit-limit", "x-ratelimit-limit",
    "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after",
)  # fmt: skip
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"


@dataclass(frozen=True, slots=True)
class HeaderLimit:
    """What one response said about its limit: the rate (requests per second) when the headers give one."""

    rate: float | None
    header: str  # the header the rate came from (or the first rate-limit header seen)
    value: str  # its raw value, bounded


def rate_limit_headers(headers: Mapping[str, str | list[str]]) -> dict[str, str]:
    """The rate-limit headers of a response, lower-cased names, first value each, bounded."""
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low in NAMES or low.startswith("x-ratelimit-"):
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, str):
                out[low] = first.strip()[:MAX_VALUE]
    return out


def parse_limit(headers: Mapping[str, str]) -> HeaderLimit | None:
    """The rate the headers document, most specific first; None when no rate-limit header is present."""
    if not headers:
        return None
    amzn = headers.get("x-amzn-ratelimit-limit")
    if amzn is not None:
        match = re.fullmatch(_NUMBER, amzn.strip())
        return HeaderLimit(float(match.group(1)) if match else None, "x-amzn-ratelimit-limit", amzn)
    for name in ("ratelimit-policy", "ratelimit-limit", "ratelimit"):
        value = headers.get(name)
        if value is None:
            continue
        rate = _policy_rate(value)
        if rate is not None:
            return HeaderLimit(rate, name, value)
    value = headers.get("x-ratelimit-limit")
    if value is not None:
        window = headers.get("x-ratelimit-window") or headers.get("x-ratelimit-interval")
        quota = re.fullmatch(_NUMBER, value.strip())
        seconds = re.fullmatch(_NUMBER, window.strip()) if window else None
        if quota and seconds and float(seconds.group(1)) > 0:
            return HeaderLimit(float(quota.group(1)) / float(seconds.group(1)), "x-ratelimit-limit", value)
        return HeaderLimit(None, "x-ratelimit-limit", value)
    name = next(iter(headers))
    return HeaderLimit(None, name, headers[name])


def _policy_rate(value: str) -> float | None:
    """`100;w=60`, `"default";q=100;w=60`, `limit=100, window=60` -> requests per second; the first policy wins."""
    first = value.split(",")[0] if "w=" in value.split(",")[0] else value
    quota = re.search(r"(?:^|[;\s])q=" + _NUMBER, first) or re.match(r"\s*" + _NUMBER + r"\s*(?:;|$)", first)
    window = re.search(r"(?:^|[;\s,])(?:w|window)=" + _NUMBER, first)
    if quota is None:
        quota = re.search(r"(?:^|[;\s,])limit=" + _NUMBER, first)
    if quota is None or window is None or float(window.group(1)) <= 0:
        return None
    return float(quota.group(1)) / float(window.group(1))
