"""The recording reverse proxy: forwards each request to the upstream API and appends the masked exchange to a HAR.

Usage: `serve(upstream="https://partner.shopeemobile.com", port=8900, out=Path("shopee.har"))`, then point the
integration (or a sandbox test) at http://127.0.0.1:8900. Answers stream through unchanged; what is written is masked
first (`har.mask_entry`): auth headers, cookies, signature and token parameters, configured personal fields. A body
over the size limit is forwarded whole but not kept (marked `_truncated`).

This is the one place besides the fetcher that opens an httpx client: a proxy must stream both ways and forward any
method and body to one upstream the operator chose, which the fetcher (GET, spec/feed hosts) does not do.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from monitor.errors import InputError
from monitor.traffic.har import HarWriter, Limits, is_json_media
from monitor.traffic.masking import Masking

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                        "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding"})  # fmt: skip
MAX_REQUEST_BYTES = 64 * 1024 * 1024  # a request body the proxy accepts to forward at all
TIMEOUT = httpx.Timeout(60.0, connect=10.0)  # marketplace report downloads can take a while to start
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_TEXTUAL = ("text/", "application/xml", "application/x-www-form-urlencoded", "application/javascript")


def check_upstream(upstream: str) -> str:
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--upstream {upstream!r}: give an http or https URL such as https://sandbox.example.com")
    if parts.query or parts.fragment:
        raise InputError("--upstream: a base URL without query or fragment")
    return upstream.rstrip("/")


def build_recorder(upstream: str, writer: HarWriter) -> Starlette:
    """The ASGI app of the proxy; `writer` receives every exchange (masked by the writer).

    One upstream client per exchange, closed when the answer has been relayed: nothing is shared between event
    loops or left open when the server stops (a recording proxy trades keep-alive for that)."""
    base = check_upstream(upstream)
    limits = writer.limits

    async def handle(request: Request) -> Response:
        started = datetime.now(UTC)
        clock = time.monotonic()
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                return JSONResponse({"error": f"request body over {MAX_REQUEST_BYTES} bytes"}, status_code=413)
        target = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers.append(("accept-encoding", "identity"))  # plain bodies: the HAR keeps readable text
        http = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
        upstream_request = http.build_request(request.method, target, headers=headers, content=body)
        try:
            answer = await http.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            await http.aclose()
            # The proxy's own failure, never recorded as the API's answer: there was none.
            return JSONResponse({"error": f"upstream unreachable: {type(exc).__name__}"}, status_code=502)
        kept = bytearray()
        cut = False

        async def relay() -> AsyncIterator[bytes]:
            nonlocal cut
            async for chunk in answer.aiter_raw():
                if not cut:
                    if len(kept) + len(chunk) > limits.max_body_bytes:
                        cut = True
                        kept.clear()
                    else:
                        kept.extend(chunk)
                yield chunk

        def record() -> None:
            entry = _entry(request.method, target, request.headers.items(), body, answer, bytes(kept), cut, started,
                           time.monotonic() - clock)  # fmt: skip
            writer.write(entry)

        async def finish() -> None:
            await answer.aclose()
            await http.aclose()
            import anyio

            await anyio.to_thread.run_sync(record)

        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(relay(), status_code=answer.status_code, headers=out_headers,
                                 background=BackgroundTask(finish))  # fmt: skip

    return Starlette(routes=[Route("/{path:path}", handle, methods=METHODS)])


def _entry(method: str, url: str, request_headers: Any, body: bytes, answer: httpx.Response, kept: bytes, cut: bool,
           started: datetime, elapsed_s: float) -> dict[str, Any]:  # fmt: skip
    from urllib.parse import parse_qsl

    request_type = dict((k.lower(), v) for k, v in request_headers).get("content-type", "")
    response_type = answer.headers.get("content-type", "")
    request: dict[str, Any] = {
        "method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [], "headersSize": -1,
        "headers": [{"name": k, "value": v} for k, v in request_headers],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
        "bodySize": len(body),
    }  # fmt: skip
    if body:
        request["postData"] = {"mimeType": request_type, **_text(body, request_type)}
    content: dict[str, Any] = {"size": len(kept) if not cut else -1, "mimeType": response_type}
    if cut:
        content.update(text="", _truncated=True)
    elif kept:
        content.update(_text(kept, response_type))
    millis = round(elapsed_s * 1000, 3)
    return {
        "startedDateTime": started.isoformat().replace("+00:00", "Z"), "time": millis, "request": request,
        "response": {"status": answer.status_code, "statusText": answer.reason_phrase, "httpVersion": "HTTP/1.1",
                     "cookies": [], "headers": [{"name": k, "value": v} for k, v in answer.headers.items()],
                     "content": content, "redirectURL": answer.headers.get("location", ""), "headersSize": -1,
                     "bodySize": len(kept) if not cut else -1},
        "cache": {}, "timings": {"send": 0, "wait": millis, "receive": 0},
    }  # fmt: skip


def _text(data: bytes, media: str) -> dict[str, Any]:
    lowered = media.lower()
    if is_json_media(lowered.split(";", 1)[0].strip()) or lowered.startswith(_TEXTUAL):
        try:
            return {"text": data.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"text": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def serve(*, upstream: str, host: str, port: int, out: Path, masking: Masking, limits: Limits,
          announce: Callable[[str], Any] | None = None) -> None:  # fmt: skip
    """Run the proxy until interrupted (Ctrl-C); every exchange is appended to `out` as it completes."""
    import uvicorn

    check_upstream(upstream)
    writer = HarWriter(out, masking=masking, limits=limits)
    app = build_recorder(upstream, writer)
    if port == 0:
        import socket

        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    if announce is not None:
        announce(f"http://{host}:{port}")
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)).run()
