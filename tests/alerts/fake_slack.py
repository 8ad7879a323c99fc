"""A fake Slack Web API on 127.0.0.1: records messages, and can rate-limit, fail, hang, drop or refuse on demand.

It refuses what Slack refuses, as Slack's method reference says (https://docs.slack.dev/reference/methods/...):
- `chat.postMessage`: "channel: An encoded ID or channel name"; the answer's `channel` is the id
  (chat.postMessage, "Example responses": `"channel": "C123ABC456"`); an unknown channel is `channel_not_found`.
- `conversations.history` / `conversations.replies`: "channel: Conversation ID to fetch history for" (ids only;
  a name is `channel_not_found`, "Value passed for channel was invalid"); `conversations.replies` answers the
  parent message and its replies; `oldest` bounds the ts; metadata only with `include_all_metadata`.
- `chat.update`: "channel: Channel containing the message to be updated" (an id).
- `conversations.list`: `{channels: [{id, name, ...}], response_metadata: {next_cursor}}`, `limit` up to 1000,
  paged with an opaque cursor (https://docs.slack.dev/reference/methods/conversations.list).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "xoxb-test-token-123"
# The fake workspace's channels; tests that need others add them (`slack.channels["x"] = slack.make_id("x")`).
WORKSPACE = ("alerts", "api", "api-breaking", "api-changes", "amazon", "elsewhere", "general")


def make_id(name: str) -> str:
    """A stable Slack-like channel id: C + 10 upper-case characters."""
    return "C" + base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:10]


@dataclass
class FakeSlack:
    """State of the fake. `script` holds the answers to the next calls: `429:2` (Retry-After 2), `500`, `503`,
    `hang:3` (answer after 3 s), `drop-before` (close the connection before reading the request: nothing done),
    `drop-after` (do the work, then close without answering), `drop-during` (do the work, then close halfway
    through the answer), or a Slack error code. `down` answers `down_status` to everything while set.
    `channels` is the workspace: name (without '#') -> id. `on_post(message)` runs when a post is recorded."""

    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)  # every accepted chat.postMessage, in order
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    down: bool = False
    down_status: int = 500
    channels: dict[str, str] = field(default_factory=lambda: {n: make_id(n) for n in WORKSPACE})
    on_post: Callable[[dict[str, Any]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def id_of(self, channel: str) -> str:
        return self.channels[channel.removeprefix("#")]

    def next_ts(self) -> str:
        """Wall-clock ts as Slack's, strictly increasing (conversations.history filters on it with `oldest`)."""
        self._ts = max(self._ts + 1, int(time.time() * 1_000_000))
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted (to `channel`, a name or an id); each message's `channel` is the channel's id."""
        wanted = None if channel is None else self.channels.get(channel.removeprefix("#"), channel)
        with self.lock:
            return [m for m in self.messages if wanted is None or m["channel"] == wanted]

    def keys(self) -> list[str]:
        """Every delivery key posted, in order: a key twice means a double post."""
        return [k for m in self.posts() for k in m["metadata"]["event_payload"]["delivery_keys"]]

    def resolve(self, channel: str | None, *, names_allowed: bool) -> str | None:
        """The id a request's `channel` means, or None (channel_not_found)."""
        if channel in self.channels.values():
            return channel
        if names_allowed and channel:
            return self.channels.get(channel.removeprefix("#"))
        return None


def _handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            self._handle(url.path, lambda: {k: v[0] for k, v in parse_qs(url.query).items()})

        def do_POST(self) -> None:
            url = urlparse(self.path)

            def read() -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                params.update({k: v[0] for k, v in parse_qs(url.query).items()})
                return params

            self._handle(url.path, read)

        def _handle(self, path: str, read: Callable[[], dict[str, Any]]) -> None:
            method = path.rsplit("/", 1)[-1]
            with slack.lock:
                slack.calls.append(method)
                step = slack.script.pop(0) if slack.script else (str(slack.down_status) if slack.down else "ok")
            if step == "drop-before":
                self._drop()
                return
            params = read()
            if step.startswith("hang"):
                time.sleep(float(step.partition(":")[2] or 3))
                step = "ok"
            if step.startswith("429"):
                self._reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": step.partition(":")[2] or "1"})
                return
            if step.isdigit():
                self._reply(int(step), {"ok": False, "error": "internal_error"})
                return
            if step not in ("ok", "drop-after", "drop-during"):
                self._reply(200, {"ok": False, "error": step})
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(200, {"ok": False, "error": "invalid_auth"})
                return
            answer = self._answer(method, params)
            if step == "drop-after":
                self._drop()
            elif step == "drop-during":
                self._reply(200, answer, cut=True)
            else:
                self._reply(200, answer)

        def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
            if method == "conversations.list":
                return self._list(params)
            channel = slack.resolve(params.get("channel"), names_allowed=method == "chat.postMessage")
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            with slack.lock:
                if method == "chat.postMessage":
                    blocks = params.get("blocks")
                    metadata = params.get("metadata")
                    message = {"channel": channel, "ts": slack.next_ts(), "text": params.get("text"),
                               "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
                               "thread_ts": params.get("thread_ts"),
                               "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata}  # fmt: skip
                    slack.messages.append(message)
                    answer = {"ok": True, "channel": channel, "ts": message["ts"]}
                elif method == "chat.update":
                    slack.updates.append({"channel": channel, "ts": params.get("ts"), "text": params.get("text")})
                    return {"ok": True, "channel": channel, "ts": params.get("ts")}
                elif method in ("conversations.history", "conversations.replies"):
                    oldest = float(params.get("oldest") or 0)
                    found = [m for m in slack.messages if m["channel"] == channel and float(m["ts"]) >= oldest
                             and ((method == "conversations.history" and not m["thread_ts"])
                                  or (method == "conversations.replies" and params.get("ts") in (m["ts"], m["thread_ts"])))]  # fmt: skip
                    include = str(params.get("include_all_metadata")).lower() in ("1", "true")
                    shown = [{k: v for k, v in m.items() if include or k != "metadata"} for m in reversed(found)]
                    return {"ok": True, "messages": shown, "has_more": False}
                else:
                    return {"ok": False, "error": "unknown_method"}
            if slack.on_post is not None:
                slack.on_post(message)
            return answer

        def _list(self, params: dict[str, Any]) -> dict[str, Any]:
            limit = int(params.get("limit") or 100)
            if not 0 < limit <= 1000:
                return {"ok": False, "error": "invalid_limit"}
            start = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
            names = sorted(slack.channels)
            page = [{"id": slack.channels[n], "name": n, "is_channel": True, "is_archived": False}
                    for n in names[start : start + limit]]  # fmt: skip
            following = start + limit
            cursor = base64.b64encode(str(following).encode()).decode() if following < len(names) else ""
            return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

        def _drop(self) -> None:
            """Close the connection without an answer (a reset, as a proxy or a network cut does)."""
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                   cut: bool = False) -> None:  # fmt: skip
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if cut:  # half the body, then the connection drops
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self._drop()
                    return
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
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
