"""`monitor alerts list|silence|silences|deliver`: the outbox, silences, and one delivery cycle now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from monitor.cli.app import ConfigOption, ListFormat, app
from monitor.cli.common import new_table, plural, print_table, store, utc, when, write_json

alerts_app = typer.Typer(help="The alert outbox: list, silence, deliver.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("list")
def list_alerts(
    pending: Annotated[bool, typer.Option("--pending", help="Only alerts not yet delivered everywhere.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Alerts, newest first, with where each was delivered (or why not)."""
    from sqlmodel import col, select

    from monitor.store.models import Alert, AlertDelivery
    from monitor.store.session import session_scope

    _, engine = store(config)
    try:
        with session_scope(engine) as session:
            alerts = session.exec(select(Alert).order_by(col(Alert.id).desc()).limit(limit)).all()
            ids = [a.id for a in alerts]
            rows = session.exec(select(AlertDelivery).where(col(AlertDelivery.alert_id).in_(ids))).all() if ids else []
    finally:
        engine.dispose()
    by_alert: dict[int, list[AlertDelivery]] = {}
    for d in rows:
        by_alert.setdefault(d.alert_id, []).append(d)
    items = []
    for a in alerts:
        deliveries = by_alert.get(a.id or 0, [])
        if pending and not (a.status == "new" or any(d.status != "sent" for d in deliveries)):
            continue
        items.append((a, deliveries))
    if format is ListFormat.json:
        write_json([_alert_json(a, ds) for a, ds in items])
        return
    table = new_table("Id", "Kind", "State", "Status", "Title", "Deliveries", "Created")
    for a, ds in items:
        where = "; ".join(f"{d.destination} {d.status}" + (f" ({d.last_error})" if d.last_error else "") for d in ds)
        table.add_row(str(a.id), a.kind, a.state, a.status, a.title, where or (a.note or ""), when(a.created_at))
    print_table(table)


def _alert_json(a: Any, deliveries: list[Any]) -> dict[str, Any]:
    return {"id": a.id, "kind": a.kind, "state": a.state, "status": a.status, "note": a.note, "title": a.title,
            "labels": a.labels, "fingerprint": a.fingerprint, "created_at": utc(a.created_at),
            "deliveries": [{"destination": d.destination, "status": d.status, "attempts": d.attempts,
                            "last_error": d.last_error, "ts": d.ts, "sent_at": utc(d.sent_at)} for d in deliveries]}  # fmt: skip


@alerts_app.command("silence")
def silence(
    match: Annotated[
        list[str], typer.Option("--match", "-m", help="label=value (repeatable), e.g. source=amazon-sp-api/orders-v0")
    ],
    duration: Annotated[str, typer.Option("--for", help="How long: 2h, 3d (required: no silence lasts forever).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown on every muted alert).")],
    by: Annotated[str, typer.Option("--by", help="Who.")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Mute alerts whose labels match, until the silence ends."""
    from monitor.config import parse_duration
    from monitor.store.models import SilenceRule, utcnow
    from monitor.store.session import session_scope

    pairs = [m.partition("=") for m in match]
    if not pairs or any(not k or not sep or not v for k, sep, v in pairs):
        raise typer.BadParameter("--match takes label=value, e.g. --match source=amazon-sp-api/orders-v0")
    try:
        span = parse_duration(duration)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if span.total_seconds() <= 0 or not reason.strip():
        raise typer.BadParameter("a silence needs a positive --for and a --reason")
    _, engine = store(config)
    now = utcnow()
    try:
        with session_scope(engine) as session:
            row = SilenceRule(match={k: v for k, _, v in pairs}, starts_at=now, ends_at=now + span, reason=reason,
                              created_by=by)  # fmt: skip
            session.add(row)
            session.flush()
            silence_id = row.id
    finally:
        engine.dispose()
    typer.echo(f"silence {silence_id} until {(now + span).isoformat(timespec='seconds')}")


@alerts_app.command("silences")
def silences(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Active silences, from the config and from `monitor alerts silence`."""
    from monitor.alerts.routing import active_silences
    from monitor.store.models import utcnow
    from monitor.store.session import session_scope

    settings, engine = store(config)
    try:
        with session_scope(engine) as session:
            active = active_silences(session=session, settings=settings, now=utcnow())
    finally:
        engine.dispose()
    if format is ListFormat.json:
        write_json([{"origin": s.origin, "match": dict(s.match), "ends_at": utc(s.ends_at), "reason": s.reason}
                    for s in active])  # fmt: skip
        return
    table = new_table("Origin", "Match", "Ends", "Reason")
    for s in active:
        table.add_row(s.origin, ", ".join(f"{k}={v}" for k, v in s.match.items()), _when(s.ends_at), s.reason)
    print_table(table)


@alerts_app.command("deliver")
def deliver(config: ConfigOption = None) -> None:
    """Run one delivery cycle now (the service does it every few seconds); exit 3 if something was not delivered."""
    from monitor.alerts.dispatcher import Dispatcher

    settings, engine = store(config)
    dispatcher = Dispatcher(settings, engine)
    try:
        stats = dispatcher.run_once()
    finally:
        dispatcher.close()
        engine.dispose()
    typer.echo(f"routed {stats.routed}, sent {stats.sent} in {plural(stats.messages, 'message')}, silenced {stats.silenced}, "
               f"inhibited {stats.inhibited}, suppressed {stats.suppressed}, failed {stats.failed}")  # fmt: skip
    for error in dict.fromkeys(stats.errors):
        typer.echo(f"error: {error}", err=True)
    if stats.failed:
        raise typer.Exit(3)


def _when(moment: datetime) -> str:
    return when(moment)
