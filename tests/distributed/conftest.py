"""Distributed-mode fixtures: a fresh PostgreSQL database per test, config files, and `monitor` subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import PG_ADMIN_URL, ROOT, _postgres_available
from tests.e2e.servers import free_port


def spec(*paths: str, version: str = "1") -> bytes:
    """A small OpenAPI 3 document with one GET operation per path."""
    import orjson

    ops = {
        p: {"get": {"operationId": p.strip("/").replace("/", "_"), "responses": {"200": {"description": "ok"}}}}
        for p in paths
    }
    return orjson.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": version}, "paths": ops})


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (procrastinate's queue included), dropped afterwards."""
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    if not _postgres_available():
        reason = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: distributed mode needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"monitor_dist_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    from monitor.store.session import make_engine

    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def write_config(tmp_path: Path, database_url: str, specs: dict[str, dict[str, Any]], *, name: str = "monitor",
                 **extra: Any) -> Path:  # fmt: skip
    """A config with one platform `shop` holding `specs`, a 1-second tick, fast heartbeats and a free API port."""
    config = {
        "database_url": database_url,
        "contracts_dir": str(tmp_path / "contracts"),
        "allow_hosts": ["127.0.0.1"],
        "api": {"host": "127.0.0.1", "port": free_port(), **extra.pop("api", {})},
        "platforms": {"shop": {"specs": specs}},
        "distributed": {"tick": "* * * * * *", "heartbeat": "1s", "stalled_after": "3s"},
        **extra,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


class Processes:
    """`monitor ...` subprocesses of one test, stopped (SIGTERM, then SIGKILL) at the end; logs kept for failures."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"proc-{len(self.procs)}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("MONITOR_CONFIG", None)
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "monitor", *args], stdout=out, stderr=subprocess.STDOUT,
                                    env=env, cwd=self.tmp_path)  # fmt: skip
        self.procs.append((proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {' '.join(map(str, p.args))}\n{log.read_text()[-3000:]}" for p, log in self.procs)

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    yield procs
    procs.stop()


def wait_for(condition: Callable[[], Any], *, timeout_s: float, what: str, procs: Processes | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{procs.logs() if procs else ''}")
