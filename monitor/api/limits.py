"""Request limits at the edge: the size of a request's head (in the HTTP parser) and of its body, and a token before
any body is read. One oversized request must cost the server no more than the limit, and nobody else any time.

- The head (request line and headers) is capped inside uvicorn's httptools protocol, before the parser sees more than
  `max_header_bytes`: httptools gathers a header value by concatenation, so a 150 MB `Authorization` header held the
  event loop for seconds (every other request, `/healthz` included, waited). Over the cap: 431 and the connection
  closed. The same number caps h11's incomplete event, should uvicorn run with h11.
- The body: a declared `Content-Length` over `max_body_bytes` is refused (413) before a byte is read; a chunked body
  is counted as it is read and refused when it passes the cap.
- A body sent to the API (`/api/...`) without a valid bearer token is refused (401) before it is read; the route's
  own dependency still checks the scope.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from monitor.api.errors import error_body
from monitor.config import Settings
from monitor.gate.tokens import find_token

log = logging.getLogger("monitor.api")

DEFAULT_MAX_HEADER_BYTES = 32 * 1024  # nginx allows 4 x 8 KB header buffers, Node.js 16 KB; a token is under 100 bytes
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # the API's bodies are waivers and deployments, well under a kilobyte
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# After a 431 the connection reads (and drops, unparsed) at most this much for at most this long before closing:
# closing on unread bytes sends a TCP reset, which can destroy the 431 before an honest client has read it.
_DISCARD_BYTES = 1024 * 1024
_DISCARD_S = 1.0


class HeadLimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol that feeds the parser at most `config.h11_max_incomplete_event_size` bytes of a
    request head, and answers 431 (closing the connection) to a head that does not end within them."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:  # fmt: skip
        super().__init__(config, server_state, app_state, _loop)
        self._max_head = config.h11_max_incomplete_event_size or DEFAULT_MAX_HEADER_BYTES
        self._head_bytes = 0
        self._in_head = True
        self._discard_left: int | None = None  # set once refused

    def data_received(self, data: bytes) -> None:
        if self._discard_left is not None:
            self._discard_left -= len(data)
            if self._discard_left <= 0:
                self.transport.close()
            return
        while data and self._in_head:
            room = self._max_head - self._head_bytes
            if room <= 0:
                self._refuse_head()
                return
            piece, data = data[:room], data[room:]
            self._head_bytes += len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return
        if data:
            super().data_received(data)
        elif self._in_head and self._head_bytes >= self._max_head:
            self._refuse_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # a pipelined request's head starts now

    def _refuse_head(self) -> None:
        log.warning("request head over %d bytes from %s refused (431)", self._max_head,
                    self.client[0] if self.client else "?")  # fmt: skip
        message = f"request headers exceed {self._max_head} bytes"
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\ncontent-length: " + str(len(message)).encode() + b"\r\n\r\n" + message.encode()
        )
        self._discard_left = _DISCARD_BYTES
        self.loop.call_later(_DISCARD_S, self.transport.close)


class RequestLimits:
    """ASGI middleware: refuse a body too large (413) or sent to the API without a valid token (401), unread."""

    def __init__(self, app: ASGIApp, *, settings: Settings, max_body_bytes: int) -> None:
        self.app = app
        self.settings = settings
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in _BODY_METHODS and scope["path"].startswith("/api/") and not self._has_token(headers):
            await _refuse(send, 401, "unauthorized", "a bearer token is required (Authorization: Bearer <token>)",
                          {"www-authenticate": "Bearer"})  # fmt: skip
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(send, 413, "payload_too_large", self._too_large())
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Re-raised by FastAPI's body reading (an HTTPException), answered by the app's error handler.
                    raise HTTPException(413, self._too_large(), headers={"Connection": "close"})
            return message

        await self.app(scope, counted, send)

    def _has_token(self, headers: Headers) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        value = value.strip()
        return scheme.lower() == "bearer" and bool(value) and find_token(self.settings.api.tokens, value) is not None

    def _too_large(self) -> str:
        return f"the request body exceeds {self.max_body_bytes} bytes"


async def _refuse(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """Answer without reading the body, and close: the unread rest of it is never read either."""
    import orjson

    body = orjson.dumps(error_body(code, message))
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close"), *((k.encode(), v.encode()) for k, v in (headers or {}).items())]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
