"""Dashboard fixtures: the real app served by uvicorn on 127.0.0.1 (the style of httpx's own tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from monitor.demo.serving import RunningServer, serve_in_thread


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], httpx.Client]]:
    """`serve(app)` starts the app on a free port and returns an httpx client on its URL; both stop after the test."""
    started: list[tuple[RunningServer, httpx.Client]] = []

    def start(app: FastAPI) -> httpx.Client:
        server = serve_in_thread(app)
        client = httpx.Client(base_url=server.url, timeout=10)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()
