"""`monitor demo`: the offline demo, with its URLs, what to watch, and the gate's changes printed as they happen."""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.app import app
from monitor.cli.common import configure_logging

if TYPE_CHECKING:
    from monitor.demo.run import Demo

WATCH_EVERY_S = 1.0
MIN_SPEED, MAX_SPEED = 0.1, 50.0


@app.command()
def demo(
    port: Annotated[int, typer.Option("--port", help="Port of the status API and dashboard (0: any free port).")] = 8765,
    speed: Annotated[
        float, typer.Option("--speed", help="Run the demo's clock this many times faster (2: versions every 10 s).")
    ] = 1.0,
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", help="Keep the config and database here (an empty or new folder); default: a "
                     "temporary folder removed on exit."),
    ] = None,
) -> None:  # fmt: skip
    """Run the whole service against a simulated marketplace on 127.0.0.1: the gate flips within a minute."""
    from monitor.demo.run import Demo
    from monitor.errors import InputError

    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InputError(f"--speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}, not {speed:g}")
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be between 0 and 65535, not {port}")
    if workdir is not None and workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
        raise InputError(f"{workdir}: --workdir must be an empty or new folder (the demo starts from nothing)")
    configure_logging(logging_level="WARNING")
    # at --speed 10 a sandbox run outlasts its interval and APScheduler warns of each skipped run: expected here
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # schemathesis's own use of `random` inside Hypothesis warns on every contract run: noise for a newcomer
    warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
    # Absolute, so the config it writes and the commands it prints work from any folder, not only this one.
    folder = (workdir or Path(tempfile.mkdtemp(prefix="monitor-demo-"))).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    restore = _stop_on_signals(stop)
    sys.stdout.write("starting: the marketplace, the database, a first poll and sandbox run, the API...\n")
    sys.stdout.flush()
    try:
        with Demo(workdir=folder, port=port, speed=speed, start_clock=False) as running:
            _banner(running, kept=workdir is not None)
            _watch(running, stop)
            sys.stdout.write("stopping...\n")
    finally:
        restore()
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write("stopped\n")


def _banner(d: Demo, *, kept: bool) -> None:
    step = d.timings.version_step.total_seconds()
    config = d.config_path
    lines = [
        "monitor demo: the Acme marketplace and the whole service on 127.0.0.1, no internet (Ctrl-C stops)",
        "",
        f"  dashboard    {d.dashboard_url}",
        f"  gate (JSON)  curl -H \"Authorization: Bearer $MONITOR_TOKEN\" '{d.gate_url}'",
        f"  API docs     {d.api_url}/docs",
        f"  marketplace  spec {d.spec_url}  feed {d.feed_url}  sandbox {d.marketplace_url}/orders",
        f"  config       {config}" + ("" if kept else "  (a temporary folder, removed on exit; --workdir keeps it)"),
        f"  API token    export MONITOR_TOKEN={d.token}   (this demo's only, admin scope, gone when it stops)",
        "",
        "What to watch (the dashboard refreshes itself every 10 s):",
        "  now        Acme Orders API 1.0.0 is live; the first poll pinned it as the contract of integration",
        "             order-sync, which uses listOrders, getOrder and getOrderItems. The gate passes once the",
        "             first sandbox contract run is in.",
        f"  {f'+{step:g} s':<9}  2.0.0 adds things (info changes) and the feed announces that buyerEmail will be",
        "             removed in 10 days: the gate warns.",
        f"  {f'+{2 * step:g} s':<9}  3.0.0 makes createdAfter required and removes buyerEmail: breaking drift on",
        "             used operations, and the sandbox contract run fails on them. The gate fails.",
        "",
        "Then try, in another terminal:",
        f"  monitor gate --integration order-sync --environment prod --config {config}   (exit 1: fail)",
        f"  monitor changes --against contract --config {config}",
        f"  monitor announcements --config {config}",
        f"  monitor contracts accept acme/orders --reason 'adapted to 3.0.0' --config {config}",
        "      (the drift is gone and the sandbox passes again; the gate warns: the announced removal is left)",
        f"  monitor ack create --announcement 2 --reason 'buyerEmail no longer read' --for 14d --author you --config {config}",
        "      (a waiver with an expiry: the gate passes)",
        "",
    ]  # fmt: skip
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _watch(d: Demo, stop: threading.Event) -> None:
    """Print each new marketplace version and each change of the gate's decision until stopped."""
    from sqlmodel import Session

    from monitor.demo.config import ENVIRONMENT, INTEGRATION
    from monitor.demo.marketplace import VERSION_NAMES
    from monitor.gate import evaluate

    started = time.monotonic()
    version, decision, failing = -1, "", ""
    while not stop.wait(0 if version < 0 else WATCH_EVERY_S):
        at = f"+{time.monotonic() - started:4.0f} s"
        if d.marketplace.version != version:
            version = d.marketplace.version
            sys.stdout.write(f"{at}  marketplace: Acme Orders API {VERSION_NAMES[version]} is live\n")
        assert d.engine is not None
        try:
            with Session(d.engine) as session:
                answer = evaluate(session=session, settings=d.settings, integration=INTEGRATION,  # type: ignore[arg-type]
                                  environment=ENVIRONMENT)  # fmt: skip
        except Exception as exc:  # the store is busy: say so once, try again next second
            if type(exc).__name__ != failing:
                failing = type(exc).__name__
                sys.stdout.write(f"{at}  gate: cannot evaluate now ({failing}); trying again\n")
            continue
        failing = ""
        if answer.decision != decision:
            decision = answer.decision
            top = answer.reasons[0].message if answer.reasons else "nothing the integration uses has changed"
            sys.stdout.write(f"{at}  gate {INTEGRATION} -> {ENVIRONMENT}: {decision.upper()}  ({top})\n")
        sys.stdout.flush()
        d.marketplace.begin()  # the clock starts once the first decision is shown (a no-op after that)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT (Ctrl-C) and SIGTERM set `stop`: the demo then shuts down in order (API, scheduler, marketplace)."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
