"""`monitor diff` and `monitor rules`: the diff engine from the command line."""

from __future__ import annotations

import sys
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


@app.command()
def rules(
    format: Annotated[str, typer.Option("--format", "-f", help="text or markdown (docs/rules.md).")] = "text",
) -> None:
    """List the rule catalogue: id, level, direction and description."""
    from monitor.engine.docs import rules_markdown, rules_text

    if format not in ("text", "markdown"):
        raise typer.BadParameter(f"unknown format {format!r}: use text or markdown")
    sys.stdout.write(rules_markdown() if format == "markdown" else rules_text())
