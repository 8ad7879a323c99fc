"""Turn fetched announcement bytes (RSS/Atom feeds, changelog pages) into deduplicated plain-text items.

Usage:

    parsed = parse_feed(body, source="amazon-sp-api/changelog")
    items = filter_items(parsed.items, ignore_text=[], trigger_text=["deprecat", "/remov(ed|al)/"])

Everything here is pure: bytes in, values out, no network and no database. Bytes come from the internet, so every
function is bounded (input size, item count, text length) and reports bad input as data (`FeedParse.problem`)
instead of raising.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import xml.parsers.expat
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]  # ships no type information
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "MAX_FEED_BYTES",
    "MAX_ITEMS",
    "MAX_SUMMARY_CHARS",
    "FeedItem",
    "FeedParse",
    "compile_text_filter",
    "filter_items",
    "find_dates",
    "html_to_text",
    "make_item",
    "parse_feed",
    "parse_page",
]

# feedparser reads about 1-2 MB/s (half that when a malformed feed falls back to its loose parser), so 2 MB keeps
# one parse near a second. RSS lists the newest entries first, so a cut keeps the entries that matter.
MAX_FEED_BYTES = 2_000_000
MAX_PAGE_BYTES = 5_000_000
MAX_ITEMS = 1_000
MAX_SUMMARY_CHARS = 20_000
# HTML beyond this is not even handed to the HTML parser: a summary keeps 20k characters of text anyway.
_MAX_HTML_CHARS = 200_000
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
    title = _one_line(html_to_text(title) if is_html else title)[:1000]
    text = html_to_text(summary) if is_html else normalise_text(summary)
    text = text[:MAX_SUMMARY_CHARS]
    extras = {k: _bounded_value(v) for k, v in list((extra or {}).items())[:_MAX_EXTRA_KEYS] if v and v.strip()}
    link = _safe_link(link)
    if published_at is not None:
        published_at = published_at.astimezone(UTC) if published_at.tzinfo else published_at.replace(tzinfo=UTC)
    key = _dedupe_key(entry_id, link, title, text)
    return FeedItem(
        key, title, link, published_at, text, extras, _content_hash(title, link, published_at, text, extras)
    )


def _dedupe_key(entry_id: str | None, link: str | None, title: str, summary: str) -> str:
    for candidate in (entry_id, link):
        if candidate and candidate.strip():
            candidate = candidate.strip()
            # A hostile feed can send megabyte ids; a hash keeps the key stable and storable.
            return candidate if len(candidate) <= _MAX_KEY_CHARS else "sha256:" + _sha256(candidate)
    return "sha256:" + _sha256(title + "\n" + summary)


def _content_hash(
    title: str, link: str | None, published_at: datetime | None, summary: str, extra: Mapping[str, str]
) -> str:
    parts = [title, link or "", published_at.isoformat() if published_at else "", summary]
    parts += [f"{k}={v}" for k, v in sorted(extra.items())]
    return _sha256("\x1f".join(parts))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _safe_link(link: str | None) -> str | None:
    """Only http(s) links survive: links end up in Slack and on the dashboard, where `javascript:` must not."""
    if not link:
        return None
    link = link.strip()
    scheme = urlsplit(link).scheme.lower() if len(link) <= 4096 else ""
    return link if scheme in ("http", "https") else None


def _bounded_value(value: str) -> str:
    value = html_to_text(value) if "<" in value else normalise_text(value)
    return _one_line(value)[:_MAX_EXTRA_CHARS]


def _dedupe(items: Iterable[FeedItem]) -> list[FeedItem]:
    """First occurrence of each key wins; a reused key with different content gets a content key instead."""
    seen: dict[str, str] = {}
    out: list[FeedItem] = []
    for item in items:
        if item.key in seen:
            if seen[item.key] == item.content_hash:
                continue
            # Some changelog pages link every entry to the same page; those entries are still distinct.
            item = replace(item, key="sha256:" + _sha256(item.title + "\n" + item.summary))
            if item.key in seen:
                continue
        seen[item.key] = item.content_hash
        out.append(item)
    return out


# -- text -------------------------------------------------------------------------------------------------------------

_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|div|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|blockquote|pre|dd|dt|dl)\b|br\b)[^>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment; block elements become line breaks so lines (and ignore_text) still work."""
    markup = markup[:_MAX_HTML_CHARS]
    if "<" not in markup and "&" not in markup:
        return normalise_text(markup)
    markup = _BLOCK_TAG.sub(lambda m: "\n" + m.group(0), markup)
    tree = LexborHTMLParser(markup)
    tree.strip_tags(["script", "style", "noscript", "template"])
    body = tree.body
    text = body.text(separator="", strip=False) if body is not None else ""
    return normalise_text(text)


