"""The console script's entry: a plain `monitor diff` answered by the engine alone, everything else by the CLI.

Building the Typer app imports every command group (the service, the store, pydantic, typer, rich), about
0.15 s of CPU per process, three times what parsing a 1 MB spec costs. A pipeline that diffs specs calls
`monitor diff` many times, so the plain form is answered here with the engine alone. Anything else (another
command, another option, `--help`, an option this parser does not know, a bad value, a file that does not
load) falls through before anything is printed, and the full CLI runs as before, giving the same answer and
the same one-line errors. Nothing differs but the time. It lives outside `monitor.cli` because importing that
package is what builds the app.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

_FORMATS = ("text", "json", "markdown", "junit", "githubactions")
_LEVELS = ("breaking", "warning", "info")
_OPTIONS = {"--format": _FORMATS, "-f": _FORMATS, "--fail-on": _LEVELS}


def _parse(argv: list[str]) -> tuple[str, str, str, str] | None:
    """(old, new, format, fail_on) for the plain form of `diff`, or None for anything else."""
    if not argv or argv[0] != "diff":
        return None
    files: list[str] = []
    chosen = {"--format": "text", "--fail-on": "breaking"}
    rest = iter(argv[1:])
    for arg in rest:
        if arg.startswith("-"):
            name, has_value, value = arg.partition("=")
            if name not in _OPTIONS or (name == "-f" and has_value):
                return None
            if not has_value:
                value = next(rest, "")
            if value not in _OPTIONS[name]:
                return None
            chosen["--format" if name == "-f" else name] = value
        else:
            files.append(arg)
    if len(files) != 2:
        return None
    return files[0], files[1], chosen["--format"], chosen["--fail-on"]


def try_diff(argv: list[str], keep: list[object] | None = None) -> int | None:
    """The exit code of a plain `monitor diff` answered here, or None when the full CLI must answer.

    `keep` receives the loaded specs, for a caller that ends the process without freeing them. When it answers,
    the cyclic garbage collector is left off: it is made for a process that ends right after.
    """
    parsed = _parse(argv)
    if parsed is None:
        return None
    old, new, fmt, fail_on = parsed
    # The engine pauses the cyclic collector while it works; when a pause ends, the next allocation collects
    # the million objects the pause created (~7 ms each time, three times). This process ends right after
    # the diff, so the collector stays off until then, from before the engine's imports (~1.5 ms of collections).
    gc.disable()
    from monitor.engine import Level, diff, load_spec
    from monitor.engine.render import RENDERERS

    try:
        specs = load_spec(Path(old)), load_spec(Path(new))  # Path: the file name printed is the CLI's
        result = diff(*specs)
        text = RENDERERS[fmt](result)
    except Exception:  # errors have one canonical wording: the full CLI's
        gc.enable()
        return None
    if keep is not None:
        keep.append(specs)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        return 0
    return 1 if result.reaches(Level(fail_on)) else 0


def main() -> None:
    """`monitor ...`: the fast path when it applies, else the full Typer CLI."""
    kept: list[object] = []
    code = try_diff(sys.argv[1:], keep=kept)
    if code is not None:
        # Freeing the two parsed documents object by object (a million objects for a 7 MB spec) and the
        # interpreter's own teardown take ~40 ms of a 0.3 s diff; nothing is left to clean up but memory, so
        # the process ends here without them (as mypy's command line does), the specs still held in `kept`.
        os._exit(code)  # try_diff has flushed what it wrote
    from monitor.cli import main as cli_main

    cli_main()
