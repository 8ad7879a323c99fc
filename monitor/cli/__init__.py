"""The `monitor` command line: parses arguments, calls the library, maps errors to exit codes.

Each module registers its commands on the one Typer app in `app.py`; importing them here wires them up.
"""

from monitor.cli import contracts, diff, lists, sandbox, service  # noqa: F401  (registers commands)
from monitor.cli.app import app, main

__all__ = ["app", "main"]
