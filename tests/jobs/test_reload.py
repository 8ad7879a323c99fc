"""`monitor run` picks up configuration edits without a restart: on file change and SIGHUP, validated first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from monitor.config import Settings, load_settings
from monitor.distributed.runtime import Runtime
from monitor.gate.tokens import new_token, token_hash
from monitor.jobs.reload import ConfigReloader
from tests.e2e.servers import free_port
from tests.jobs.spec_host import V1, SpecHost, orders_version


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def config(port: int, token: str, specs: dict[str, str]) -> str:
    data: dict[str, Any] = {
        "database_url": "sqlite:///monitor.db",  # relative to this file, not to where the service runs
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": "contracts",
        "api": {"port": port, "tokens": [{"name": "ci", "scopes": ["read"], "sha256": token_hash(token)}]},
        "platforms": {"amazon-sp-api": {"specs": {n: {"url": u, "every": "1h"} for n, u in specs.items()}}},
    }
    return yaml.safe_dump(data)


def status(port: int, token: str) -> httpx.Response:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/status", headers={"Authorization": f"Bearer {token}"},
                         timeout=5)  # fmt: skip
    except httpx.TransportError:
        return httpx.Response(599)


def test_the_running_service_applies_valid_edits_keeps_its_config_on_invalid_ones_and_reloads_on_sighup(
    host: SpecHost, tmp_path: Path
) -> None:
    folder, elsewhere = tmp_path / "etc", tmp_path / "cwd"
    folder.mkdir()
    elsewhere.mkdir()
    port, first, second = free_port(), new_token(), new_token()
    a, b = host.serve("/a.json", orders_version(V1)), host.serve("/b.json", orders_version(V1))
    file = folder / "monitor.yaml"
    file.write_text(config(port, first, {"a": a}))
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(file)], cwd=elsewhere,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: status(port, first).status_code == 200, what="the API with the first token")
        assert [s["id"] for s in status(port, first).json()["sources"]] == ["amazon-sp-api/a"]
        assert (folder / "monitor.db").is_file() and not (elsewhere / "monitor.db").exists()

        file.write_text(config(port, second, {"a": a, "b": b}))  # a new source and a rotated token
        wait_for(lambda: status(port, second).status_code == 200, what="the new token accepted")
        assert status(port, first).status_code == 401
        wait_for(lambda: any(s["id"] == "amazon-sp-api/b" and s["last_success_at"]
                             for s in status(port, second).json()["sources"]), what="the new source polled")  # fmt: skip

        file.write_text(file.read_text().replace("allow_hosts", "allow_hostz"))  # an invalid edit
        wait_for(lambda: any("configuration not reloaded" in line for line in lines), what="the refusal logged")
        refusal = next(line for line in lines if "configuration not reloaded" in line)
        assert "allow_hostz: unknown key" in refusal and "allow_hosts" in refusal
        assert status(port, second).status_code == 200 and proc.poll() is None  # still the running configuration

        file.write_text(config(port, second, {"a": a, "b": b}))
        wait_for(lambda: any("unchanged" in line for line in lines), what="the restored file read")
        unchanged = sum("unchanged" in line for line in lines)
        proc.send_signal(signal.SIGHUP)  # reread on demand; before, SIGHUP ended the service
        wait_for(lambda: sum("unchanged" in line for line in lines) > unchanged, what="SIGHUP handled")
        assert proc.poll() is None and status(port, second).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
        proc.stderr.close()  # type: ignore[union-attr]
    assert not any("Traceback" in line for line in lines), "".join(lines)


def test_a_distributed_worker_picks_up_new_sources(tmp_path: Path) -> None:
    file = tmp_path / "monitor.yaml"
    file.write_text(config(0, new_token(), {"a": "http://127.0.0.1:1/a.json"}))
    settings = load_settings(file, environ={})
    runtime = Runtime(settings=settings, engine=None, fetcher=None, app=None)  # type: ignore[arg-type]
    reloader = ConfigReloader(file, settings, runtime.apply, environ={})
    assert not reloader.check()  # nothing changed
    file.write_text(config(0, new_token(), {"a": "http://127.0.0.1:1/a.json", "b": "http://127.0.0.1:1/b.json"}))
    assert reloader.check()
    assert set(runtime.polls) == {("poll-specs", "amazon-sp-api/a"), ("poll-specs", "amazon-sp-api/b")}
    assert isinstance(runtime.settings, Settings) and len(runtime.settings.spec_sources()) == 2
    file.write_text("platforms: [")
    assert not reloader.check() and len(runtime.polls) == 2  # invalid: the running catalogue stays


def test_a_reload_replaces_changed_sources_keeps_unchanged_schedules_and_rebuilds_alert_routes(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from monitor.jobs.scheduler import apply_settings, build_scheduler
    from monitor.sources.fetcher import Fetcher, FetchPolicy
    from monitor.store.session import make_engine

    def settings(specs: dict[str, str], channel: str) -> Settings:
        data = yaml.safe_load(config(0, new_token(), specs))
        data["alerts"] = {"slack": {"token": "xoxb-1", "default_channel": channel}}
        return Settings.model_validate(data)

    now = datetime(2026, 3, 1, 14, 37, tzinfo=UTC)
    engine = make_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
        scheduler = build_scheduler(settings({"a": "http://127.0.0.1:1/a", "b": "http://127.0.0.1:1/b"}, "#one"),
                                    engine, fetcher, now=now)  # fmt: skip
        scheduler.start(paused=True)
        try:
            before = scheduler.get_job("poll-specs:amazon-sp-api/a").next_run_time
            apply_settings(scheduler, settings({"a": "http://127.0.0.1:1/a", "c": "http://127.0.0.1:1/c"}, "#two"),
                           now=now)  # fmt: skip
            ids = {job.id for job in scheduler.get_jobs()}
            assert "poll-specs:amazon-sp-api/b" not in ids and "poll-specs:amazon-sp-api/c" in ids
            assert scheduler.get_job("poll-specs:amazon-sp-api/a").next_run_time == before  # no burst after an edit
            assert scheduler.get_job("poll-specs:amazon-sp-api/c").next_run_time == now  # a new source runs now
            dispatcher = scheduler.get_job("deliver-alerts").args[0]
            assert dispatcher.settings.alerts.slack.default_channel == "#two"
        finally:
            scheduler.shutdown(wait=False)
    engine.dispose()
