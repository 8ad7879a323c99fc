"""`monitor diff` and `monitor rules`: the diff engine from the command line."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.app import (
    EXIT_FINDING,
    FailOn,
    OutputFormat,
    app,
)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The old spec (JSON or YAML; Swagger 2.0, OpenAPI 3.0, 3.1 or 3.2).")],
    new: Annotated[Path, typer.Argument(help="The new spec.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a change reaches this level.")] = FailOn.breaking,
    usage: Annotated[Path | None, typer.Option(help="Only the operations (and fields) this usage file lists.")] = None,
    ignore: Annotated[Path | None, typer.Option(help="Accepted changes: rule, operation, reason, expires.")] = None,
    allow_external_refs: Annotated[
        bool, typer.Option(help="Follow $refs to other files inside the spec's own folder.")
    ] = False,
) -> None:
    """Compare two API specs and report what changed, breaking changes first."""
    from monitor.engine import DiffOptions, Level, load_ignore, load_spec, load_usage
    from monitor.engine import diff as run_diff
    from monitor.engine.render import RENDERERS

    options = DiffOptions(
        usage=load_usage(usage) if usage else None,
        ignore=load_ignore(ignore) if ignore else (),
    )
    result = run_diff(
        load_spec(old, allow_external_refs=allow_external_refs),
        load_spec(new, allow_external_refs=allow_external_refs),
        options,
    )
    sys.stdout.write(RENDERERS[format.value](result))
    if result.reaches(Level(fail_on.value)):
        raise typer.Exit(EXIT_FINDING)


class RulesFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def rules(
    format: Annotated[
        RulesFormat, typer.Option("--format", "-f", help="text, json, or markdown (docs/rules.md).")
    ] = RulesFormat.text,
) -> None:
    """List the rule catalogue: id, level, direction and description."""
    from monitor.engine.docs import rules_markdown, rules_text

    if format is RulesFormat.json:
        from monitor.cli.common import write_json
        from monitor.engine.diff import rules as catalogue

        write_json([{"id": r.id, "level": r.level.value, "direction": r.direction.value, "area": r.area,
                     "kind": r.kind, "description": r.description} for r in catalogue().values()])  # fmt: skip
        return
    sys.stdout.write(rules_markdown() if format is RulesFormat.markdown else rules_text())
