"""Feed and page parsing: the real eBay and Amazon feeds in place, hostile bodies, pages, ignore/trigger filters."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.sources.feeds import (
    MAX_FEED_BYTES,
    MAX_ITEMS,
    MAX_SUMMARY_CHARS,
    FeedItem,
    filter_items,
    find_dates,
    make_item,
    parse_feed,
    parse_page,
)
from tests.conftest import require_corpus


def feeds_dir() -> Path:
    return require_corpus() / "feeds"


def rss(items: str, extra_ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"{extra_ns}><channel><title>t</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


# -- real feeds -------------------------------------------------------------------------------------------------------


def test_truncated_ebay_deprecation_rss_keeps_its_complete_item_and_is_flagged() -> None:
    # The stored feed is cut off inside item 2: item 1 survives with its custom elements, item 2 is dropped.
    parsed = parse_feed((feeds_dir() / "ebay/api-deprecation.rss.partial.xml").read_bytes(), source="ebay/deprecation")

    assert parsed.is_malformed
    assert parsed.problem is not None and "\n" not in parsed.problem
    assert parsed.problem.startswith("ebay/deprecation: not well-formed XML")
    assert "dropped 1 cut-off entry" in parsed.problem
    [item] = parsed.items
    assert item.key == "1"
    assert item.title == "Trading API"
    assert item.link == "https://developer.ebay.com/Devzone/xml/docs/Reference/eBay/index.html"
    assert item.extra["api"] == "Trading API"
    assert item.extra["methods"] == "UploadSiteHostedPictures"
    assert item.extra["deprecationDate"] == "2025/11/06"
    assert item.extra["decommissionDate"] == "2026/09/30"
    assert item.extra["notes"].startswith("This call has been deprecated and will be decommissioned on September 30th")


def test_amazon_feed_without_items_is_a_valid_empty_feed() -> None:
    parsed = parse_feed((feeds_dir() / "amazon/sp-api-index.rss.xml").read_bytes(), source="amazon/index")

    assert parsed.items == ()
    assert not parsed.is_malformed
    assert parsed.problem is None


# -- not feeds --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty body"),
        (b"  \n\t ", "empty body"),
        (b"<!DOCTYPE html><html><head><title>Changelog</title></head><body><p>x</p></body></html>", "an HTML page"),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "an HTML page"),
        (b'{"entries": [{"title": "x"}]}', "not RSS or Atom"),
        (bytes(range(256)) * 4, "not RSS or Atom"),
        (b"\xef\xbb\xbf", "not RSS or Atom"),
        (b"https://example.com/feed.xml", "not RSS or Atom"),  # a URL is data here, never fetched
        (b"/etc/passwd", "not RSS or Atom"),  # nor a file name opened
    ],
)
def test_bytes_that_are_no_feed_give_no_items_and_a_clear_problem(body: bytes, expected: str) -> None:
    parsed = parse_feed(body, source="s")

    assert parsed.items == ()
    assert parsed.is_malformed
    assert parsed.problem is not None and expected in parsed.problem and "\n" not in parsed.problem


def test_external_entities_are_never_resolved() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><title>x</title><item><title>a &xxe; b</title><guid>1</guid></item>'
        b"</channel></rss>"
    )
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "localhost"

    parsed = parse_feed(body, source="s")

    assert all(hostname not in item.title + item.summary for item in parsed.items)


def test_a_huge_hostile_feed_is_cut_and_parsed_in_bounded_time() -> None:
    # 200,000 entries (about 30 MB), then an unclosed entry: only the first MAX_FEED_BYTES are read.
    entry = b"<item><title>T%d</title><guid>g%d</guid><description>&lt;p&gt;x %d&lt;/p&gt;</description></item>"
    body = rss("").replace(b"</channel></rss>", b"") + b"".join(entry % (i, i, i) for i in range(200_000))
    body += b"<item><title>cut"

    started = time.perf_counter()
    parsed = parse_feed(body, source="huge")
    elapsed_s = time.perf_counter() - started

    assert parsed.is_truncated
    assert len(parsed.items) == MAX_ITEMS
    assert parsed.items[0].key == "g0"
    assert parsed.problem is not None and f"over {MAX_FEED_BYTES} bytes" in parsed.problem
    assert elapsed_s < 8  # about 1 s here; the bound is what matters, not the figure


def test_a_malformed_body_full_of_tags_does_not_reach_the_slow_loose_parser_whole() -> None:
    # Deep nesting with an error at the end: feedparser's loose parser would spend seconds on all of it.
    body = rss("<item><title>ok</title><guid>1</guid></item><item><title>deep</title>" + "<a>" * 250_000 + "&&")

    started = time.perf_counter()
    parsed = parse_feed(body, source="nested")
    elapsed_s = time.perf_counter() - started

    assert parsed.is_malformed
    assert [item.key for item in parsed.items] == ["1"]
    assert elapsed_s < 8


def test_entity_expansion_bomb_is_harmless() -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'.encode()
        + rss("<item><title>&l9;</title><guid>1</guid></item>").split(b"?>", 1)[1]
    )

    parsed = parse_feed(body, source="bomb")

    assert all(len(item.title) < 1000 for item in parsed.items)


# -- entries ----------------------------------------------------------------------------------------------------------


def test_atom_entry_is_normalised_to_plain_text_and_utc() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>Changelog</title>
      <entry><id>urn:1</id><title type="html">Orders &lt;b&gt;v0&lt;/b&gt; deprecated</title>
        <link href="/changelog/orders-v0"/>
        <published>2025-01-29T10:00:00+08:00</published>
        <content type="html">&lt;p&gt;First   paragraph.&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;&lt;ul&gt;&lt;li&gt;getOrders&lt;/li&gt;&lt;li&gt;getOrder&lt;/li&gt;&lt;/ul&gt;</content>
      </entry></feed>"""

    [item] = parse_feed(body, source="https://developer.example.com/feed.atom").items

    assert item.key == "urn:1"
    assert item.title == "Orders v0 deprecated"
    assert item.link == "https://developer.example.com/changelog/orders-v0"
    assert item.published_at == datetime(2025, 1, 29, 2, 0, tzinfo=UTC)
    assert item.summary == "First paragraph.\ngetOrders\ngetOrder"


