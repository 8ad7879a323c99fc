"""A source whose server trickles its response headers cannot hold the service: each poll ends at the fetch deadline
with an error on the source's health, the next runs still happen, and stopping waits no longer than the deadline."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.jobs.scheduler import Heartbeat, start_service
from monitor.sources.fetcher import FetchPolicy
from monitor.store import queries
from monitor.store.session import make_engine, session_scope
from tests.jobs.spec_host import PLATFORM, settings_for
from tests.jobs.test_scheduler import wait_for

DEADLINE_S = 0.5
SOURCE = f"{PLATFORM}/orders-slow"


class _Trickle(socketserver.BaseRequestHandler):
    """The status line, then one header byte every 0.1 s for as long as the client listens (at most 60 s)."""

    server: _TrickleServer

    def handle(self) -> None:
        self.server.connections += 1
        try:
            self.request.recv(65536)
            self.request.sendall(b"HTTP/1.1 200 OK\r\n")
            stop_at = time.monotonic() + 60
            while time.monotonic() < stop_at and not self.server.release.wait(0.1):
                self.request.sendall(b"X")
        except OSError:
            return  # the client hung up: what the deadline should make it do


class _TrickleServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Trickle)
        self.release = threading.Event()
        self.connections = 0


@pytest.fixture
def trickle() -> Iterator[_TrickleServer]:
    server = _TrickleServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _failures(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            row = next((s for s in queries.list_sources(session=session) if s.id == SOURCE), None)
            if row is None:
                return 0
            assert row.last_error is None or "deadline passed" in row.last_error, row.last_error
            return row.consecutive_failures
    finally:
        engine.dispose()


def test_trickled_headers_fail_each_poll_at_the_deadline_and_stop_is_prompt(
    trickle: _TrickleServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    port = trickle.server_address[1]
    settings = settings_for(tmp_path, url, {"orders-slow": f"http://127.0.0.1:{port}/spec.json"}, every="1s")
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), read_timeout_s=5.0, deadline_s=DEADLINE_S, retries=0)
    stop = threading.Event()
    beat = Heartbeat()
    service = threading.Thread(
        target=start_service, args=(settings,), kwargs={"stop": stop, "beat": beat,
                                                        "policy": policy}, daemon=True)  # fmt: skip
    service.start()
    try:
        wait_for(lambda: beat.last_beat_at is not None or not service.is_alive())
        # Two failed polls: the first ended at the deadline (recorded on the source), so the next was not skipped.
        wait_for(lambda: _failures(url) >= 2, timeout_s=10)
    finally:
        wait_for(lambda: trickle.connections > 2, timeout_s=5)  # a third poll is now waiting on the trickle
        stopped_at = time.monotonic()
        stop.set()
        service.join(10)
    assert not service.is_alive()
    assert time.monotonic() - stopped_at < DEADLINE_S + 1.5  # the running poll ended at its deadline, not the server's
    with socket.create_connection(("127.0.0.1", port)):
        pass  # the server is still trickling: it was the client that gave up
