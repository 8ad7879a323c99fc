"""Traffic fixtures: the CLI run in process, a config with a store, and HAR entries built in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