def normalise_text(text: str) -> str:
    """Collapse runs of spaces inside lines and runs of blank lines; keep single line breaks (lines carry meaning)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", text).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- dates ------------------------------------------------------------------------------------------------------------

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


# -- feeds ------------------------------------------------------------------------------------------------------------


def parse_feed(data: bytes, *, source: str, max_bytes: int = MAX_FEED_BYTES, max_items: int = MAX_ITEMS) -> FeedParse:
    """Parse an RSS or Atom body; never raises for bad bytes.

    Usage: `parsed = parse_feed(response.body, source="ebay/api-deprecation")`

    **Parameters:**
    * **data** - the fetched body. feedparser gets it wrapped in a stream: handed a bare string or bytes it would
      try them as a URL or a file name.
    * **source** - names the feed in `problem`; when it is the feed's http(s) URL, relative entry links are made
      absolute against it.
    * **max_bytes** - a larger body is cut after its last complete entry below this size (`is_truncated`).
    * **max_items** - entries beyond this are dropped (the newest come first in real feeds).

    A malformed feed keeps its complete entries and is flagged; an entry cut off by the malformation is dropped,
    because its fields are incomplete and its key would change once the feed is repaired. A well-formed feed
    without entries is fine. A body that is not a feed at all (HTML, JSON, garbage, empty) gives no items,
    `is_malformed` and a one-line `problem`.
    """
    if not data.strip():
        return FeedParse((), True, f"{source}: empty body, not a feed")
    is_truncated = len(data) > max_bytes
    if is_truncated:
        data = _close_after_last_entry(data[:max_bytes]) or data[:max_bytes]
    try:
        data, repair = _bounded_for_loose_parser(data)
        parsed = feedparser.parse(
            io.BytesIO(data), resolve_relative_uris=False, sanitize_html=False, response_headers={}
        )
        text = _decoded(data, parsed.get("encoding"))
        return _feed_result(parsed, text, source, repair, is_truncated, max_items, max_bytes)
    except Exception as exc:  # internet bytes must never crash a poll: any parser failure becomes the problem
        return FeedParse((), True, f"{source}: feed parser failed: {type(exc).__name__}: {_one_line(str(exc))[:200]}")


# feedparser re-reads a malformed body with its pure-Python loose parser, whose cost grows with the number of tags
# (about 75,000 tags a second here); past this many, a malformed body is first cut down (see below).
MAX_LOOSE_TAGS = 100_000


def _bounded_for_loose_parser(data: bytes) -> tuple[bytes, str | None]:
    """Keep the loose parser's work bounded: a malformed body with too many tags is cut before the loose parser sees it.

    The cut keeps every complete entry before the XML error (closing the document so the fast strict parser reads
    them); when there is none, only the first MAX_LOOSE_TAGS tags go on. Returns the bytes and what was done.
    """
    if data.count(b"<") <= MAX_LOOSE_TAGS:
        return data, None
    error = _xml_error(data)
    if error is None:
        return data, None
    offset, message = error
    limit = min(offset, _nth_tag_offset(data, MAX_LOOSE_TAGS))
    closed = _close_after_last_entry(data[:limit])
    if closed is not None and _xml_error(closed) is None:
        return closed, f"{message}; read only the entries before it"
    return data[:limit], f"{message}; read only the first {limit} bytes"


def _xml_error(data: bytes) -> tuple[int, str] | None:
    """(byte offset, description) of the first well-formedness error, by expat without any handler (fast, C)."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        where = parser.ErrorByteIndex if parser.ErrorByteIndex >= 0 else len(data)
        return where, f"line {exc.lineno}, column {exc.offset}: {xml.parsers.expat.ErrorString(exc.code)}"
    return None


