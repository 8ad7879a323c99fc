"""A local spec host on 127.0.0.1 for job tests: serves real corpus files in place, with ETags, 304s and failures."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from monitor.config import Settings
from tests.conftest import require_corpus

PLATFORM = "amazon-sp-api"


def orders_version(prefix: str) -> Path:
    """A real ordersV0 version from the corpus, by the commit prefix of its file name (read in place)."""
    (path,) = (require_corpus() / "amazon" / "ordersV0").glob(f"{prefix}_*.json")
    return path


# A real pair: the 2023-02-08 model removed POST .../shipmentConfirmation (1 breaking, 8 info changes).
V1, V2 = "955fe207", "b04225f1"


class SpecHost:
    """Paths map to corpus files (read at each request, so a test moves a source to a new version by re-pointing it).

    `fail(path)` answers 404 (not retried by the fetcher), `hang(path)` holds the request until `release` is set.
    """

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.modes: dict[str, str] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.connections: Counter[tuple[str, int]] = Counter()  # requests per client connection (keep-alive)
        self.release = threading.Event()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, file: Path) -> str:
        self.files[path] = file
        self.modes.pop(path, None)
        return self.url(path)

    def fail(self, path: str) -> str:
        self.modes[path] = "fail"
        return self.url(path)

    def hang(self, path: str) -> str:
        self.modes[path] = "hang"
        return self.url(path)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def _handler(host: SpecHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            with host.lock:
                host.hits[self.path] += 1
                host.connections[self.client_address] += 1
            mode = host.modes.get(self.path)
            if mode == "hang":
                host.release.wait(30)
            file = host.files.get(self.path)
            if mode == "fail" or file is None:
                self._reply(404, b"not found")
                return
            body = file.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                with host.lock:
                    host.not_modified[self.path] += 1
                self._reply(304, b"", etag)
                return
            self._reply(200, body, etag)

        def _reply(self, status: int, body: bytes, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


@contextmanager
def running_spec_host() -> Iterator[SpecHost]:
    host = SpecHost()
    host.start()
    try:
        yield host
    finally:
        host.stop()


def config_data(tmp_path: Path, database_url: str, specs: dict[str, str], *, every: str = "1h",
                feeds: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A configuration watching `specs` (name -> URL) and `feeds` on the local host, contracts under tmp_path."""
    platform: dict[str, Any] = {"specs": {name: {"url": url, "every": every} for name, url in specs.items()}}
    if feeds:
        platform["feeds"] = {name: {"url": url, "every": every} for name, url in feeds.items()}
    return {
        "database_url": database_url,
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": str(tmp_path / "contracts"),
        # any free port: `monitor run` serves the API, and a fixed 8080 collides with parallel runs (xdist, a demo)
        "api": {"host": "127.0.0.1", "port": 0},
        "platforms": {PLATFORM: platform},
    }


def settings_for(tmp_path: Path, database_url: str, specs: dict[str, str], **kwargs: Any) -> Settings:
    return Settings.model_validate(config_data(tmp_path, database_url, specs, **kwargs))


def write_config(tmp_path: Path, database_url: str, specs: dict[str, str], **kwargs: Any) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        yaml.safe_dump(config_data(tmp_path, database_url, specs, **kwargs), sort_keys=False), encoding="utf-8"
    )
    return path
