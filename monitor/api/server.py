"""Run the status API with uvicorn in a background thread (in the API process of `monitor run`, in `monitor run
--mode distributed`, in tests and in the benchmark)."""

from __future__ import annotations

import gc
import sys
import threading
import time

import uvicorn
from fastapi import FastAPI

from monitor.api.limits import DEFAULT_MAX_HEADER_BYTES, HeadLimitedHttpTools
from monitor.errors import ConfigError

STARTUP_TIMEOUT_S = 10.0
SWITCH_INTERVAL_S = 0.001


class ApiServer:
    """uvicorn in a daemon thread: `start()` returns once it listens (or raises), `stop()` drains and joins."""

    def __init__(
        self,
        app: FastAPI,
        *,
        host: str,
        port: int,
        log_level: str = "warning",
        max_header_bytes: int | None = None,
        freeze_heap: bool = False,
    ) -> None:
        self._freeze_heap = freeze_heap
        settings = getattr(app.state, "settings", None)
        if max_header_bytes is None:
            max_header_bytes = settings.api.max_header_bytes if settings is not None else DEFAULT_MAX_HEADER_BYTES
        # httptools with a cap on the request head (monitor.api.limits); h11, if ever chosen, reads the same number.
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
                                http=HeadLimitedHttpTools, h11_max_incomplete_event_size=max_header_bytes)  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="monitor-api", daemon=True)
        self.host = host
        self.app = app  # a configuration reload reaches its `state`

    @property
    def port(self) -> int:
        """The bound port (the real one when asked for port 0)."""
        servers = getattr(self._server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self._server.config.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ApiServer:
        # The API shares its process with CPU-bound threads (poll diffs, gate evaluations); Python's default 5 ms
        # switch interval lets each of them hold the GIL that long against the event loop, on every request.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        if self._freeze_heap:
            freeze_heap()
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                # uvicorn logs the cause (address in use, permission); the process goes on without the API.
                raise ConfigError(f"the status API could not listen on {self.host}:{self._server.config.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


def freeze_heap() -> None:
    """Move every object alive now (settings, app, mappers, caches) out of the cyclic collector's sight, for good.

    A full collection walks every tracked object with the GIL held, the event loop included: in the service
    process (a large configuration, the app, SQLAlchemy's registry) the ones a poll cycle's allocations trigger
    took 65-122 ms each, which was the gate's p99 while polls ran (bench/gate_bench.py: 87-148 ms, 21 ms after
    freezing). Garbage is collected first, so nothing that is garbage now is kept; what later becomes garbage
    among the frozen objects stays, which for a service's long-lived objects is what happens anyway.
    """
    gc.collect()
    gc.freeze()
