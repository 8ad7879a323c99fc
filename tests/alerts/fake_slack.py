"""A fake Slack Web API on 127.0.0.1: records messages, and can rate-limit, fail, hang or refuse on demand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "xoxb-test-token-123"


@dataclass
class FakeSlack:
    """State of the fake. `script` holds the answers to the next calls (`429:2`, `500`, `hang:3`, an error code);
    `down` answers 500 to everything while set; `channels`, when set, are the only channels that exist."""

    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)  # every accepted chat.postMessage, in order
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    down: bool = False
    channels: set[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def next_ts(self) -> str:
        """Wall-clock ts as Slack's, strictly increasing (conversations.history filters on it with `oldest`)."""
        self._ts = max(self._ts + 1, int(time.time() * 1_000_000))
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if channel is None or m["channel"] == channel]

    def keys(self) -> list[str]:
        """Every delivery key posted, in order: a key twice means a double post."""
        return [k for m in self.posts() for k in m["metadata"]["event_payload"]["delivery_keys"]]


def _handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            self._handle(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or b"{}")
            else:
                params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            params.update({k: v[0] for k, v in parse_qs(url.query).items()})
            self._handle(url.path, params)

        def _handle(self, path: str, params: dict[str, Any]) -> None:
            method = path.rsplit("/", 1)[-1]
            with slack.lock:
                slack.calls.append(method)
                step = slack.script.pop(0) if slack.script else ("500" if slack.down else "ok")
            if step.startswith("hang"):
                time.sleep(float(step.partition(":")[2] or 3))
                step = "ok"
            if step.startswith("429"):
                self._reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": step.partition(":")[2] or "1"})
                return
            if step == "500":
                self._reply(500, {"ok": False, "error": "internal_error"})
                return
            if step != "ok":
                self._reply(200, {"ok": False, "error": step})
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(200, {"ok": False, "error": "invalid_auth"})
                return
            channel = params.get("channel")
            if slack.channels is not None and channel not in slack.channels:
                self._reply(200, {"ok": False, "error": "channel_not_found"})
                return
            self._reply(200, self._answer(method, channel, params))

        def _answer(self, method: str, channel: str, params: dict[str, Any]) -> dict[str, Any]:
            with slack.lock:
                if method == "chat.postMessage":
                    blocks = params.get("blocks")
                    metadata = params.get("metadata")
                    message = {"channel": channel, "ts": slack.next_ts(), "text": params.get("text"),
                               "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
                               "thread_ts": params.get("thread_ts"),
                               "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata}  # fmt: skip
                    slack.messages.append(message)
                    return {"ok": True, "channel": channel, "ts": message["ts"]}
                if method == "chat.update":
                    slack.updates.append({"channel": channel, "ts": params.get("ts"), "text": params.get("text")})
                    return {"ok": True, "channel": channel, "ts": params.get("ts")}
                if method in ("conversations.history", "conversations.replies"):
                    oldest = float(params.get("oldest") or 0)
                    found = [m for m in slack.messages if m["channel"] == channel and float(m["ts"]) >= oldest
                             and ((method == "conversations.history" and not m["thread_ts"])
                                  or (method == "conversations.replies" and params.get("ts") in (m["ts"], m["thread_ts"])))]  # fmt: skip
                    include = str(params.get("include_all_metadata")).lower() in ("1", "true")
                    shown = [{k: v for k, v in m.items() if include or k != "metadata"} for m in reversed(found)]
                    return {"ok": True, "messages": shown, "has_more": False}
            return {"ok": False, "error": "unknown_method"}

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

    return Handler


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(slack))
    server.daemon_threads = True
    slack.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield slack
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Receiver:
    """A generic webhook receiver: records JSON bodies and headers; `status` answers them."""

    port: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    status: int = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if rec.status < 300:
                rec.bodies.append(json.loads(raw))
                rec.headers.append(dict(self.headers.items()))
            self.send_response(rec.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
