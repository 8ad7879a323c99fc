"""`monitor contracts status|pin|accept`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.app import (
    ConfigOption,
    ListFormat,
    app,
)
from monitor.cli.common import new_table, print_table, snapshot_text, status_json, store, when, write_json

contracts_app = typer.Typer(
    help="The contracts: the spec versions integrations were built against.", no_args_is_help=True
)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("status")
def contracts_status(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Every spec source's contract, its current upstream version and the drift between them."""
    from monitor.jobs.contracts import contract_status

    settings, engine = store(config)
    statuses = contract_status(settings=settings, engine=engine)
    if format is ListFormat.json:
        write_json([status_json(s) for s in statuses])
        return
    table = new_table("Source", "Contract", "Pinned", "By", "Current", "Breaking", "Warning", "Info")
    for s in statuses:
        table.add_row(
            s.source_id,
            snapshot_text(s.contract),
            when(s.pinned_at),
            s.pinned_by or "",
            snapshot_text(s.current),
            *(str(s.drift.get(level, 0)) for level in ("breaking", "warning", "info")),
        )
    print_table(table)


@contracts_app.command("pin")
def contracts_pin(
    source: Annotated[str, typer.Argument(help="The spec source (platform/name).")],
    reason: Annotated[str, typer.Option("--reason", help="Why this version is the contract.")] = "",
    config: ConfigOption = None,
) -> None:
    """Make the current upstream version of a source its contract."""
    _move_contract(config, source, action="pin", reason=reason, snapshot_id=None)


@contracts_app.command("accept")
def contracts_accept(
    source: Annotated[str, typer.Argument(help="The spec source (platform/name).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the team accepts it (required).")],
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", help="The stored version to accept (default: the current one).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Move a contract forward once the integration has adapted; records who, when and why."""
    _move_contract(config, source, action="accept", reason=reason, snapshot_id=snapshot)


def _move_contract(config: Path | None, source: str, *, action: str, reason: str, snapshot_id: int | None) -> None:
    import os

    from monitor.jobs.contracts import move_contract

    settings, engine = store(config)
    by = os.environ.get("USER") or "cli"
    moved = move_contract(settings=settings, engine=engine, source_id=source, action=action, by=by, reason=reason,
                          snapshot_id=snapshot_id)  # fmt: skip
    was = f"snapshot {moved.from_snapshot_id}" if moved.from_snapshot_id is not None else "no contract"
    drift = ", ".join(f"{n} {k}" for k, n in moved.drift.items() if n) or "none"
    sys.stdout.write(f"{moved.source_id}: {action} {snapshot_text(moved.to)} (was {was}); drift now: {drift}\n")
