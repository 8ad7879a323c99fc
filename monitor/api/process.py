"""`monitor run`'s status API in a child process of its own, started, watched and stopped by the service.

Why a process: the scheduler's poll threads are busy in Python, and while they held the GIL the API's event loop
waited for it at every socket read, write and thread hand-off of a request (py-spy, bench/gate_bench.py: gate p99
27-53 ms while polls ran in the same interpreter, 4 ms quiet). In a process of its own the API competes with the
polls only for the CPU, which the operating system shares out far more finely.

What crosses between the two processes, over one pipe made at spawn:
- child -> service, once: ("ready", port) when it listens, or ("failed", reason) when it cannot;
- service -> child: ("settings", Settings) when the configuration is reloaded, ("stop",) at shutdown.
The pipe is also the child's lifeline: if the service dies, even by SIGKILL, the child reads end-of-file and
stops, so no orphan keeps the port. The scheduler's heartbeat (`/status`'s `scheduler_alive`) is a double in
shared memory (monitor/health.py). Everything else the API reads (decisions, waivers, readiness) is in the
database, and the decision cache and its invalidation (waivers changed through the API) live in the child.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.engine import Engine

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.health import Heartbeat, heartbeat

log = logging.getLogger("monitor.api")

STARTUP_TIMEOUT_S = 60.0  # a fresh interpreter imports FastAPI, SQLAlchemy and the app: seconds on a loaded host
STOP_TIMEOUT_S = 20.0  # uvicorn drains open requests and the recorder writes the last decisions
RESTART_BACKOFF_S = (1.0, 60.0)  # first and longest wait before starting a crashed API again
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as `monitor run` logs (cli/common.py)


class ApiProcess:
    """The status API in a supervised child process: `start()` returns once it listens (or raises ConfigError),
    `supervise()` (called by the service's main loop) restarts it if it died, `stop()` ends it cleanly."""

    def __init__(self, settings: Settings, *, beat: Heartbeat = heartbeat) -> None:
        self.settings = settings
        self.host = settings.api.host
        self._beat = beat.shared()
        self._context = multiprocessing.get_context("spawn")  # no fork of a process running threads
        self._process: Any = None
        self._conn: Connection | None = None
        self._port = settings.api.port
        self._backoff_s = RESTART_BACKOFF_S[0]
        self._restart_at: float | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> ApiProcess:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve_in_child, name="monitor-api",
                                        args=(self.settings, theirs, self._beat, logging.getLogger().level))  # fmt: skip
        process.start()
        theirs.close()  # only the child holds its end: when the child dies, our reads see end-of-file
        where = f"{self.host}:{self.settings.api.port}"
        try:
            message = ours.recv() if ours.poll(STARTUP_TIMEOUT_S) else ("failed", f"the status API on {where} did "
                                                                       "not start in time")  # fmt: skip
        except EOFError:
            process.join(5)
            message = ("failed", f"the status API on {where} exited at start with code {process.exitcode}")
        if message[0] != "ready":
            ours.close()
            _end(process)
            raise ConfigError(message[1])
        self._process, self._conn, self._port = process, ours, int(message[1])
        return self

    def reconfigure(self, settings: Settings) -> None:
        """A reloaded configuration: tokens, integrations and gate policy reach the running API (and a restart).
        Its address stays the one it started on (the reloader says so: it takes effect at the next restart)."""
        api = settings.api.model_copy(update={"host": self.settings.api.host, "port": self.settings.api.port})
        settings = self.settings = settings.model_copy(update={"api": api})
        if self._conn is not None and self._process.is_alive():
            with contextlib.suppress(OSError):  # it has just died: `supervise` restarts it, with these settings
                self._conn.send(("settings", settings))

    def supervise(self) -> None:
        """Restart the API if its process died (a crash, the OOM killer), with a growing pause between attempts."""
        if self._process is None or self._process.is_alive():
            return
        now = time.monotonic()
        if self._restart_at is None:
            log.error("the status API process (pid %s) exited with code %s; restarting it in %.0f s",
                      self._process.pid, self._process.exitcode, self._backoff_s)  # fmt: skip
            self._restart_at = now + self._backoff_s
        if now < self._restart_at:
            return
        dead = self._process
        if self._conn is not None:
            self._conn.close()
        try:
            self.start()
        except ConfigError as exc:
            self._process = dead  # still dead: tried again after a longer pause
            self._conn = None
            self._backoff_s = min(self._backoff_s * 2, RESTART_BACKOFF_S[1])
            self._restart_at = time.monotonic() + self._backoff_s
            log.error("%s; trying again in %.0f s", exc, self._backoff_s)
            return
        self._restart_at, self._backoff_s = None, RESTART_BACKOFF_S[0]
        log.info("status API restarted (pid %s) on %s", self._process.pid, self.url)

    def stop(self) -> None:
        """Ask the child to drain and stop; terminate it if it does not within STOP_TIMEOUT_S."""
        if self._process is None:
            return
        if self._conn is not None:
            with contextlib.suppress(OSError):  # already gone
                self._conn.send(("stop",))
        self._process.join(STOP_TIMEOUT_S)
        _end(self._process)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None


def _end(process: Any) -> None:
    if process.is_alive():
        log.warning("the status API process (pid %s) did not stop in time: terminating it", process.pid)
        process.terminate()
        process.join(5)
    if process.is_alive():
        process.kill()
        process.join(5)


def serve_status_api(settings: Settings, _engine: Engine, beat: Heartbeat = heartbeat) -> ApiProcess | None:
    """The status API (gate, health, metrics) on `api.host:api.port` in its own process beside the scheduler; None
    when it cannot listen: polls keep running, since losing the API must not stop change detection."""
    try:
        api = ApiProcess(settings, beat=beat).start()
    except ConfigError as exc:
        log.error("%s; the scheduler runs without it", exc)
        return None
    log.info("status API listening on %s (process %s)", api.url, api.pid)
    return api


def serve_in_child(settings: Settings, conn: Connection, beat: Any, log_level: int) -> None:
    """The child's whole life: serve until the service says stop, SIGTERM arrives, or the service is gone."""
    from monitor.api.app import create_app
    from monitor.api.server import ApiServer
    from monitor.jobs.reload import reconfigure_app
    from monitor.store.session import make_engine

    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    # Ctrl-C reaches the whole process group: the service stops us in order (after its own signal handling).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    engine = make_engine(settings.database_url)
    try:
        try:
            server = ApiServer(create_app(settings, engine, beat=Heartbeat.reading(beat)), host=settings.api.host,
                               port=settings.api.port, freeze_heap=True).start()  # fmt: skip
        except ConfigError as exc:
            conn.send(("failed", str(exc)))
            raise SystemExit(1) from None
        conn.send(("ready", server.port))
        try:
            while not stop.is_set():
                if not conn.poll(0.5):
                    continue
                message = conn.recv()
                if message[0] == "settings":
                    reconfigure_app(server.app, message[1])
                elif message[0] == "stop":
                    break
        except (EOFError, OSError):
            log.warning("the service process is gone: the status API stops")
        finally:
            server.stop()
    finally:
        engine.dispose()
