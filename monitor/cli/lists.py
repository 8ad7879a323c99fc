"""`monitor changes|announcements|runs`: what the store holds, as tables or JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.app import (
    Against,
    ConfigOption,
    FailOn,
    ListFormat,
    app,
)
from monitor.cli.common import (
    change_json,
    day,
    entry_json,
    new_table,
    print_table,
    run_json,
    seconds,
    store,
    when,
    write_json,
)


@app.command()
def changes(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    level: Annotated[FailOn | None, typer.Option("--level", help="Only this level.")] = None,
    against: Annotated[
        Against | None, typer.Option("--against", help="previous (upstream changes) or contract (drift).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 500,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List stored changes (upstream and drift against contracts), newest first."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = store(config)
    with session_scope(engine) as session:
        rows = queries.list_changes(session=session, source_id=source, against=against.value if against else None,
                                    level=level.value if level else None, limit=limit)  # fmt: skip
    if format is ListFormat.json:
        write_json([change_json(c) for c in rows])
        return
    table = new_table("Source", "Against", "Level", "Status", "Rule", "Operations", "Message", "Last seen")
    for c in rows:
        ops = ", ".join(c.operations[:3]) + (f" (+{len(c.operations) - 3})" if len(c.operations) > 3 else "")
        table.add_row(c.source_id, c.against, c.level, c.status, c.rule_id, ops, c.message, when(c.last_seen_at))
    print_table(table)


@app.command()
def announcements(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (platform/name).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 500,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List stored announcements (feed and changelog entries), classified, newest first."""
    from monitor.limits.store import announced_by_entry, announced_text
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = store(config)
    with session_scope(engine) as session:
        rows = queries.list_entries(session=session, source_id=source, limit=limit)
        figures = announced_by_entry(session=session, entry_ids=[e.id for e in rows if e.id is not None])
    if format is ListFormat.json:
        write_json([{**entry_json(e), "limits": [{"operation": f.operation, "rate": f.rate, "burst": f.burst}
                                                 for f in figures.get(e.id or 0, [])]} for e in rows])  # fmt: skip
        return
    table = new_table("Source", "Published", "Category", "Severity", "Removal", "Title", "Operations")
    for e in rows:
        ops = ", ".join(str(link[1]) if len(link) > 1 else str(link) for link in e.operations[:3])
        limits = "; ".join(announced_text(f) for f in figures.get(e.id or 0, []))  # rate-limit announcements
        table.add_row(e.source_id, when(e.published_at), e.category, e.severity, day(e.removal_date), e.title,
                      "; ".join(p for p in (ops, limits) if p))  # fmt: skip
    print_table(table)


@app.command()
def runs(
    job: Annotated[str | None, typer.Option("--job", help="Only this job (poll-specs, poll-feeds, ...).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 200,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """List recorded job runs, newest first."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = store(config)
    with session_scope(engine) as session:
        rows = queries.list_runs(session=session, job=job, limit=limit)
    if format is ListFormat.json:
        write_json([run_json(r) for r in rows])
        return
    table = new_table("Job", "Target", "Slot", "Status", "Started", "Took", "Counts", "Error")
    for r in rows:
        took = seconds(r.started_at, r.finished_at)
        counts = " ".join(f"{k}={v}" for k, v in r.counts.items() if v not in (0, False, None))
        table.add_row(r.job, r.target, r.slot, r.status, when(r.started_at),
                      "" if took is None else f"{took:.2f}s", counts, r.error or "")  # fmt: skip
    print_table(table)