def _nth_tag_offset(data: bytes, n: int) -> int:
    position = -1
    for _ in range(n):
        position = data.find(b"<", position + 1)
        if position < 0:
            return len(data)
    return position


def _feed_result(
    parsed: Any, text: str, source: str, repair: str | None, is_truncated: bool, max_items: int, max_bytes: int
) -> FeedParse:
    entries = list(parsed.get("entries") or [])
    version = parsed.get("version") or ""
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    is_xml_error = isinstance(exc, xml.sax.SAXException)
    if not version and not entries:
        what = "an HTML page" if _looks_like_html(text) else "not RSS or Atom"
        detail = f" ({_describe(exc)})" if exc is not None else ""
        return FeedParse((), True, f"{source}: not a feed: {what}{detail}")
    dropped = 0
    if is_xml_error:
        complete = len(_CLOSING_ENTRY.findall(text))
        dropped = max(0, len(entries) - complete)
        entries = entries[:complete]
    chunks = _raw_entries(text)
    # Custom elements come from the raw entry text when it lines up with feedparser's entries (it keeps the
    # original element names and every repeated child); otherwise from feedparser's lower-cased keys.
    raw_chunks: list[str | None] = list(chunks[: len(entries)]) if len(chunks) >= len(entries) else []
    raw_chunks += [None] * (len(entries) - len(raw_chunks))
    items = _dedupe(_entry_item(e, raw, source) for e, raw in zip(entries[:max_items], raw_chunks, strict=False))
    problems = []
    if repair is not None:
        problems.append(f"not well-formed XML ({repair}); kept {_count(len(items), 'complete entry')}")
    elif is_xml_error:
        problems.append(f"not well-formed XML ({_describe(exc)}); kept {_count(len(items), 'complete entry')}")
        if dropped:
            problems[-1] += f", dropped {_count(dropped, 'cut-off entry')}"
    elif exc is not None:
        problems.append(_describe(exc))
    if is_truncated:
        problems.append(f"body over {max_bytes} bytes: read only the entries in the first {max_bytes}")
    if len(entries) > max_items:
        problems.append(f"{len(entries)} entries: kept the first {max_items}")
    problem = f"{source}: " + "; ".join(problems) if problems else None
    return FeedParse(tuple(items), is_xml_error or repair is not None, problem, is_truncated)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return _one_line(f"{type(exc).__name__}: {exc}")[:200]


def _decoded(data: bytes, encoding: str | None) -> str:
    try:
        return data.decode(encoding or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


_CLOSING_ENTRY = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_OPENING_ENTRY = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)\b[^>]*>", re.IGNORECASE)


def _raw_entries(text: str) -> list[str]:
    """The raw text of each complete entry, pairing every opening tag with the next closing one.

    Two linear scans instead of one lazy `<item>.*?</item>` regex, which rescans to the end of the body for every
    opening tag that is never closed (quadratic on a hostile body).
    """
    closes = [m.end() for m in _CLOSING_ENTRY.finditer(text)]
    chunks = []
    next_close = 0
    for opening in _OPENING_ENTRY.finditer(text):
        while next_close < len(closes) and closes[next_close] <= opening.end():
            next_close += 1
        if next_close == len(closes):
            break
        chunks.append(text[opening.start() : closes[next_close]])
        next_close += 1
    return chunks


