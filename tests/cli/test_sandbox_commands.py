"""`monitor test` as a subprocess against `monitor sandbox serve` of the real sellers model."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import free_port
from tests.sandbox.test_replica import latest

pytestmark = pytest.mark.corpus
PARTICIPATIONS = "getMarketplaceParticipations"
PARTICIPATIONS_LABEL = "GET /sellers/v1/marketplaceParticipations"


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def spec() -> Path:
    return latest("sellers")


@pytest.fixture(scope="module")
def base_url(spec: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "sandbox", "serve", str(spec), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the replica did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the stderr pipe


def test_passing_operation_exits_0_with_a_table_and_junit(spec: Path, base_url: str, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    proc = monitor("test", str(spec), "--base-url", base_url, "--operation", PARTICIPATIONS, "--junit", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PARTICIPATIONS_LABEL in proc.stdout and "passed" in proc.stdout
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "0"
    [case] = suite.findall("testcase")
    assert case.get("name") == PARTICIPATIONS_LABEL and list(case) == []


def test_json_format(spec: Path, base_url: str) -> None:
    proc = monitor("test", str(spec), "--base-url", base_url, "--operation", PARTICIPATIONS, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [op] = json.loads(proc.stdout)
    assert op["label"] == PARTICIPATIONS_LABEL and op["status"] == "passed" and op["cases"] >= 1


def test_failures_exit_1(spec: Path, tmp_path: Path) -> None:
    planted = json.loads(spec.read_text())
    item = planted["paths"]["/sellers/v1/marketplaceParticipations"]["get"]["responses"]["200"]
    del item["x-amzn-api-sandbox"]["static"][0]["response"]["payload"][0]["marketplace"]["id"]
    served = tmp_path / "planted.json"
    served.write_text(json.dumps(planted))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "monitor", "sandbox", "serve", str(served), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the replica did not start"
                time.sleep(0.05)
        report = tmp_path / "junit.xml"
        url = f"http://127.0.0.1:{port}"
        proc = monitor("test", str(spec), "--base-url", url, "--operation", PARTICIPATIONS, "--junit", str(report))
    finally:
        server.terminate()
        server.wait(10)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "response_schema_conformance" in proc.stdout
    [failure] = ET.parse(report).getroot().findall("testsuite/testcase/failure")
    assert "response_schema_conformance" in (failure.get("message") or "")


def test_bad_input_exits_2_with_one_line(spec: Path, tmp_path: Path) -> None:
    for args in (
        ("test", str(tmp_path / "missing.json"), "--base-url", "http://127.0.0.1:9"),
        ("test", str(spec), "--base-url", "http://127.0.0.1:9", "--operation", "noSuchOperation"),
        ("test", str(spec), "--base-url", "not-a-url"),
    ):
        proc = monitor(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr


def test_unreachable_base_url_exits_3(spec: Path) -> None:
    proc = monitor("test", str(spec), "--base-url", f"http://127.0.0.1:{free_port()}", "--operation", PARTICIPATIONS)
    assert proc.returncode == 3, proc.stdout + proc.stderr
