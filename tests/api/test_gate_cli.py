"""`monitor gate`, `monitor ack` and `monitor token` run for real against a running API and a local database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import orjson
import pytest
import yaml

from monitor.config import load_settings
from monitor.gate.tokens import token_hash
from monitor.store.migrate import upgrade
from monitor.store.session import make_engine
from tests.api.conftest import TOKENS, Seeded, api_settings_dict, seed, serving
from tests.cli.inprocess import run_monitor

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    config: Path
    url: str
    seeded: Seeded


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("gate-cli")
    url = f"sqlite:///{folder / 'monitor.db'}"
    upgrade(url)
    engine = make_engine(url)
    seeded = seed(engine)
    config = folder / "monitor.yaml"
    # No decision cache: these tests change waivers from another process and expect the next answer to see it.
    config.write_text(yaml.safe_dump(api_settings_dict(url, decision_cache="0s")), encoding="utf-8")
    with serving(load_settings(config), engine) as server:
        yield Service(config, server.url, seeded)
    engine.dispose()


def monitor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process (the console script's `main`; tests/cli start real processes), ~1.5 s less each."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | (env or {})
    return run_monitor(list(args), env=environ, cwd=ROOT)


def gate(service: Service, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return monitor("gate", "--url", service.url, "--config", str(service.config), *args,
                   env={"MONITOR_TOKEN": TOKENS["gate"]} | (env or {}))  # fmt: skip


def test_exit_codes_pass_fail_unknown_against_the_running_api(service: Service) -> None:
    passed = gate(service, "-i", "order-sync", "-e", "lenient")
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("order-sync -> lenient: PASS (deployable)")
    failed = gate(service, "-i", "order-sync", "-e", "production", "--version", "1.4.0")
    assert failed.returncode == 1
    assert "FAIL (not deployable)" in failed.stdout and f"/api/v1/changes/{service.seeded.change_id}" in failed.stdout
    unknown = gate(service, "-i", "invoice-sync", "-e", "production")
    assert unknown.returncode == 3 and "never polled" in unknown.stdout
    report_only = gate(service, "-i", "order-sync", "-e", "staging")
    assert report_only.returncode == 0 and "report-only" in report_only.stdout


def test_unreachable_service_is_unknown_after_its_retries(service: Service) -> None:
    result = monitor("gate", "-i", "order-sync", "-e", "production", "--url", "http://127.0.0.1:9",
                     "--retry-while-unknown", "2", "--retry-interval", "0")  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.count("asking again") == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: http://127.0.0.1:9/api/v1/gate: ConnectError")


def test_dry_run_prints_and_exits_0_the_break_glass_switch(service: Service) -> None:
    flag = gate(service, "-i", "order-sync", "-e", "production", "--dry-run")
    assert flag.returncode == 0 and "FAIL" in flag.stdout and "would exit 1" in flag.stderr
    env = gate(service, "-i", "order-sync", "-e", "production", env={"MONITOR_GATE_DRY_RUN": "1"})
    assert env.returncode == 0


def test_bad_token_and_unknown_integration_are_bad_input(service: Service) -> None:
    bad = gate(service, "-i", "order-sync", "-e", "production", "--token", "mon_wrong")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "HTTP 401" in bad.stderr
    assert "mon_wrong" not in bad.stderr + bad.stdout
    unknown = gate(service, "-i", "nope", "-e", "production")
    assert unknown.returncode == 2 and "unknown integration 'nope'" in unknown.stderr
    read_only = gate(service, "-i", "order-sync", "-e", "production", env={"MONITOR_TOKEN": TOKENS["read"]})
    assert read_only.returncode == 2 and "HTTP 403" in read_only.stderr


def test_formats_json_junit_and_github_actions(service: Service) -> None:
    as_json = orjson.loads(gate(service, "-i", "order-sync", "-e", "production", "-f", "json").stdout)
    assert as_json["decision"] == "fail" and as_json["reasons"][0]["kind"] == "drift"
    junit = ET.fromstring(gate(service, "-i", "order-sync", "-e", "production", "-f", "junit").stdout)
    suite = junit.find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    github = gate(service, "-i", "order-sync", "-e", "production", "-f", "githubactions").stdout.splitlines()
    assert github[0].startswith("::error title=gate fail%3A drift::")
    assert github[-1].startswith("::error title=monitor gate::order-sync -> production: FAIL")


def test_local_database_ack_and_token_commands(service: Service) -> None:
    config = str(service.config)
    local = monitor("gate", "-i", "order-sync", "-e", "production", "--config", config)
    assert local.returncode == 1 and "FAIL" in local.stdout
    no_expiry = monitor("ack", "create", "--change", str(service.seeded.change_id), "--reason", "r", "--author", "ana",
                        "--config", config)  # fmt: skip
    assert no_expiry.returncode == 2 and "must expire" in no_expiry.stderr
    created = monitor("ack", "create", "--change", str(service.seeded.change_id), "--reason", "fixed in 1.5",
                      "--author", "ana", "--for", "14d", "--integration", "order-sync", "--config", config)  # fmt: skip
    assert created.returncode == 0, created.stderr
    waiver_id = created.stdout.split()[1].rstrip(":")
    assert gate(service, "-i", "order-sync", "-e", "production").returncode == 0  # the running API sees it
    listed = orjson.loads(monitor("ack", "list", "-f", "json", "--config", config).stdout)
    assert [w["id"] for w in listed] == [int(waiver_id), service.seeded.waiver_id]
    assert monitor("ack", "revoke", waiver_id, "--by", "ana", "--config", config).returncode == 0
    assert gate(service, "-i", "order-sync", "-e", "production").returncode == 1
    token = monitor("token", "create", "--name", "ci", "--scopes", "gate")
    assert token.returncode == 0
    secret = token.stdout.split()[1]
    line = token.stdout.strip().splitlines()[-1].strip()
    assert line == f"- {{name: ci, scopes: [gate], sha256: {token_hash(secret)}}}"
    assert yaml.safe_load(line)[0]["sha256"] == token_hash(secret)


def test_monitor_run_serves_the_api_beside_the_scheduler(tmp_path: Path) -> None:
    from monitor.api.process import serve_status_api
    from monitor.jobs.scheduler import Heartbeat, start_service

    url = f"sqlite:///{tmp_path / 'svc.db'}"
    data = api_settings_dict(url)
    data["platforms"] = {}
    with socket.socket() as sock:  # a free port: bind 0 and read it back
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data["api"]["port"] = port
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    stop = threading.Event()
    thread = threading.Thread(target=start_service, args=(load_settings(config),),
                              kwargs={"stop": stop, "beat": Heartbeat(), "serve_api": serve_status_api})  # fmt: skip
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/gate", params={"integration": "order-sync",
                           "environment": "production"}, headers={"Authorization": f"Bearer {TOKENS['gate']}"})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["decision"] == "unknown"
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()


def test_acks_through_the_api_with_an_admin_token(service: Service) -> None:
    remote = ["--url", service.url, "--token-env", "ADMIN_TOKEN"]
    env = {"ADMIN_TOKEN": TOKENS["admin"]}
    created = monitor("ack", "create", "--change", str(service.seeded.change_id), "--reason", "fixed in 1.5",
                      "--author", "ana", "--expires", "2099-12-31", *remote, env=env)  # fmt: skip
    assert created.returncode == 0, created.stderr
    waiver_id = created.stdout.split()[1].rstrip(":")
    assert "until 2099-12-31 23:59:59 UTC" in created.stdout
    assert gate(service, "-i", "order-sync", "-e", "production").returncode == 0
    listed = orjson.loads(monitor("ack", "list", "-f", "json", *remote, env=env).stdout)
    assert int(waiver_id) in [w["id"] for w in listed]
    assert monitor("ack", "revoke", waiver_id, *remote, env=env).returncode == 0
    assert gate(service, "-i", "order-sync", "-e", "production").returncode == 1
    refused = monitor("ack", "revoke", waiver_id, "--url", service.url, env={"MONITOR_TOKEN": TOKENS["gate"]})
    assert refused.returncode == 2 and "HTTP 403" in refused.stderr
