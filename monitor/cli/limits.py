"""`monitor limits`: per used operation, the need beside the documented, announced and observed rate limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from monitor.cli.app import EXIT_FINDING, ConfigOption, app
from monitor.cli.common import new_table, print_table, store, write_json


class LimitsFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def limits(
    integration: Annotated[str | None, typer.Argument(help="Only this integration (default: every one).")] = None,
    format: Annotated[LimitsFormat, typer.Option("--format", "-f", help="Output format.")] = LimitsFormat.table,
    config: ConfigOption = None,
) -> None:
    """Rate limits of the operations integrations use: need, documented, announced, observed, headroom, history.

    Exits 1 when a figure is below an integration's declared need.
    """
    from monitor.errors import InputError
    from monitor.limits.table import display_row, limit_rows
    from monitor.store.session import session_scope

    settings, engine = store(config)
    names = [integration] if integration else list(settings.integrations)
    if integration and integration not in settings.integrations:
        raise InputError(f"unknown integration {integration!r} "
                         f"(configured: {', '.join(settings.integrations) or 'none'})")  # fmt: skip
    with session_scope(engine) as session:
        rows = [row for name in names for row in limit_rows(session=session, settings=settings, integration=name)]
    short = any(r.headroom is not None and r.headroom < 0 for r in rows)
    if format is LimitsFormat.json:
        write_json([r.to_json() for r in rows])
    else:
        table = new_table("Integration", "Operation", "Need", "Documented", "Announced", "Observed", "Seen",
                          "Headroom", "History")  # fmt: skip
        for r in rows:
            d = display_row(r)
            style = "bold red" if d["decreased"] or d["short"] else None  # decreases and shortfalls stand out
            table.add_row(d["integration"], d["operation"], d["need"], d["documented"], d["announced"], d["observed"],
                          d["seen"], d["headroom"], d["history"], style=style)  # fmt: skip
        print_table(table)
    if short:
        raise typer.Exit(EXIT_FINDING)