def _close_after_last_entry(data: bytes) -> bytes | None:
    """Cut a body after its last complete entry and close the document, so the strict parser reads it; None if
    no entry is complete. A cut-off document would otherwise go to feedparser's loose parser, several times slower.
    """
    ends = list(re.finditer(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", data, re.IGNORECASE))
    if not ends:
        return None
    head = data[: ends[-1].end()]
    if re.search(rb"<(?:[\w.-]+:)?feed\b", data[:4096]):
        return head + b"</feed>"
    if re.search(rb"<rdf:RDF\b", data[:4096]):
        return head + b"</rdf:RDF>"
    return head + b"</channel></rss>"


# feedparser's own keys for an entry; anything else in the entry is a custom element.
_STANDARD_KEYS = {
    "id", "guidislink", "link", "links", "title", "title_detail", "summary", "summary_detail", "content",
    "published", "published_parsed", "updated", "updated_parsed", "created", "created_parsed", "expired",
    "expired_parsed", "author", "author_detail", "authors", "contributors", "tags", "comments", "enclosures",
    "source", "publisher", "publisher_detail", "rights", "rights_detail", "license", "media_content",
    "media_thumbnail", "href", "credit", "guid", "description",
}  # fmt: skip
# Element names RSS/Atom define: their values are already in title/link/summary/published.
_STANDARD_ELEMENTS = {
    "title", "link", "description", "guid", "pubdate", "author", "category", "comments", "enclosure", "source",
    "id", "updated", "published", "summary", "content", "encoded", "creator", "date", "name", "email", "uri",
    "rights", "contributor", "subject", "thumbnail", "origlink",
}  # fmt: skip


def _entry_item(entry: dict[str, Any], raw: str | None, source: str) -> FeedItem:
    # dict.get, not entry.get: FeedParserDict maps a missing `updated` to `published` with a DeprecationWarning.
    get = dict.get
    title = str(get(entry, "title") or "")
    title_detail = get(entry, "title_detail") or {}
    summary, summary_is_html = _entry_body(entry)
    extra = (_raw_extras(raw) if raw is not None else None) or _parsed_extras(entry)
    terms = [str(t.get("term")) for t in get(entry, "tags") or [] if t.get("term")]
    if terms:
        extra.setdefault("categories", ", ".join(terms))
    link = get(entry, "link")
    if link and "://" not in link and urlsplit(source).scheme in ("http", "https"):
        link = urljoin(source, link)  # a relative entry link, resolved against the feed's own URL (string work only)
    return make_item(
        title,
        summary,
        link=link,
        published_at=_entry_time(entry),
        extra=extra,
        entry_id=get(entry, "id"),
        is_html=summary_is_html or "html" in str(title_detail.get("type", "")),
    )


def _entry_body(entry: dict[str, Any]) -> tuple[str, bool]:
    """The fullest text of an entry (content beats summary) and whether it is HTML."""
    for candidate in [*(dict.get(entry, "content") or []), dict.get(entry, "summary_detail")]:
        if candidate and candidate.get("value"):
            return str(candidate["value"]), "html" in str(candidate.get("type", "html"))
    return str(dict.get(entry, "summary") or ""), True


def _entry_time(entry: dict[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


_MAX_RAW_ENTRY_CHARS = 256_000  # custom elements are small; a bigger entry uses feedparser's keys instead


def _raw_extras(raw: str) -> dict[str, str] | None:
    """Custom elements of one raw entry: leaves by their own name, lists (`<methods><method>`) joined by ", ".

    Read by expat without namespace processing (an undeclared `ebay:` prefix is no error, and the work is linear);
    None when the entry alone is not well-formed (an HTML entity, say), so the caller falls back to feedparser.
    """
    if len(raw) > _MAX_RAW_ENTRY_CHARS:
        return None
    parser = xml.parsers.expat.ParserCreate()
    # Each open element: [name, text parts, (child name, child text) of leaf children, has element children]
    stack: list[list[Any]] = []
    values: dict[str, list[str]] = {}

    def start(name: str, _attributes: dict[str, str]) -> None:
        if stack:
            stack[-1][3] = True
        stack.append([name.rsplit(":", 1)[-1], [], [], False])

    def text(data: str) -> None:
        if stack:
            stack[-1][1].append(data)

    def end(_name: str) -> None:
        name, parts, children, has_children = stack.pop()
        value = "".join(parts).strip()
        if len(stack) >= 2 and not has_children:
            stack[-1][2].append(value)
        if len(stack) != 1 or name.lower() in _STANDARD_ELEMENTS:
            return  # only the entry's own children are custom elements
        found = [v for v in children if v] if has_children else [value] if value else []
        values.setdefault(name, []).extend(found)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError:
        return None
    return {name: ", ".join(found) for name, found in values.items() if found}


def _parsed_extras(entry: dict[str, Any]) -> dict[str, str]:
    return {
        key: value
        for key, value in entry.items()
        if key not in _STANDARD_KEYS and not key.endswith(("_detail", "_parsed")) and isinstance(value, str)
    }


# -- pages ------------------------------------------------------------------------------------------------------------

_HEADINGS = "h1, h2, h3, h4, h5, h6"


def parse_page(
    data: bytes, *, selector: str, base_url: str, max_bytes: int = MAX_PAGE_BYTES, max_items: int = MAX_ITEMS
) -> list[FeedItem]:
    """Turn a changelog page without a feed into items: one per element matched by the CSS `selector`.

    Usage: `items = parse_page(body, selector="article.changelog-entry", base_url=url)`

    Title: the element's first heading, else its first line. Link: its first http(s) anchor made absolute against
    `base_url`, else `base_url#<element id>`, else `base_url#<position>`. Date: the first date written in it.
    Positional links move when entries are added above, so such items are keyed by their content instead.
    Raises `ValueError` for a selector that cannot be parsed (a configuration error, not a data error).
    """
    tree = LexborHTMLParser(data[:max_bytes])
    try:
        nodes = tree.css(selector)
    except SelectolaxError as exc:
        raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from exc
    items = [_page_item(node, index, base_url) for index, node in enumerate(nodes[:max_items], start=1)]
    return _dedupe(item for item in items if item.title or item.summary)


def _page_item(node: LexborNode, index: int, base_url: str) -> FeedItem:
    text = html_to_text(node.html or "")
    heading = node.css_first(_HEADINGS)
    title = _one_line(heading.text(separator=" ")) if heading is not None else ""
    if not title:
        title = next((line for line in text.split("\n") if line.strip()), "")[:300]
    link, is_stable = _page_link(node, index, base_url)
    dates = find_dates(text)
    published_at = datetime(*dates[0][2].timetuple()[:3], tzinfo=UTC) if dates else None
    item = make_item(title, text, link=link, published_at=published_at)
    if not is_stable:
        item = replace(item, key="sha256:" + _sha256(item.title + "\n" + item.summary))
    return item


def _page_link(node: LexborNode, index: int, base_url: str) -> tuple[str, bool]:
    for anchor in node.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        absolute = urljoin(base_url, href) if href and not href.startswith("#") else ""
        if _safe_link(absolute):
            return absolute, True
    element_id = node.attributes.get("id")
    if element_id:
        return f"{base_url.split('#')[0]}#{element_id}", True
    return f"{base_url.split('#')[0]}#{index}", False


# -- filters ----------------------------------------------------------------------------------------------------------


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
    digest = _content_hash(item.title, item.link, item.published_at, summary, item.extra)
    return replace(item, summary=summary, content_hash=digest)


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.search(line) for p in patterns)
