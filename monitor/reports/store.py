"""Make a report: assemble, render, store it (one per kind and day) and put it in the alert outbox, in one unit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.outbox import enqueue, fingerprint_of
from monitor.config import Settings
from monitor.reports.nightly import ReportData, assemble
from monitor.reports.render import title_of, to_html, to_markdown, to_slack
from monitor.store.models import Report
from monitor.store.session import session_scope

DAY = timedelta(hours=24)


def report_day(settings: Settings, now: datetime) -> date:
    """The report's date in its time zone: the 02:00 Shanghai report of 28 November is dated 28 November."""
    zone = settings.reports.nightly.timezone if settings.reports.nightly else "UTC"
    return now.astimezone(ZoneInfo(zone)).date()


def report_link(settings: Settings, day: date) -> str | None:
    base = settings.alerts.dashboard_url
    return f"{base.rstrip('/')}/reports/{day.isoformat()}" if base else None


def build(*, session: Session, settings: Settings, now: datetime, since: timedelta = DAY) -> ReportData:
    return assemble(session=session, settings=settings, until=now, since=now - since, day=report_day(settings, now))


def generate_nightly(*, settings: Settings, engine: Engine, now: datetime) -> Report:
    """Store the nightly report of the day and enqueue it for Slack and webhooks, in the same transaction.

    Running it again the same day replaces the stored report but does not send it twice (the dedupe key)."""
    with session_scope(engine) as session:
        data = build(session=session, settings=settings, now=now)
        link = report_link(settings, data.day)
        blocks = to_slack(data, link=link)
        report = session.exec(select(Report).where(Report.kind == "nightly", Report.day == data.day)).first()
        if report is None:
            report = Report(kind="nightly", day=data.day, since=data.since, until=data.until)
            session.add(report)
        report.since, report.until, report.created_at = data.since, data.until, now
        report.summary, report.slack = data.summary(), blocks
        report.markdown, report.html = to_markdown(data), to_html(data)
        session.flush()
        enqueue(session=session, kind="report", fingerprint=fingerprint_of("report", "nightly", data.day.isoformat()),
                dedupe_key=f"report:nightly:{data.day.isoformat()}", title=title_of(data), state="info",
                text=report.markdown[:4000], link=link, blocks=blocks, labels={"report": "nightly"}, now=now)  # fmt: skip
        return report


def get_report(*, session: Session, day: date | None = None, kind: str = "nightly") -> Report | None:
    """The stored report of a day, or the latest one."""
    query = select(Report).where(Report.kind == kind)
    if day is not None:
        return session.exec(query.where(Report.day == day)).first()
    return session.exec(query.order_by(col(Report.day).desc())).first()
