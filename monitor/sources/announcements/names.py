"""API names, operation ids, types and paths as announcements write them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.sources.feeds import FeedItem

# -- names ------------------------------------------------------------------------------------------------------------

# Names stay on one line: " " and tabs only, never a line break, between their words.
_WORD = r"(?<![\w-])[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_NAME = rf"{_WORD}(?:[ \t]+(?:and[ \t]+|&[ \t]+)?{_WORD})*"
_VERSION = r"v?\d{4}-\d{2}-\d{2}\b|v\d+(?:\.\d+)*\b"
# "Catalog Items API v0", "Catalog Items v0 API", "Fulfillment Inbound v0", "Trading API", "Seller Performance APIs"
_API_MENTION = re.compile(
    rf"(?P<name>{_NAME})[ \t]+(?:(?:APIs?\b)(?:[ \t]+(?:version[ \t]+)?(?P<v1>{_VERSION}))?"
    rf"|(?P<v2>{_VERSION})(?:[ \t]+APIs?\b)?)"
)
# eBay-style model names: sell_account, buy_order_v2, commerce_taxonomy_v1_beta
_SNAKE_API = re.compile(r"\b(?:sell|buy|commerce|developer|post_order)_[a-z]+(?:_[a-z0-9]+)*\b")
# Capitalised words that start a title or sentence, not an API name ("Introducing Walmart Marketplace API").
_LEADING_NOISE = {
    "the", "new", "a", "an", "our", "your", "this", "these", "all", "deprecated", "legacy", "old", "introducing",
    "announcing", "deprecating", "removing", "sunsetting", "update", "updated", "upcoming", "reminder", "important",
}  # fmt: skip
_NAME_STOPWORDS = {"api", "apis", "the", "selling", "partner", "for", "sp", "oas3", "oas", "beta", "model", "json"}
_SUCCESSOR_BEFORE = re.compile(
    r"(?:\bmigrat\w*|\bmov(?:e|ing)|\bswitch(?:ing)?|\bupgrad\w*|\btransition\w*)\s+to\b[^.;\n]{0,80}$"
    r"|\breplaced by\b[^.;\n]{0,40}$|\bin favou?r of\b[^.;\n]{0,40}$|\buse\s+(?:the\s+)?$|\blaunch of\s+(?:the\s+)?$"
    r"|迁移(?:到|至)[^。；\n]{0,40}$|改用[^。；\n]{0,20}$",
    re.IGNORECASE,
)
_UPPER_SNAKE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_CAMEL = re.compile(r"\b(?:[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+|[A-Z][a-z][a-z0-9]*(?:[A-Z][a-z][a-z0-9]*)+)\b")
_PATH = re.compile(
    r"(?:\b(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+)?(?<![\w.:/])(?P<path>/[\w{}.~-]+(?:/[\w{}.~-]*)*)"
)


# -- names ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    name: str  # as written, "Catalog Items API v0"
    key: tuple[str, str | None]  # normalised (name, version)
    start: int
    end: int
    is_successor: bool  # named as what to migrate to


def _api_mentions(text: str) -> list[_Mention]:
    mentions = []
    for match in _API_MENTION.finditer(text):
        words = match["name"].split()
        while words and words[0].lower() in _LEADING_NOISE:
            words.pop(0)
        version = match["v1"] or match["v2"]
        if not words:
            continue
        start = match.start() + match.group(0).find(words[0])
        key = api_key(" ".join(words), version)
        if not key[0]:  # "Selling Partner API": only stopwords
            continue
        mentions.append(_Mention(text[start : match.end()], key, start, match.end(), _is_successor(text, start)))
    for match in _SNAKE_API.finditer(text):
        key = api_key(match.group(0), None)
        mentions.append(_Mention(match.group(0), key, match.start(), match.end(), _is_successor(text, match.start())))
    return sorted(mentions, key=lambda m: m.start)


def _is_successor(text: str, start: int) -> bool:
    return bool(_SUCCESSOR_BEFORE.search(text[max(0, start - 120) : start]))


def api_key(name: str, version: str | None = None) -> tuple[str, str | None]:
    """Normalised (name, version) of an API: case, camelCase, underscores, spacing, "API" and "v" removed.

    `api_key("Catalog Items API", "v0") == api_key("catalogItemsV0") == ("catalogitems", "0")`;
    `api_key("orders_2026-01-01") == ("orders", "2026-01-01")`; "v1.14.0" and "v1_beta.3.1" become "1".
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    tokens = [t for t in re.split(r"[\s_/]+|(?<![0-9])-|-(?![0-9])", spaced.lower()) if t]
    found_version = None
    words = []
    for token in tokens:
        if re.fullmatch(r"v?\d{4}-\d{2}-\d{2}|v\d+(?:[._].*)?", token):
            found_version = found_version or token
        elif token not in _NAME_STOPWORDS:
            words.append(re.sub(r"[^a-z0-9]", "", token))
    return "".join(words), _normalise_version(version or found_version)


def _normalise_version(version: str | None) -> str | None:
    if not version:
        return None
    version = version.strip().lower().removeprefix("version").strip().removeprefix("v")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        return version
    major = re.match(r"\d+", version)
    return major.group(0) if major else version or None


def _apis(mentions: list[_Mention], item: FeedItem) -> list[str]:
    names = [item.extra["api"]] if item.extra.get("api") else []
    names += [m.strip() for m in item.extra.get("methods", "").split(",") if m.strip() and "(" not in m]
    seen = {api_key(n) for n in names}
    # An API counts as a subject unless every mention of it is as a migration target.
    subjects = {m.key for m in mentions if not m.is_successor}
    for mention in mentions:
        if mention.key in subjects and mention.key not in seen:
            seen.add(mention.key)
            names.append(mention.name)
    return names


def _identifiers(text: str, item: FeedItem) -> list[str]:
    found = [m.group(0) for m in _UPPER_SNAKE.finditer(text)]
    found += [m.group(0) for m in _CAMEL.finditer(text) if not _is_successor(text, m.start())]
    return [name for name in _unique(found) if name not in item.extra]  # "deprecationDate: ..." names no operation


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
