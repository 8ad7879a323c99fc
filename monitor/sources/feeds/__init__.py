"""Turn fetched announcement bytes (RSS/Atom feeds, changelog pages) into deduplicated plain-text items.

Usage:

    parsed = parse_feed(body, source="amazon-sp-api/changelog")
    items = filter_items(parsed.items, ignore_text=[], trigger_text=["deprecat", "/remov(ed|al)/"])

Everything here is pure: bytes in, values out, no network and no database. Bytes come from the internet, so every
function is bounded (input size, item count, text length) and reports bad input as data (`FeedParse.problem`)
instead of raising. One module per concern: items (the value and its dedupe), text, dates, rss (feeds), pages
(changelog pages by CSS selector), filters.
"""

from monitor.sources.feeds.dates import find_dates
from monitor.sources.feeds.filters import compile_text_filter, filter_items
from monitor.sources.feeds.items import MAX_FEED_BYTES, MAX_ITEMS, MAX_SUMMARY_CHARS, FeedItem, FeedParse, make_item
from monitor.sources.feeds.pages import parse_page
from monitor.sources.feeds.rss import parse_feed
from monitor.sources.feeds.text import html_to_text

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
