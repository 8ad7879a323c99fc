"""The `monitor` command line: parses arguments, calls the library, maps errors to exit codes.

Each module registers its commands on the one Typer app in `app.py`; importing them here wires them up.
"""

from monitor.cli import alerts as _alerts  # noqa: F401  (registers `monitor alerts ...`)
from monitor.cli import contracts, diff, lists, sandbox, service  # noqa: F401  (registers commands)
from monitor.cli import demo as _demo  # noqa: F401  (registers `monitor demo`)
from monitor.cli import gate as _gate  # noqa: F401  (registers `monitor gate`, `ack`, `token`)
from monitor.cli import limits as _limits  # noqa: F401  (registers `monitor limits`)
from monitor.cli import report as _report  # noqa: F401  (registers `monitor report`)
from monitor.cli import traffic as _traffic  # noqa: F401  (registers `record`, `observe`, `contracts learn`)
from monitor.cli import worker as _worker  # noqa: F401  (registers `monitor worker`)
from monitor.cli.app import app, main

__all__ = ["app", "main"]
