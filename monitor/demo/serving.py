"""Serve an ASGI app with uvicorn in a background thread on 127.0.0.1, and stop it cleanly."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from monitor.errors import InputError

START_TIMEOUT_S = 10.0


@dataclass
class RunningServer:
    """A started server: its base URL, and `stop()` which waits for in-flight requests and the thread."""

    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout_s: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout_s)


def serve_in_thread(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, lifespan: str = "auto", log_level: str = "warning"
) -> RunningServer:
    """Start `app` on `host:port` (0: a free port) and return once it accepts connections.

    Uvicorn installs no signal handlers outside the main thread: the caller owns SIGINT/SIGTERM and calls `stop()`.
    """
    config = uvicorn.Config(app, host=host, port=port, lifespan=lifespan, log_level=log_level,  # type: ignore[arg-type]
                            access_log=False)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port or 'any'}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise InputError(f"cannot serve on {host}:{port}: the port is in use or not allowed (try another --port)")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(server, thread, host, int(bound))
