"""Block Kit and JSON for alerts, within Slack's limits (50 blocks, 3,000 characters per section, 150 per header)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from monitor.alerts.transport import Message
from monitor.store.models import Alert

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_ALERTS_SHOWN = 45  # header + 45 sections + "more" + link = 48 blocks
ICONS = {"breaking": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
KIND_NAMES = {"change": "spec changes", "drift": "contract drift", "announcement": "announcements",
              "date-moved": "moved dates", "operation": "sandbox failures", "sandbox": "sandbox", "report": "report",
              "rate-limit": "rate-limit cuts"}  # fmt: skip


def escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are control characters (links, mentions) and must be escaped.

    https://api.slack.com/reference/surfaces/formatting#escaping: "Slack uses &, <, and > as control characters
    for special parsing in text objects, so they must be converted to HTML entities"."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")  # spaces and control characters: never in a real URL


def safe_url(url: str | None) -> str | None:
    """A URL fit for `<url|text>`: http(s) with a host, else None (shown as no link at all).

    A feed's `<link>` is attacker-controlled: `https://x/|URGENT> <!channel>` would otherwise close the link early,
    write its own link text and ping the channel. `|` and `>` end the URL part in mrkdwn, so they are
    percent-encoded (the browser decodes them back); & < > are escaped as in any text."""
    if not url or _UNSAFE_IN_URL.search(url) or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return escape(quote(url, safe="/:?#[]@!$&'()*+,;=%~-._"))


def link(url: str | None, text: str) -> str:
    """`<url|text>` with both parts made harmless; just the text when the URL is not a web address."""
    target = safe_url(url)
    return f"<{target}|{escape(text)}>" if target else escape(text)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def group_title(alerts: list[Alert]) -> str:
    first = alerts[0]
    if len(alerts) == 1:
        return first.title
    where = first.labels.get("source") if all(a.labels.get("source") == first.labels.get("source") for a in alerts) \
        else first.labels.get("platform", "")  # fmt: skip
    return f"{len(alerts)} {KIND_NAMES.get(first.kind, first.kind)}: {where}".strip()


def _line(alert: Alert) -> str:
    icon = ":white_check_mark:" if alert.state == "resolved" else ICONS.get(alert.labels.get("level", ""), "")
    title = link(alert.link, alert.title) if safe_url(alert.link) else f"*{escape(alert.title)}*"
    return cut(f"{icon} {title}\n{escape(alert.text)}".strip(), MAX_SECTION)


def _link(dashboard_url: str | None) -> list[dict[str, Any]]:
    if not safe_url(dashboard_url):
        return []
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": link(dashboard_url, "Open the dashboard")}]}]


def group_message(alerts: list[Alert], *, dashboard_url: str | None = None) -> Message:
    """One message for a group: a header, one section per alert (the rest counted), a link; a plain-text fallback."""
    if len(alerts) == 1 and alerts[0].blocks:  # a report brings its own blocks
        return Message(text=alerts[0].title, blocks=alerts[0].blocks[:MAX_BLOCKS], alerts=[alert_json(alerts[0])])
    title = group_title(alerts)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": cut(title, MAX_HEADER)}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _line(a)}} for a in alerts[:MAX_ALERTS_SHOWN]]
    if len(alerts) > MAX_ALERTS_SHOWN:
        more = f"and {len(alerts) - MAX_ALERTS_SHOWN} more"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    blocks += _link(dashboard_url)
    lines = [f"- {escape(a.title)}" for a in alerts[:MAX_ALERTS_SHOWN]] if len(alerts) > 1 else []
    text = "\n".join([escape(title), *lines])  # the fallback `text` is mrkdwn as well
    return Message(text=cut(text, 4000), blocks=blocks, alerts=[alert_json(a) for a in alerts])


def followup_message(alert: Alert, *, is_repeat: bool = False) -> Message:
    """A reply in the thread of the first message about the same fingerprint."""
    prefix = {"resolved": "Resolved", "firing": "Still firing" if is_repeat else "Firing again"}.get(alert.state)
    title = f"{prefix}: {alert.title}" if prefix and not alert.title.startswith(prefix) else alert.title
    text = cut(f"*{escape(title)}*\n{escape(alert.text)}".strip(), MAX_SECTION)
    return Message(text=cut(escape(title), 4000),
                   blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
                   alerts=[alert_json(alert)])  # fmt: skip


def resolved_parent(title: str) -> Message:
    """The first message rewritten once everything it announced is resolved."""
    text = f":white_check_mark: Resolved: {title}"
    return Message(text=cut(escape(f"Resolved: {title}"), 4000),
                   blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": cut(escape(text), MAX_SECTION)}}])  # fmt: skip


def alert_json(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "kind": alert.kind, "state": alert.state, "fingerprint": alert.fingerprint,
            "title": alert.title, "text": alert.text, "link": alert.link, "labels": alert.labels,
            "created_at": alert.created_at.isoformat() if alert.created_at else None}  # fmt: skip
