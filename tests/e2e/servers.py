"""A local spec and feed host on 127.0.0.1: serves what the test puts in it, with ETags, 304s and hostile modes."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    mode: str = "normal"  # normal, huge, slow, redirect-loop
    content_type: str = "application/json"


@dataclass
class Host:
    """What the server serves, per path; tests swap bodies to replay real versions over time."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: int = 0
    not_modified: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, **kwargs: object) -> str:
        self.routes[path] = Route(body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def _handler(host: Host) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            with host.lock:
                host.requests += 1
            route = host.routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._reply(404, b"not found")
                return
            if route.mode == "redirect-loop":
                self.send_response(302)
                self.send_header("Location", self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.mode == "huge":
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.end_headers()  # no Content-Length: the client must stop at its own cap
                chunk = b"x" * 65536
                try:
                    for _ in range(100_000):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return
            if route.mode == "slow":
                time.sleep(1.5)
            etag = _etag(route.body)
            if route.status == 200 and self.headers.get("If-None-Match") == etag:
                with host.lock:
                    host.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._reply(route.status, route.body, etag if route.status == 200 else None, route.content_type)

        def _reply(self, status: int, body: bytes, etag: str | None = None, ctype: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers started as subprocesses)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_host() -> Iterator[Host]:
    host = Host()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(host))
    server.daemon_threads = True
    host.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
