"""Where an alert goes and whether it goes at all: routes, silences, inhibition and the repeat interval."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from monitor.config import Settings
from monitor.store.models import Alert, SilenceRule


@dataclass(frozen=True, slots=True)
class ActiveSilence:
    match: dict[str, str]
    ends_at: datetime
    reason: str
    origin: str  # "config" or "db:<id>"


def matches(match: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every key of `match` equals the label (an empty match matches everything)."""
    return all(labels.get(k) == v for k, v in match.items())


def destinations(settings: Settings, alert: Alert) -> list[str]:
    """`slack:<channel>` and `webhook:<name>` destinations; reports go to the nightly channel and every webhook."""
    labels = alert.labels
    found: list[str] = []
    slack = settings.alerts.slack
    if alert.kind == "report":
        nightly = settings.reports.nightly
        if slack and nightly and nightly.slack_channel:
            found.append(f"slack:{nightly.slack_channel}")
        if nightly is None or nightly.webhooks:
            found += [f"webhook:{w.name}" for w in settings.alerts.webhooks]
        return found
    if slack is not None:
        channel = next((r.channel for r in slack.routes if matches(r.match, labels)), slack.default_channel)
        if channel:
            found.append(f"slack:{channel}")
    for hook in settings.alerts.webhooks:
        if not hook.routes or any(matches(m, labels) for m in hook.routes):
            found.append(f"webhook:{hook.name}")
    return found


def active_silences(*, session: Session, settings: Settings, now: datetime) -> list[ActiveSilence]:
    """Config silences and stored ones that hold at `now`; an ended silence is simply ignored."""
    active = [
        ActiveSilence(dict(s.match), s.ends_at, s.reason, "config")
        for s in settings.alerts.silences
        if (s.starts_at is None or s.starts_at <= now) and now < s.ends_at
    ]
    for row in session.exec(select(SilenceRule).where(SilenceRule.ends_at > now)).all():
        if _aware(row.starts_at) <= now:
            active.append(ActiveSilence(dict(row.match), _aware(row.ends_at), row.reason, f"db:{row.id}"))
    return active


def silenced_by(silences: list[ActiveSilence], labels: Mapping[str, str]) -> ActiveSilence | None:
    return next((s for s in silences if matches(s.match, labels)), None)


def group_key(settings: Settings, alert: Alert) -> str:
    """Alerts with the same values of `group_by` labels travel in one message; reports travel alone."""
    if alert.kind == "report":
        return f"report:{alert.id}"
    return "|".join(f"{k}={alert.labels.get(k, '')}" for k in settings.alerts.group_by)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
