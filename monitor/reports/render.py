"""Render a report as Markdown and HTML (Jinja2 templates, HTML escaped) and as Slack Block Kit within its limits."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.alerts.messages import MAX_BLOCKS, MAX_SECTION, cut, escape, safe_url
from monitor.alerts.messages import link as mrkdwn_link
from monitor.reports.nightly import ReportData

CHART_W, CHART_H, CHART_BASE = 420, 140, 120


def title_of(data: ReportData) -> str:
    return f"API monitor report {data.day.isoformat()}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["line"] = lambda text: " ".join(str(text).split())
    env.filters["cell"] = lambda text: " ".join(str(text).split()).replace("|", "\\|")
    env.globals["pct"] = pct
    return env


def to_markdown(data: ReportData) -> str:
    return _env().get_template("report.md.j2").render(data=data, title=title_of(data))


def to_html(data: ReportData) -> str:
    return _env().get_template("report.html.j2").render(data=data, title=title_of(data), chart=chart(data))


def chart(data: ReportData) -> dict[str, Any]:
    """Coordinates of the week's chart: bars of changes per day and a polyline of the pass rate (numbers only)."""
    n = max(1, len(data.week))
    slot = CHART_W / n
    top = max([p.changes for p in data.week] + [1])
    bars, points = [], []
    for i, p in enumerate(data.week):
        h = round(p.changes / top * (CHART_BASE - 10), 1)
        x = round(i * slot + slot * 0.15, 1)
        bars.append({"x": x, "y": round(CHART_BASE - h, 1), "w": round(slot * 0.7, 1), "h": h,
                     "day": p.day.strftime("%a"), "label": f"{p.day.isoformat()}: {p.changes} change(s), "
                     f"pass rate {pct(p.pass_rate)}"})  # fmt: skip
        if p.pass_rate is not None:
            points.append(f"{round(i * slot + slot / 2, 1)},{round(CHART_BASE - p.pass_rate * (CHART_BASE - 10), 1)}")
    return {"width": CHART_W, "height": CHART_H, "base": CHART_BASE, "bars": bars, "line": " ".join(points),
            "max_changes": top}  # fmt: skip


def to_slack(data: ReportData, *, link: str | None = None) -> list[dict[str, Any]]:
    """Block Kit: a header, one section per part (each under 3,000 characters), a link to the full report."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title_of(data)}}]
    levels = data.changes_by_level
    lines = [f"*Spec changes:* {levels.get('breaking', 0)} breaking · {levels.get('warning', 0)} warning · "
             f"{levels.get('info', 0)} info"]  # fmt: skip
    lines += [f"• {escape(p)}: " + ", ".join(f"{n} {lv}" for lv, n in sorted(c.items()))
              for p, c in data.changes_by_platform.items()]  # fmt: skip
    sections = ["\n".join(lines)]
    if data.announcements:
        items = [f"• {_title(a)}" + (f" (removal {a['removal_date']})" if a["removal_date"] else "")
                 for a in data.announcements[:10]]  # fmt: skip
        total = data.announcements_total
        sections.append(_more(f"*New announcements ({total}):*", items, total))
    if data.removals:
        items = [f"• *{r['removal_date']}* ({r['days_left']} days) {_title(r)}: {escape(', '.join(r['integrations']))}"
                 for r in data.removals[:10]]  # fmt: skip
        sections.append(_more(f"*Upcoming removals touching our integrations ({len(data.removals)}):*", items,
                              len(data.removals)))  # fmt: skip
    if data.runs:
        items = [f"• {escape(r['suite'])}: {r['runs']} run(s), operations passing {pct(r['operation_pass_rate'])}"
                 for r in data.runs[:10]]  # fmt: skip
        sections.append(_more("*Contract test runs:*", items, len(data.runs)))
    if data.gate is not None:
        by = data.gate["by_decision"]
        sections.append(f"*Gate:* {by['pass']} pass · {by['warn']} warn · {by['fail']} fail · {by['unknown']} unknown;"
                        f" {len(data.gate['deployments'])} deployment(s)")  # fmt: skip
    flagged = [lim for lim in data.limits if lim["decreased"] or lim["short"]]
    if flagged:
        items = [f"• {escape(lim['integration'])} {escape(lim['operation'])}: need {escape(lim['need'])}, documented "
                 f"{escape(lim['documented'])}, observed {escape(lim['observed'])} ({escape(lim['headroom'])})"
                 for lim in flagged[:10]]  # fmt: skip
        sections.append(_more(f"*Rate limits decreased or below the need ({len(flagged)}):*", items, len(flagged)))
    if data.failing_sources:
        items = [f"• {escape(s['source'])}: {s['failures']} failure(s)" for s in data.failing_sources[:10]]
        sections.append(_more(f"*Failing sources ({len(data.failing_sources)}):*", items, len(data.failing_sources)))
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": cut(s, MAX_SECTION)}} for s in sections]
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_link(link, "Full report")}]})
    return blocks[:MAX_BLOCKS]


def _title(entry: dict[str, Any]) -> str:
    title = cut(" ".join(entry["title"].split()), 150)
    # A feed's link is not trusted: only an http(s) URL becomes a link, with | < > encoded (see alerts.messages).
    return mrkdwn_link(entry.get("link"), title) if safe_url(entry.get("link")) else escape(title)


def _more(head: str, items: list[str], total: int) -> str:
    rest = total - len(items)
    return "\n".join([head, *items] + ([f"… and {rest} more in the full report"] if rest > 0 else []))
