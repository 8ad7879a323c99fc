"""`monitor record` run for real: a reverse proxy that relays answers unchanged and appends masked HAR entries."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.sandbox.test_runner import serving
from tests.traffic.conftest import har_entries, recording, write_config

TOKEN = "Atza|RECORD-CANARY-token"
BIG = 2 * 1024 * 1024  # over the configured 1 MiB body limit


def upstream_app() -> Starlette:
    async def order(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"id": request.path_params["id"], "buyer": {"email": "buyer@example.com"},
                             "echo": json.loads(body) if body else None})  # fmt: skip

    async def big(_: Request) -> Response:
        return Response(b'{"blob": "' + b"x" * BIG + b'"}', media_type="application/json")

    async def image(_: Request) -> Response:
        return Response(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", media_type="image/png")

    return Starlette(routes=[Route("/api/orders/{id}", order, methods=["GET", "POST"]), Route("/api/big", big),
                             Route("/api/image", image)])  # fmt: skip


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}",
                          "traffic:\n  mask_fields: ['$..email']\n  max_body_bytes: 1048576\n")  # fmt: skip
    out = tmp_path / "rec.har"
    with serving(upstream_app()) as upstream, recording(f"{upstream}/api", out, config, "/orders/0") as url:
        yield url, out


def test_the_proxy_relays_and_records_masked_exchanges(proxy: tuple[str, Path]) -> None:
    url, out = proxy
    with httpx.Client(base_url=url, timeout=10) as client:
        got = client.post("/orders/7?sign=SIG-CANARY&page=1", json={"note": "hi"},
                          headers={"x-amz-access-token": TOKEN, "Cookie": f"s={TOKEN}"})  # fmt: skip
        assert got.status_code == 200 and got.json()["buyer"]["email"] == "buyer@example.com"  # relayed unchanged
        big = client.get("/big")
        assert len(big.content) > BIG  # forwarded whole...
        assert client.get("/image").content.startswith(b"\x89PNG")
    entries = har_entries(out, 4)
    text = out.read_text()
    for secret in (TOKEN, "SIG-CANARY", "buyer@example.com"):
        assert secret not in text
    post = next(e for e in entries if e["request"]["method"] == "POST")
    assert post["request"]["url"].endswith("/api/orders/7?sign=***&page=1")
    assert json.loads(post["request"]["postData"]["text"]) == {"note": "hi"}
    assert json.loads(post["response"]["content"]["text"])["buyer"] == {"email": "***"}
    cut = next(e for e in entries if e["request"]["url"].endswith("/big"))
    assert cut["response"]["content"]["_truncated"] is True and cut["response"]["content"]["text"] == ""  # ...not kept
    image = next(e for e in entries if e["request"]["url"].endswith("/image"))
    assert image["response"]["content"]["encoding"] == "base64"


def test_a_bad_upstream_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "monitor", "record", "--upstream", "ftp://x", "--out",
                           str(tmp_path / "x.har")], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.startswith("error: --upstream")
