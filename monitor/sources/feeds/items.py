"""The normalised announcement item, how one is built from raw fields, and how a list of them is deduplicated."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from monitor.sources.feeds.text import html_to_text, normalise_text, one_line

# feedparser reads about 1-2 MB/s (half that when a malformed feed falls back to its loose parser), so 2 MB keeps
# one parse near a second. RSS lists the newest entries first, so a cut keeps the entries that matter.
MAX_FEED_BYTES = 2_000_000
MAX_PAGE_BYTES = 5_000_000
MAX_ITEMS = 1_000
MAX_SUMMARY_CHARS = 20_000
_MAX_KEY_CHARS = 512
_MAX_EXTRA_KEYS = 50
_MAX_EXTRA_CHARS = 2_000


@dataclass(frozen=True)
class FeedItem:
    """One announcement entry, normalised: plain text, UTC time, custom elements as strings."""

    key: str  # stable dedupe key: the entry id, else its link, else "sha256:" of title and summary
    title: str
    link: str | None
    published_at: datetime | None  # timezone-aware UTC
    summary: str  # plain text; lines kept, spaces collapsed, at most MAX_SUMMARY_CHARS
    extra: dict[str, str] = field(default_factory=dict)  # custom elements (eBay `api`, `deprecationDate`...)
    content_hash: str = ""  # changes whenever anything above but the key changes


@dataclass(frozen=True)
class FeedParse:
    """What one feed body yielded: the items, and whether (and why) the body was not a clean feed."""

    items: tuple[FeedItem, ...]
    is_malformed: bool = False
    problem: str | None = None  # one line, for the source's last_error and the logs
    is_truncated: bool = False  # the body was larger than `max_bytes`; only its first entries were read


# -- items ------------------------------------------------------------------------------------------------------------


def make_item(
    title: str,
    summary: str,
    *,
    link: str | None = None,
    published_at: datetime | None = None,
    extra: Mapping[str, str] | None = None,
    entry_id: str | None = None,
    is_html: bool = False,
) -> FeedItem:
    """Build a normalised item (used by the parsers, and by callers that get entries from elsewhere)."""
    title = one_line(html_to_text(title) if is_html else title)[:1000]
    text = html_to_text(summary) if is_html else normalise_text(summary)
    text = text[:MAX_SUMMARY_CHARS]
    extras = {k: _bounded_value(v) for k, v in list((extra or {}).items())[:_MAX_EXTRA_KEYS] if v and v.strip()}
    link = safe_link(link)
    if published_at is not None:
        published_at = published_at.astimezone(UTC) if published_at.tzinfo else published_at.replace(tzinfo=UTC)
    key = _dedupe_key(entry_id, link, title, text)
    return FeedItem(key, title, link, published_at, text, extras, content_hash(title, link, published_at, text, extras))


def _dedupe_key(entry_id: str | None, link: str | None, title: str, summary: str) -> str:
    for candidate in (entry_id, link):
        if candidate and candidate.strip():
            candidate = candidate.strip()
            # A hostile feed can send megabyte ids; a hash keeps the key stable and storable.
            return candidate if len(candidate) <= _MAX_KEY_CHARS else "sha256:" + sha256_hex(candidate)
    return "sha256:" + sha256_hex(title + "\n" + summary)


def content_hash(
    title: str, link: str | None, published_at: datetime | None, summary: str, extra: Mapping[str, str]
) -> str:
    parts = [title, link or "", published_at.isoformat() if published_at else "", summary]
    parts += [f"{k}={v}" for k, v in sorted(extra.items())]
    return sha256_hex("\x1f".join(parts))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def safe_link(link: str | None) -> str | None:
    """Only http(s) links survive: links end up in Slack and on the dashboard, where `javascript:` must not."""
    if not link:
        return None
    link = link.strip()
    scheme = urlsplit(link).scheme.lower() if len(link) <= 4096 else ""
    return link if scheme in ("http", "https") else None


def _bounded_value(value: str) -> str:
    value = html_to_text(value) if "<" in value else normalise_text(value)
    return one_line(value)[:_MAX_EXTRA_CHARS]


def dedupe(items: Iterable[FeedItem]) -> list[FeedItem]:
    """First occurrence of each key wins; a reused key with different content gets a content key instead."""
    seen: dict[str, str] = {}
    out: list[FeedItem] = []
    for item in items:
        if item.key in seen:
            if seen[item.key] == item.content_hash:
                continue
            # Some changelog pages link every entry to the same page; those entries are still distinct.
            item = replace(item, key="sha256:" + sha256_hex(item.title + "\n" + item.summary))
            if item.key in seen:
                continue
        seen[item.key] = item.content_hash
        out.append(item)
    return out
