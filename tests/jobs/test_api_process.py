"""`monitor run` serves the status API from a supervised child process: it answers while the service polls, comes
back when killed, and never outlives the service (clean stop, or the service killed outright)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from monitor.gate.tokens import new_token, token_hash
from monitor.health import Heartbeat
from tests.e2e.servers import free_port
from tests.jobs.spec_host import PLATFORM, V1, SpecHost, config_data, orders_version

TOKEN = new_token()


def wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def api_children(pid: int) -> list[int]:
    """Live child processes of `pid` that multiprocessing spawned (the API), not its resource tracker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
        if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def get(port: int, path: str) -> httpx.Response:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    except httpx.TransportError:
        return httpx.Response(599)


@contextmanager
def monitor_run(tmp_path: Path, database_url: str, host: SpecHost, port: int) -> Iterator[subprocess.Popen[str]]:
    """`monitor run` on a config watching one spec of the local host, its API on `port`; stderr kept in a file."""
    data = config_data(tmp_path, database_url, {"orders": host.serve("/orders.json", orders_version(V1))})
    data["api"] = {"host": "127.0.0.1", "port": port, "decision_cache": "0s",
                   "tokens": [{"name": "ci", "scopes": ["gate"], "sha256": token_hash(TOKEN)}]}  # fmt: skip
    data["integrations"] = {
        "order-sync": {"uses": {f"{PLATFORM}/orders": ["getOrders"]}, "environments": {"production": {}}}
    }
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    log = (tmp_path / "service.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], stderr=log,
                            stdout=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()


def test_monitor_run_serves_the_gate_from_a_child_that_is_restarted_and_stopped_with_it(
    host: SpecHost, tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    with monitor_run(tmp_path, database_url, host, port) as proc:
        wait_for(lambda: get(port, "/readyz").status_code == 200, what="the API")
        (api,) = api_children(proc.pid)  # the API runs in a process of its own, not in the service's
        wait_for(lambda: host.hits["/orders.json"] >= 1, what="the service polled")
        gate = get(port, "/api/v1/gate?integration=order-sync&environment=production")
        assert gate.status_code == 200 and gate.json()["decision"] in ("pass", "warn"), gate.text
        # The scheduler's heartbeat crosses into the API's process: its /status says the scheduler is alive.
        assert get(port, "/api/v1/status").json()["scheduler_alive"] is True

        os.kill(api, signal.SIGKILL)  # a crash of the API: the service starts it again, and polls on meanwhile
        wait_for(lambda: not alive(api), what="the API killed")
        wait_for(lambda: get(port, "/readyz").status_code == 200 and api_children(proc.pid) not in ([], [api]),
                 what="the API restarted")  # fmt: skip
        (again,) = api_children(proc.pid)
        assert again != api and proc.poll() is None
        assert get(port, "/api/v1/gate?integration=order-sync&environment=production").status_code == 200

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert not alive(again), "the API process outlived the service"
    log = (tmp_path / "service.log").read_text()
    assert "exited with code -9; restarting it" in log and "status API restarted" in log, log
    assert "Traceback" not in log, log


def test_the_api_process_stops_by_itself_when_the_service_is_killed(host: SpecHost, tmp_path: Path) -> None:
    port = free_port()
    with monitor_run(tmp_path, f"sqlite:///{tmp_path / 'monitor.db'}", host, port) as proc:
        wait_for(lambda: get(port, "/readyz").status_code == 200, what="the API")
        (api,) = api_children(proc.pid)
        proc.kill()  # SIGKILL: no handler runs in the service; the child sees its pipe close
        proc.wait(10)
        wait_for(lambda: not alive(api), timeout_s=20, what="the orphaned API to stop")
        assert get(port, "/healthz").status_code == 599  # nobody keeps the port


def test_a_heartbeat_shared_with_a_spawned_process_is_read_there() -> None:
    import multiprocessing

    beat = Heartbeat()
    ctx = multiprocessing.get_context("spawn")
    asks, answers = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_report_beats, args=(beat.shared(), asks, answers))
    child.start()
    try:
        asks.put("when")
        assert answers.get(timeout=30) is None  # no beat yet
        beat.beat()
        asks.put("when")
        seen = answers.get(timeout=30)
        assert seen is not None and abs(seen - beat.last_beat_at.timestamp()) < 0.001  # type: ignore[union-attr]
        asks.put("done")
    finally:
        child.join(30)
    assert child.exitcode == 0


def _report_beats(shared: Any, asks: Any, answers: Any) -> None:
    reading = Heartbeat.reading(shared)
    while asks.get(timeout=30) == "when":
        at = reading.last_beat_at
        answers.put(None if at is None else at.timestamp())


def test_an_api_that_cannot_listen_is_reported_and_the_service_runs_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.api.process import serve_status_api
    from monitor.config import Settings

    with socket.socket() as taken:  # the port is someone else's
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings.model_validate({"database_url": f"sqlite:///{tmp_path / 'monitor.db'}",
                                            "api": {"host": "127.0.0.1", "port": port}})  # fmt: skip
        with caplog.at_level(logging.ERROR, logger="monitor.api"):
            assert serve_status_api(settings, None) is None  # type: ignore[arg-type]  # the engine is not used
    assert f"the status API could not listen on 127.0.0.1:{port}; the scheduler runs without it" in caplog.text
