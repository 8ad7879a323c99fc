"""Path templating: concrete request paths -> `/orders/v0/orders/{orderId}`, and matching paths to templates.

A segment becomes a parameter when it clearly is an identifier (a UUID, an Amazon order number such as
`902-3159896-1390916`, an ASIN, a long hex string, a number) or when several different identifier-like values (with a
digit, say `SKU-1042`) sit at the same place under the same parent. Words stay words: `/api/v2/order/get_order_detail`
(Shopee) and `/orders/get` (Lazada) are one operation each, and versions (`v0`, `2021-08-01`) are never parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AMAZON_ORDER = re.compile(r"^\d{3}-\d{7}-\d{7}$")
_ASIN = re.compile(r"^B0[0-9A-Z]{8}$")
_HEX = re.compile(r"^[0-9a-fA-F]{16,}$")
_NUMBER = re.compile(r"^\d+$")
# API versions: `v2`, `2021-08-01` (Amazon), `202309` (TikTok Shop's year and month)
_VERSION = re.compile(r"^(v\d+(\.\d+)*|\d{4}-\d{2}-\d{2}|20\d{2}(0[1-9]|1[0-2]))$", re.IGNORECASE)
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~:@!$*+=-]*$")


def is_identifier(segment: str) -> bool:
    """A segment that is an identifier on its own, whatever else is seen."""
    if _VERSION.match(segment):
        return False
    return bool(_UUID.match(segment) or _AMAZON_ORDER.match(segment) or _ASIN.match(segment)
                or _HEX.match(segment) or _NUMBER.match(segment))  # fmt: skip


def looks_like_identifier(segment: str) -> bool:
    """A segment that is an identifier when the traffic shows several values at its place (`SKU-1042`, `A2EXAMPLE1`)."""
    if _VERSION.match(segment) or not _TOKEN.match(segment):
        return False
    has_digit = any(c.isdigit() for c in segment)
    return has_digit or (len(segment) >= 12 and segment.upper() == segment)


def parameter_name(previous: str | None, values: Iterable[str], taken: set[str]) -> str:
    """`orders/{orderId}`, `items/{asin}`, else `{id}`; unique within one template."""
    values = list(values)
    if values and all(_ASIN.match(v) for v in values):
        base = "asin"
    elif previous and re.fullmatch(r"[A-Za-z][A-Za-z_-]*", previous):
        word = previous.replace("-", "_")
        word = word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") and len(word) > 3 else word
        parts = word.split("_")
        base = parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:]) + "Id"
    else:
        base = "id"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def template_paths(paths: Iterable[str]) -> dict[str, str]:
    """Each distinct concrete path -> its template."""
    split = {p: [s for s in p.split("/") if s != ""] for p in set(paths)}
    result: dict[str, str] = {}
    by_length: dict[int, list[str]] = {}
    for path, segments in split.items():
        by_length.setdefault(len(segments), []).append(path)
    for group in by_length.values():
        _template_group([(p, split[p]) for p in group], 0, [], set(), result)
    return result


def _template_group(group: list[tuple[str, list[str]]], pos: int, prefix: list[str], taken: set[str],
                    result: dict[str, str]) -> None:  # fmt: skip
    if not group:
        return
    if pos >= len(group[0][1]):
        for path, _ in group:
            result[path] = "/" + "/".join(prefix) if prefix else "/"
        return
    values = {segments[pos] for _, segments in group}
    maybe = {v for v in values if not is_identifier(v) and looks_like_identifier(v)}
    templated = {v for v in values if is_identifier(v)} | (maybe if len(maybe) >= 2 else set())
    branches: dict[str, list[tuple[str, list[str]]]] = {}
    for path, segments in group:
        value = segments[pos]
        branches.setdefault("\0param" if value in templated else value, []).append((path, segments))
    for key, members in branches.items():
        if key == "\0param":
            previous = prefix[-1] if prefix and not prefix[-1].startswith("{") else None
            names = set(taken)
            name = parameter_name(previous, {m[1][pos] for m in members}, names)
            _template_group(members, pos + 1, [*prefix, "{" + name + "}"], names, result)
        else:
            _template_group(members, pos + 1, [*prefix, key], taken, result)


def template_of(path: str) -> str:
    """One path on its own (no other samples): only clear identifiers become parameters."""
    return template_paths([path])[path]


_WORD = re.compile(r"^[A-Za-z_][A-Za-z_.-]{0,39}$")


def generalised(path: str) -> str:
    """A path of an operation the contract does not know, fit to be stored: every segment that is not a plain word
    or a version becomes a parameter, so no id, e-mail address or token in a path reaches a change record."""
    parts: list[str] = []
    taken: set[str] = set()
    for segment in path.split("/"):
        if not segment:
            continue
        if _WORD.match(segment) or _VERSION.match(segment):
            parts.append(segment)
        else:
            previous = parts[-1] if parts and not parts[-1].startswith("{") else None
            parts.append("{" + parameter_name(previous, [segment] if _ASIN.match(segment) else [], taken) + "}")
    return "/" + "/".join(parts)


class PathMatcher:
    """Finds the template of a concrete path among a spec's paths: literal segments before parameters."""

    def __init__(self, templates: Iterable[str], base_path: str = "") -> None:
        base = base_path.rstrip("/")
        compiled = []
        for template in templates:
            full = base + template
            pattern = "".join(
                "[^/]+" if part.startswith("{") and part.endswith("}") else re.escape(part)
                for part in re.split(r"(\{[^}/]*\})", full)
                if part
            )
            literal = len(re.sub(r"\{[^}/]*\}", "", full))
            compiled.append((-literal, template, re.compile("^" + pattern + "/?$")))
        compiled.sort(key=lambda item: (item[0], item[1]))
        self._compiled = [(template, regex) for _, template, regex in compiled]

    def match(self, path: str) -> str | None:
        for template, regex in self._compiled:
            if regex.match(path):
                return template
        return None
