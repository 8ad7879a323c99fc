"""RSS and Atom bodies into items: bounded work on hostile bytes, malformed feeds kept as far as they are complete."""

from __future__ import annotations

import calendar
import io
import re
import xml.parsers.expat
import xml.sax
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]  # ships no type information

from monitor.sources.feeds.items import MAX_FEED_BYTES, MAX_ITEMS, FeedItem, FeedParse, dedupe, make_item
from monitor.sources.feeds.text import one_line


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
        return FeedParse((), True, f"{source}: feed parser failed: {type(exc).__name__}: {one_line(str(exc))[:200]}")


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
    items = dedupe(_entry_item(e, raw, source) for e, raw in zip(entries[:max_items], raw_chunks, strict=False))
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
    return one_line(f"{type(exc).__name__}: {exc}")[:200]


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
