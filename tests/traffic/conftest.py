"""Traffic fixtures: the CLI run in process, a config with a store, and HAR entries built in memory."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from monitor.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `monitor ARGS` in this process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


def write_config(folder: Path, database_url: str, extra: str = "") -> Path:
    path = folder / "monitor.yaml"
    path.write_text(f"database_url: {database_url}\ncontracts_dir: {folder / 'contracts'}\n{extra}", encoding="utf-8")
    return path


def entry(method: str, url: str, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
          request_body: Any = None, at: str = "2026-12-01T10:00:00Z", media: str = "application/json") -> dict[str, Any]:  # fmt: skip
    """One HAR entry as browsers and mitmproxy write them."""
    request: dict[str, Any] = {"method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                               "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
                               "queryString": [], "headersSize": -1, "bodySize": -1}  # fmt: skip
    if request_body is not None:
        request["postData"] = {"mimeType": "application/json", "text": json.dumps(request_body)}
    content: dict[str, Any] = {"size": 0, "mimeType": media}
    if body is not None:
        content["text"] = body if isinstance(body, str) else json.dumps(body)
    return {"startedDateTime": at, "time": 1, "request": request,
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                         "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}  # fmt: skip


def write_har(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                           "entries": entries}}))  # fmt: skip
    return path


@contextmanager
def recording(upstream: str, out: Path, config: Path, probe: str = "/") -> Iterator[str]:
    """`monitor record --upstream UPSTREAM --port 0 --out OUT` as a process; yields its URL, stops it with Ctrl-C."""
    process = subprocess.Popen([sys.executable, "-m", "monitor", "record", "--upstream", upstream, "--port", "0",
                                "--out", str(out), "--config", str(config)], stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stderr is not None
    try:
        line = process.stderr.readline()
        url = line.split()[1]
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + probe, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, line
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        process.stderr.close()


def har_entries(out: Path, count: int, timeout_s: float = 10) -> list[dict[str, Any]]:
    """The capture's entries once it holds `count` (each is written after its answer was relayed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            entries = json.loads(out.read_text())["log"]["entries"]
        except json.JSONDecodeError:  # read while an append rewrote the tail: the old document plus the new bytes
            if time.monotonic() > deadline:
                raise
            entries = []
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.02)
