"""Hostile feed titles, texts and links reach Slack as text: no fake link text, no @channel, no foreign scheme."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from sqlalchemy.engine import Engine

from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.messages import followup_message, group_message, safe_url
from monitor.config import Settings
from monitor.sources.feed_poll import poll_feed
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store.models import Alert
from tests.alerts.fake_slack import TOKEN, FakeSlack
from tests.e2e.servers import Host

T0 = datetime(2026, 11, 1, tzinfo=UTC)
# The finding's own example, and its cousins: a link that closes itself early, a mention, a foreign scheme.
HOSTILE = [
    {
        "title": "Orders API <!channel> *URGENT* re-authenticate <https://evil.example|here> & now",
        "link": "https://evil.example/|URGENT re-authenticate> <!channel> <https://x",
    },
    {"title": "Catalog <@U123> <#C999|general> <!here> removal", "link": "javascript:alert(document.cookie)"},
    {"title": "Feeds > deprecation & <b>notice</b>", "link": "https://ok.example/a?b=1&c=<2>|3"},
    {"title": "Reports moved", "link": "https://evil.example/\n<!everyone>"},
]


def rss(entries: list[dict[str, str]]) -> bytes:
    items = "".join(
        # Titles are HTML inside XML (feedparser drops real tags), so an entity-escaped `<!channel>` is what
        # reaches the title as text: escaped twice here.
        f"<item><title>{xml_escape(html.escape(e['title']))}</title><link>{xml_escape(e['link'])}</link>"
        f"<guid>g{i}</guid><pubDate>{format_datetime(T0 + timedelta(hours=i))}</pubDate>"
        f"<description>{xml_escape(html.escape(e['title']))}</description></item>"
        for i, e in enumerate(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    texts = []
    for block in message["blocks"] or []:
        if block.get("text", {}).get("type") == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def assert_harmless(text: str) -> None:
    """Every control sequence left is one of our links: an http(s) URL without spaces, then its text."""
    for inner in re.findall(r"<([^>]*)>", text):
        url, bar, label = inner.partition("|")
        assert bar and re.fullmatch(r"https?://[^\s|<>]+", url), inner
        assert "<" not in label and "|" not in label
    assert "<!" not in text and "<@" not in text and "<#" not in text


def test_a_hostile_feed_reaches_slack_escaped_with_only_web_links(
    db: Engine, database_url: str, host: Host, slack: FakeSlack, tmp_path: Path
) -> None:
    url = host.serve("/feed.rss", rss(HOSTILE), content_type="application/rss+xml")
    settings = Settings.model_validate({
        "database_url": database_url, "allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "c"),
        "platforms": {"amazon-sp-api": {"feeds": {"news": {"url": url}}}},
        "alerts": {"group_wait": "0s", "group_interval": "0s", "dashboard_url": "https://m.example.com/|x> <!channel>",
                   "slack": {"token": TOKEN, "base_url": slack.base_url, "default_channel": "#alerts"}}})  # fmt: skip
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0, read_timeout_s=2)) as fetcher:
        for platform, name, source in settings.feed_sources():
            poll_feed(settings=settings, engine=db, fetcher=fetcher, platform=platform, name=name, source=source,
                      now=T0 + timedelta(days=1))  # fmt: skip
    with Dispatcher(settings, db) as dispatcher:
        assert dispatcher.run_once(T0 + timedelta(days=1, minutes=1)).sent == len(HOSTILE)
    (message,) = slack.posts()
    texts = mrkdwn_texts(message)
    assert len(texts) == len(HOSTILE)  # one section per entry, and no dashboard link (its URL is not one)
    for text in texts:
        assert_harmless(text)
    joined = "\n".join(texts)
    assert "&lt;!channel&gt;" in joined and "&lt;@U123&gt;" in joined  # shown as typed, not acted on
    assert (
        "<https://ok.example/a?b=1&amp;c=%3C2%3E%7C3|Feeds &gt; deprecation &amp; &lt;b&gt;notice&lt;/b&gt;>" in joined
    )
    assert "javascript" not in joined and "evil.example/|" not in joined
    assert "<" not in message["text"]  # the notification text is mrkdwn too


def test_follow_ups_and_titles_are_escaped_and_links_checked() -> None:
    alert = Alert(id=1, kind="drift", fingerprint="f", dedupe_key="k", state="resolved", title="<!channel> gone",
                  text="a <https://evil|b> & c", labels={"level": "breaking"}, link="https://e/|x")  # fmt: skip
    message = followup_message(alert)
    assert_harmless(message.blocks[0]["text"]["text"])
    assert "<" not in message.text
    group = group_message([alert], dashboard_url="https://monitor.example.com/a b")
    assert len(group.blocks) == 2  # header and the alert: the dashboard URL with a space is no link
    assert group.blocks[1]["text"]["text"].startswith(":white_check_mark: <https://e/%7Cx|&lt;!channel&gt; gone>")
    assert safe_url("ftp://x/y") is None and safe_url("https:///nohost") is None and safe_url(None) is None
    assert safe_url("https://h.example/p?q=1&r=2") == "https://h.example/p?q=1&amp;r=2"


def test_the_nightly_report_blocks_escape_hostile_entries_too(db: Engine, database_url: str) -> None:
    from monitor.reports.nightly import assemble
    from monitor.reports.render import to_slack
    from monitor.store import queries
    from monitor.store.models import FeedEntry
    from monitor.store.session import session_scope
    from tests.reports.test_nightly import NOW, settings_for

    with session_scope(db) as session:
        queries.ensure_source(session=session, source_id="ebay/feed", platform="ebay", name="feed", kind="feed",
                              url="http://x")  # fmt: skip
        session.flush()
        for i, entry in enumerate(HOSTILE):
            session.add(FeedEntry(source_id="ebay/feed", entry_key=f"e{i}", title=entry["title"], link=entry["link"],
                                  content_hash=f"h{i}", first_seen_at=NOW - timedelta(hours=1)))  # fmt: skip
    with session_scope(db) as session:
        data = assemble(session=session, settings=settings_for(database_url), until=NOW,
                        since=NOW - timedelta(hours=24), day=NOW.date())  # fmt: skip
    blocks = to_slack(data, link="https://m.example.com/reports/x|y> <!channel>")
    texts = mrkdwn_texts({"blocks": blocks})
    assert any("Orders API" in t for t in texts)
    for text in texts:
        assert_harmless(text)
