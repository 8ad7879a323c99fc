"""The `monitor` command line's root: the Typer app, exit codes, shared option types and `main`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


def _plain_type_labels() -> None:
    """Help shows `TEXT`, `INTEGER`, `PATH` and nothing for flags, as click does, not Typer 0.29's `<str>`/`<bool>`.

    Typer renders a parameter's type from its Python annotation; a flag takes no value, so a `<bool>` beside
    `--pending` (or `--help`) reads as if it wanted one. One wrapper here covers every command and `--help`.
    """
    from typer.core import TyperArgument, TyperOption

    names = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "NUMBER", "float range": "NUMBER",
             "path": "PATH", "file": "PATH", "dir": "PATH", "datetime": "DATETIME", "list[str]": "TEXT"}  # fmt: skip

    def relabel(original: Any) -> Any:
        def display_type_rich(self: Any, ctx: Any) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None
            label = original(self, ctx)
            if label is None or self.metavar is not None or not (label.startswith("<") and label.endswith(">")):
                return label
            inner = label[1:-1]
            return names.get(inner) or (inner if "|" in inner else inner.upper())

        return display_type_rich

    for cls in (TyperOption, TyperArgument):
        if not getattr(cls.display_type_rich, "_monitor_relabelled", False):
            cls.display_type_rich = relabel(cls.display_type_rich)  # type: ignore[method-assign]
            cls.display_type_rich._monitor_relabelled = True  # type: ignore[attr-defined]


_plain_type_labels()

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


ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
]


class ListFormat(StrEnum):
    text = "text"
    json = "json"


class Against(StrEnum):
    previous = "previous"
    contract = "contract"
    observed = "observed"  # drift seen in real answers (monitor observe, observe: sources)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; known errors become one line on stderr and an exit code, never a traceback."""
    from monitor.errors import InputError, MonitorError, StoreError, UpstreamError

    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        code = 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        # pydantic (behind Typer's coercion) prefixes a validator's message with "Value error, ": not for users
        sys.stderr.write(f"error: {one_line(exc.format_message()).replace('Value error, ', '')}\n")
        code = EXIT_BAD_INPUT
    except InputError as exc:
        sys.stderr.write(f"error: {one_line(str(exc))}\n")
        code = EXIT_BAD_INPUT
    except (UpstreamError, MonitorError) as exc:  # upstream or the database (StoreError): unknown, try again later
        message = one_line(str(exc))
        if isinstance(exc, StoreError) and ("no such table" in message or "UndefinedTable" in message):
            message += " (a new database? run `monitor db upgrade`)"
        sys.stderr.write(f"error: {message}\n")
        code = EXIT_UNKNOWN
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:  # a malformed spec (EngineError) is bad input; anything else is a bug
        if not _is_engine_error(exc):
            raise
        sys.stderr.write(f"error: {one_line(str(exc))}\n")
        code = EXIT_BAD_INPUT
    finally:
        common = sys.modules.get("monitor.cli.common")
        if common is not None:
            common.dispose_engines()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _is_engine_error(exc: Exception) -> bool:
    """Checked without importing the diff engine: a command that never loaded it (`monitor test`, `monitor run`)
    cannot have raised its errors, and importing it costs a tenth of a second of start-up."""
    errors = sys.modules.get("monitor.engine.errors")
    return errors is not None and isinstance(exc, errors.EngineError)
