"""`monitor ARGS` in the test's own process: the same `main` as the console script, without a second of start-up.

Environment and working directory are the command's for its duration; stdout and stderr are captured; the exit code
comes from the `SystemExit` that `main` always raises. A test that is about the process itself (signals, the entry
point) still starts a real one.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from monitor.cli import main


@contextlib.contextmanager
def environment(env: Mapping[str, str], cwd: Path) -> Iterator[None]:
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def run_monitor(args: list[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with environment(env, cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
    return subprocess.CompletedProcess(["monitor", *args], code, out.getvalue(), err.getvalue())
