"""The `monitor` command line: parses arguments, calls the library, maps errors to exit codes."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="monitor",
    help="Marketplace API contract testing and change monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Exit codes are the public contract of every command (see README).
EXIT_OK, EXIT_FINDING, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    githubactions = "githubactions"


class FailOn(StrEnum):
    breaking = "breaking"
    warning = "warning"
    info = "info"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The old spec (JSON or YAML; Swagger 2.0, OpenAPI 3.0 or 3.1).")],
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


config_app = typer.Typer(help="Validate and inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None, typer.Argument(help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Same as FILE.")] = None,
) -> None:
    """Validate the configuration and print what will be watched."""
    from monitor.config import load_settings
    from monitor.redact import redact_url

    settings = load_settings(file or config)
    out = [f"database: {redact_url(settings.database_url)}"]
    for platform, name, spec in settings.spec_sources():
        out.append(f"spec  {platform}/{name}  every {spec.every}  {redact_url(spec.url)}")
    for platform, name, feed in settings.feed_sources():
        out.append(f"{feed.kind:<5} {platform}/{name}  every {feed.every}  {redact_url(feed.url)}")
    for platform, p in settings.platforms.items():
        if p.sandbox is not None:
            out.append(f"sandbox {platform}  {redact_url(p.sandbox.base_url)}  auth {p.sandbox.auth.type}")
    for name, integration in settings.integrations.items():
        uses = ", ".join(f"{k}: {len(v)} operation(s)" for k, v in integration.uses.items())
        out.append(f"integration {name}  {uses}  environments: {', '.join(integration.environments)}")
    sys.stdout.write("\n".join(out) + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    from monitor import __version__

    sys.stdout.write(f"monitor {__version__}\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; known errors become one line on stderr and an exit code, never a traceback."""
    from monitor.engine.errors import EngineError
    from monitor.errors import InputError, UpstreamError

    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        code = 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        sys.stderr.write(f"error: {_one_line(exc.format_message())}\n")
        code = EXIT_BAD_INPUT
    except (EngineError, InputError) as exc:
        sys.stderr.write(f"error: {_one_line(str(exc))}\n")
        code = EXIT_BAD_INPUT
    except UpstreamError as exc:
        sys.stderr.write(f"error: {_one_line(str(exc))}\n")
        code = EXIT_UNKNOWN
    except BrokenPipeError:
        code = EXIT_OK
    sys.exit(code if isinstance(code, int) else EXIT_OK)
