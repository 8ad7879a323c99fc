"""`monitor report`: the report of the last day (or any span), printed as Markdown, HTML or Slack blocks."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from monitor.cli.app import ConfigOption, app
from monitor.cli.common import store


class ReportFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    slack = "slack"


def _since(value: str) -> object:
    from monitor.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def report(
    since: Annotated[str, typer.Option("--since", help="How far back: 24h, 7d, 90m.")] = "24h",
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.markdown,
    save: Annotated[
        bool, typer.Option("--save", help="Store it as today's nightly report and send it (as the scheduled job does).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print the report: spec changes, announcements, upcoming removals, contract runs, gate, failing sources."""
    from datetime import timedelta

    import orjson

    from monitor.reports.render import to_html, to_markdown, to_slack
    from monitor.reports.store import build, generate_nightly, report_link
    from monitor.store.models import utcnow
    from monitor.store.session import session_scope

    span = _since(since)
    assert isinstance(span, timedelta)
    if span <= timedelta(0):
        raise typer.BadParameter("--since must be positive")
    settings, engine = store(config)
    now = utcnow()
    try:
        if save:
            generate_nightly(settings=settings, engine=engine, now=now)
        with session_scope(engine) as session:
            data = build(session=session, settings=settings, now=now, since=span)
    finally:
        engine.dispose()
    if format is ReportFormat.html:
        out = to_html(data)
    elif format is ReportFormat.slack:
        blocks = to_slack(data, link=report_link(settings, data.day))
        out = orjson.dumps({"blocks": blocks}, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        out = to_markdown(data)
    sys.stdout.write(out)