def test_entries_are_deduplicated_by_id_then_link_then_content() -> None:
    body = rss(
        "<item><guid>a</guid><title>one</title></item>"
        "<item><guid>a</guid><title>one</title></item>"
        "<item><link>https://x.example/2</link><title>two</title></item>"
        "<item><title>three</title><description>no id, no link</description></item>"
        "<item><title>three</title><description>no id, no link</description></item>"
    )

    items = parse_feed(body, source="s").items

    assert [item.title for item in items] == ["one", "two", "three"]
    assert items[1].key == "https://x.example/2"
    assert items[2].key.startswith("sha256:")


def test_custom_elements_keep_their_names_and_every_repeated_child() -> None:
    body = rss(
        "<item><guid>9</guid><title>Sell Account API</title><ebay:api>Account API</ebay:api>"
        "<methods><method>getFulfillmentPolicies</method><method>getPaymentPolicies</method></methods>"
        "<deprecationDate>2026/01/26</deprecationDate><category>Sell</category><category>Deprecation</category>"
        "<notes><![CDATA[Use <b>v2</b> instead.]]></notes></item>",
        ' xmlns:ebay="urn:ebay"',
    )

    [item] = parse_feed(body, source="s").items

    assert item.extra == {
        "methods": "getFulfillmentPolicies, getPaymentPolicies",
        "api": "Account API",
        "deprecationDate": "2026/01/26",
        "notes": "Use v2 instead.",
        "categories": "Sell, Deprecation",
    }


def test_only_http_links_survive() -> None:
    body = rss("<item><guid>1</guid><title>x</title><link>javascript:alert(1)</link></item>")

    [item] = parse_feed(body, source="s").items

    assert item.link is None


def test_summary_is_bounded() -> None:
    item = make_item("t", "<p>" + "word " * 50_000 + "</p>", is_html=True)

    assert len(item.summary) <= MAX_SUMMARY_CHARS


def test_content_hash_changes_with_content_but_not_the_key() -> None:
    first = make_item("t", "a", entry_id="1")
    edited = make_item("t", "b", entry_id="1")

    assert first.key == edited.key
    assert first.content_hash != edited.content_hash


