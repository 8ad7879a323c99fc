"""Changelog pages without a feed: one item per element a CSS selector matches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.sources.feeds.dates import find_dates
from monitor.sources.feeds.items import MAX_ITEMS, MAX_PAGE_BYTES, FeedItem, dedupe, make_item, safe_link, sha256_hex
from monitor.sources.feeds.text import html_to_text, one_line

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
    return dedupe(item for item in items if item.title or item.summary)


def _page_item(node: LexborNode, index: int, base_url: str) -> FeedItem:
    text = html_to_text(node.html or "")
    heading = node.css_first(_HEADINGS)
    title = one_line(heading.text(separator=" ")) if heading is not None else ""
    if not title:
        title = next((line for line in text.split("\n") if line.strip()), "")[:300]
    link, is_stable = _page_link(node, index, base_url)
    dates = find_dates(text)
    published_at = datetime(*dates[0][2].timetuple()[:3], tzinfo=UTC) if dates else None
    item = make_item(title, text, link=link, published_at=published_at)
    if not is_stable:
        item = replace(item, key="sha256:" + sha256_hex(item.title + "\n" + item.summary))
    return item


def _page_link(node: LexborNode, index: int, base_url: str) -> tuple[str, bool]:
    for anchor in node.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        absolute = urljoin(base_url, href) if href and not href.startswith("#") else ""
        if safe_link(absolute):
            return absolute, True
    element_id = node.attributes.get("id")
    if element_id:
        return f"{base_url.split('#')[0]}#{element_id}", True
    return f"{base_url.split('#')[0]}#{index}", False