# -- dates ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("will sunset on March 31, 2025.", date(2025, 3, 31)),
        ("decommissioned on September 30th, 2026", date(2026, 9, 30)),
        ("a sunset date of March 27 2024", date(2024, 3, 27)),
        ("on 3rd April 2023", date(2023, 4, 3)),
        ("| 31-March-2022 (discontinuation date) |", date(2022, 3, 31)),
        ("Feb 11, 2026", date(2026, 2, 11)),
        ("removal: 2025-03-31", date(2025, 3, 31)),
        ("deprecationDate: 2025/11/06", date(2025, 11, 6)),
        ("postedAt: 2024-04-01T17:37:00-04:00", date(2024, 4, 1)),
        ("将于2025年3月31日下线", date(2025, 3, 31)),
        ("平台将于2024/06/15进行维护", date(2024, 6, 15)),
    ],
)
def test_dates_in_every_supported_format(text: str, expected: date) -> None:
    assert [value for _, _, value in find_dates(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "migrate to Orders API v2026-01-01",
        "payload version 2023-12-13",
        "Reports API 2020-09-04",
        "GET /catalog/2022-04-01/items",
        "orders_2026-01-01",
        "February 30, 2025",
        "03/31/2025",
        "in 90 days",
        "June 2025",
    ],
)
def test_versions_impossible_and_ambiguous_dates_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


# -- pages ------------------------------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html><html><body><main>
<article class="entry"><h2>July 30, 2026 release</h2><p>Orders miscAttributes changed from object to oneOf.</p>
  <a href="/us-marketplace/changelog/july-30-2026-release">Read more</a></article>
<article class="entry" id="aug-6"><h3>Insights</h3><p>Added optional query parameter conditionType. August 6, 2026</p></article>
<article class="entry"><p>Plain entry without heading
second line</p></article>
<article class="entry"></article>
</main></body></html>"""


def test_page_elements_become_items_with_title_link_and_date() -> None:
    items = parse_page(
        PAGE, selector="article.entry", base_url="https://developer.walmart.com/us-marketplace/changelog"
    )

    assert [item.title for item in items] == ["July 30, 2026 release", "Insights", "Plain entry without heading"]
    first, second, third = items
    assert first.link == "https://developer.walmart.com/us-marketplace/changelog/july-30-2026-release"
    assert first.key == first.link
    assert first.published_at == datetime(2026, 7, 30, tzinfo=UTC)
    assert "miscAttributes changed from object to oneOf" in first.summary
    assert second.link == "https://developer.walmart.com/us-marketplace/changelog#aug-6"
    assert second.published_at == datetime(2026, 8, 6, tzinfo=UTC)
    # A positional link moves when entries are added above: such an item is keyed by its content.
    assert third.link == "https://developer.walmart.com/us-marketplace/changelog#3"
    assert third.key.startswith("sha256:")


def test_invalid_selector_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid CSS selector"):
        parse_page(PAGE, selector="article[[[", base_url="https://x.example/")


def test_page_that_is_not_html_gives_no_items() -> None:
    assert parse_page(bytes(range(256)), selector="article", base_url="https://x.example/") == []


# -- filters ----------------------------------------------------------------------------------------------------------


def _items() -> list[FeedItem]:
    return [
        make_item("Deprecation Reminders", "Catalog Items v0 will be removed.\nLast updated: 2025-01-29", entry_id="1"),
        make_item("New fields", "Added optional query parameter ean.\nLast updated: 2025-01-30", entry_id="2"),
        make_item("Maintenance window", "Sandbox down for maintenance.", entry_id="3"),
    ]


def test_no_filters_keep_everything_unchanged() -> None:
    assert filter_items(_items(), ignore_text=[], trigger_text=[]) == _items()


def test_ignored_lines_leave_the_text_and_the_content_hash() -> None:
    items = _items()
    later = make_item(
        "Deprecation Reminders", "Catalog Items v0 will be removed.\nLast updated: 2025-02-01", entry_id="1"
    )

    kept = filter_items([items[0], later], ignore_text=["last updated"], trigger_text=[])

    assert kept[0].summary == "Catalog Items v0 will be removed."
    assert kept[0].content_hash == kept[1].content_hash


def test_trigger_text_keeps_only_matching_items_case_insensitively() -> None:
    kept = filter_items(_items(), ignore_text=[], trigger_text=["REMOVED", "/maint[a-z]+/"])

    assert [item.key for item in kept] == ["1", "3"]


def test_a_trigger_found_only_in_ignored_lines_does_not_count() -> None:
    kept = filter_items(_items(), ignore_text=["/^Last updated/"], trigger_text=["2025-01-30"])

    assert kept == []


def test_invalid_regex_filter_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        filter_items(_items(), ignore_text=["/([/"], trigger_text=[])
