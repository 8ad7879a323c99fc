"""The fetcher against real HTTP servers on 127.0.0.1: conditional GET, size cap, timeouts, retries, host guard."""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import socket
import threading
import time
import traceback
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.errors import BlockedHostError, FetchError, FetchTimeout, ResponseTooLarge
from monitor.sources.fetcher import DEFAULT_USER_AGENT, Fetcher, FetchPolicy
from tests.conftest import require_corpus

Route = Callable[["_Handler"], None]

# Small numbers keep the module fast: every timeout here is well under a second.
FAST = FetchPolicy(
    connect_timeout_s=0.5,
    read_timeout_s=0.5,
    deadline_s=5.0,
    backoff_base_s=0.01,
    backoff_cap_s=5.0,
    allow_hosts=("127.0.0.1",),
)
CHUNK = b"x" * 65536


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose paths are answered by routes the test installs."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.headers: dict[str, list[dict[str, str]]] = {}
        self.release = threading.Event()  # set at teardown, so handlers that wait let go at once
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._httpd = _Server(self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.headers.setdefault(path, []).append(headers)

    def count_sent(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, local: LocalServer) -> None:
        self.local = local
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-body is what several tests do on purpose."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        local = self.server.local
        path = urlsplit(self.path).path
        local.record(path, {k.lower(): v for k, v in self.headers.items()})
        route = local.routes.get(path)
        if route is None:
            send(self, 404, b"no route")
        else:
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not access logs."""


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if "Content-Length" not in (headers or {}):
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def stream_chunks(handler: _Handler, total: int) -> None:
    """Write up to `total` bytes, stopping quietly when the client hangs up."""
    local = handler.server.local
    try:
        while local.bytes_sent < total and not local.release.is_set():
            handler.wfile.write(CHUNK)
            local.count_sent(len(CHUNK))
    except OSError:
        return


def redirect_to(location: str, status: int = 302) -> Route:
    return lambda h: send(h, status, headers={"Location": location})


def silent(server: LocalServer) -> Route:
    """A route that says nothing until the test ends (at most 10 s)."""

    def route(h: BaseHTTPRequestHandler) -> None:
        server.release.wait(10)
        send(h, 200, b"too late")

    return route


@pytest.fixture
def serve() -> Iterator[Callable[[], LocalServer]]:
    servers: list[LocalServer] = []

    def start() -> LocalServer:
        servers.append(LocalServer())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(serve: Callable[[], LocalServer]) -> LocalServer:
    return serve()


@pytest.fixture
def sleeps() -> list[float]:
    """Retry waits the fetcher asked for; recorded instead of slept, so retry tests take no time."""
    return []


@pytest.fixture
def fetcher(sleeps: list[float]) -> Iterator[Fetcher]:
    with Fetcher(FAST, sleep=sleeps.append) as f:
        yield f


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection the client opens; anything but 127.0.0.1 fails the test before a packet leaves."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        if address[0] != "127.0.0.1":
            raise AssertionError(f"the fetcher tried to connect to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return opened


@pytest.fixture
def spec_file() -> Path:
    """A real Amazon ordersV0 spec from the corpus, read in place."""
    return min((require_corpus() / "amazon" / "ordersV0").glob("*.json"))


# --- conditional GET -------------------------------------------------------------------------------------------------


def test_etag_gives_200_then_304_without_body(server: LocalServer, fetcher: Fetcher, spec_file: Path) -> None:
    body = spec_file.read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'

    def spec(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            send(h, 304, headers={"ETag": etag})
        else:
            send(h, 200, body, {"ETag": etag, "Content-Type": "application/json"})

    server.routes["/ordersV0.json"] = spec
    first = fetcher.fetch(server.url("/ordersV0.json"))
    second = fetcher.fetch(server.url("/ordersV0.json"), etag=first.etag)

    assert (first.status, first.body, first.etag, first.not_modified) == (200, body, etag, False)
    assert first.content_type == "application/json"
    assert (second.status, second.body, second.etag, second.not_modified) == (304, None, etag, True)
    assert server.headers["/ordersV0.json"][1]["if-none-match"] == etag


def test_last_modified_gives_200_then_304(server: LocalServer, fetcher: Fetcher, spec_file: Path) -> None:
    body = spec_file.read_bytes()
    stamp = formatdate(spec_file.stat().st_mtime, usegmt=True)

    def spec(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-Modified-Since") == stamp:
            send(h, 304)  # no validators repeated: the fetcher hands back the ones it sent
        else:
            send(h, 200, body, {"Last-Modified": stamp})

    server.routes["/spec"] = spec
    first = fetcher.fetch(server.url("/spec"))
    second = fetcher.fetch(server.url("/spec"), last_modified=first.last_modified)

    assert (first.status, first.body, first.last_modified) == (200, body, stamp)
    assert (second.not_modified, second.body, second.last_modified) == (True, None, stamp)
    assert server.headers["/spec"][1]["if-modified-since"] == stamp


def test_gzip_body_is_decoded(server: LocalServer, fetcher: Fetcher, spec_file: Path) -> None:
    body = spec_file.read_bytes()
    packed = gzip.compress(body)
    server.routes["/spec"] = lambda h: send(h, 200, packed, {"Content-Encoding": "gzip"})

    result = fetcher.fetch(server.url("/spec"))

    assert len(packed) < len(body) and result.body == body
    assert "gzip" in server.headers["/spec"][0]["accept-encoding"]


def test_user_agent_names_the_service_and_cookies_are_not_kept(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/"] = lambda h: send(h, 200, b"ok", {"Set-Cookie": "session=abc; Path=/"})

    fetcher.fetch(server.url("/"))
    fetcher.fetch(server.url("/"))

    first, second = server.headers["/"]
    assert first["user-agent"] == DEFAULT_USER_AGENT and DEFAULT_USER_AGENT.startswith("monitor/")
    assert "cookie" not in second


# --- size cap --------------------------------------------------------------------------------------------------------


def test_declared_content_length_over_cap_is_refused_before_reading(server: LocalServer, sleeps: list[float]) -> None:
    total = 100 * 1024 * 1024

    def huge(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        stream_chunks(h, total)

    server.routes["/huge"] = huge
    started = time.monotonic()
    refused = pytest.raises(ResponseTooLarge, match="Content-Length 104857600 bytes exceeds the 1000000-byte cap")
    with Fetcher(replace(FAST, max_bytes=1_000_000), sleep=sleeps.append) as fetcher, refused:
        fetcher.fetch(server.url("/huge"))

    assert time.monotonic() - started < 2
    assert server.hits["/huge"] == 1  # a body too large is not retried


def test_endless_body_without_length_stops_at_cap_with_bounded_memory(server: LocalServer) -> None:
    total = 500 * 1024 * 1024

    def endless(h: _Handler) -> None:
        h.send_response(200)
        h.end_headers()  # no Content-Length: the body ends when the connection closes
        stream_chunks(h, total)

    server.routes["/endless"] = endless
    cap = 1_000_000

    tracemalloc.start()
    started = time.monotonic()
    try:
        with Fetcher(replace(FAST, max_bytes=cap)) as fetcher, pytest.raises(ResponseTooLarge, match="stopped after"):
            fetcher.fetch(server.url("/endless"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert time.monotonic() - started < 3
    assert peak < 10 * cap  # the cap plus buffers, nowhere near the 500 MB offered
    assert server.bytes_sent < 50 * 1024 * 1024  # the client hung up instead of draining


def test_gzip_bomb_is_capped_on_decoded_size(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 16_000_000, compresslevel=9)  # about 16 KB on the wire
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, {"Content-Encoding": "gzip"})

    with Fetcher(replace(FAST, max_bytes=1_000_000)) as fetcher, pytest.raises(ResponseTooLarge):
        fetcher.fetch(server.url("/bomb"))


def test_gzip_bomb_stops_at_the_cap_exactly_with_bounded_memory(server: LocalServer) -> None:
    """Attack (scaled down 100 times from 10 MB decoding to 67 MB against a 20 MB cap): the whole bomb fits in one
    network chunk, which must not be decoded whole before the cap is checked."""
    bomb = gzip.compress(b"\0" * 67_000_000, compresslevel=9)  # about 65 KB on the wire
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, {"Content-Encoding": "gzip"})
    cap = 200_000

    tracemalloc.start()
    try:
        stopped = pytest.raises(ResponseTooLarge, match=rf"stopped after {cap + 1} bytes")
        with Fetcher(replace(FAST, max_bytes=cap)) as fetcher, stopped:
            fetcher.fetch(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * cap  # not the 67 MB the bomb expands to


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "identity"])
def test_a_body_exactly_at_the_cap_is_accepted_in_every_encoding(server: LocalServer, encoding: str) -> None:
    body = bytes(range(256)) * 400  # 102,400 bytes
    packed = {"gzip": gzip.compress(body), "deflate": zlib.compress(body), "identity": body,
              "raw-deflate": zlib.compress(body)[2:-4]}[encoding]  # fmt: skip
    header = {"raw-deflate": "deflate"}.get(encoding, encoding)
    server.routes["/exact"] = lambda h: send(h, 200, packed, {"Content-Encoding": header})

    with Fetcher(replace(FAST, max_bytes=len(body))) as fetcher:
        assert fetcher.fetch(server.url("/exact")).body == body
    with Fetcher(replace(FAST, max_bytes=len(body) - 1)) as fetcher, pytest.raises(ResponseTooLarge):
        fetcher.fetch(server.url("/exact"))


def test_an_encoding_that_was_not_offered_is_refused(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/br"] = lambda h: send(h, 200, b"\x0b\x02\x80ok\x03", {"Content-Encoding": "br"})

    with pytest.raises(FetchError, match=r"undecodable body.*'br' was not offered"):
        fetcher.fetch(server.url("/br"))
    assert server.headers["/br"][0]["accept-encoding"] == "gzip, deflate"


# --- timeouts --------------------------------------------------------------------------------------------------------


def test_silent_server_times_out_after_retries_in_bounded_time(server: LocalServer, sleeps: list[float]) -> None:
    server.routes["/slow"] = silent(server)
    policy = replace(FAST, read_timeout_s=0.3, retries=1)

    started = time.monotonic()
    with Fetcher(policy, sleep=sleeps.append) as fetcher, pytest.raises(FetchTimeout, match="timed out"):
        fetcher.fetch(server.url("/slow"))

    assert time.monotonic() - started < 2  # two attempts of 0.3 s, not the server's 10 s
    assert server.hits["/slow"] == 2 and len(sleeps) == 1


def test_dripping_body_hits_the_whole_fetch_deadline(server: LocalServer) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()
        # One byte per 0.05 s never trips the 0.5 s read timeout; only the deadline stops it.
        while not server.release.wait(0.05):
            h.wfile.write(b".")
            h.wfile.flush()

    server.routes["/drip"] = drip
    started = time.monotonic()
    with Fetcher(replace(FAST, deadline_s=0.6)) as fetcher, pytest.raises(FetchTimeout, match="deadline"):
        fetcher.fetch(server.url("/drip"))
    assert time.monotonic() - started < 2


def test_trickling_response_headers_hit_the_whole_fetch_deadline(server: LocalServer) -> None:
    """Attack: the status line, then one header byte per 0.05 s. Each read returns within the read timeout, so only
    a deadline that covers the wait for headers stops it (the server gives up by itself after 5 s)."""

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        stop_at = time.monotonic() + 5
        while time.monotonic() < stop_at and not server.release.wait(0.05):
            h.wfile.write(b"X")
            h.wfile.flush()
        h.wfile.write(b"-Slow: 1\r\nContent-Length: 2\r\n\r\nok")

    server.routes["/trickle"] = trickle
    started = time.monotonic()
    refused = pytest.raises(FetchTimeout, match=r"the 0\.6 s deadline passed waiting for the response")
    with Fetcher(replace(FAST, deadline_s=0.6)) as fetcher, refused:
        fetcher.fetch(server.url("/trickle"))
    assert time.monotonic() - started < 1.5
    assert server.hits["/trickle"] == 1  # out of time: not retried


# --- retries ---------------------------------------------------------------------------------------------------------


def test_500_then_200_succeeds_on_retry(server: LocalServer, fetcher: Fetcher, sleeps: list[float]) -> None:
    server.routes["/flaky"] = lambda h: send(h, 500) if server.hits["/flaky"] == 1 else send(h, 200, b"ok")

    result = fetcher.fetch(server.url("/flaky"))

    assert (result.status, result.body) == (200, b"ok")
    assert server.hits["/flaky"] == 2 and len(sleeps) == 1


def test_500_always_fails_after_all_retries(server: LocalServer, fetcher: Fetcher, sleeps: list[float]) -> None:
    server.routes["/down"] = lambda h: send(h, 500)

    with pytest.raises(FetchError, match="HTTP 500 after 3 attempts") as caught:
        fetcher.fetch(server.url("/down"))

    assert caught.value.status == 500
    assert server.hits["/down"] == FAST.retries + 1
    assert len(sleeps) == FAST.retries and sleeps[0] < sleeps[1]  # backoff grows


@pytest.mark.parametrize(("cap_s", "waited_s"), [(5.0, 3.0), (1.0, 1.0)])
def test_429_waits_as_retry_after_asks_up_to_the_cap(server: LocalServer, cap_s: float, waited_s: float) -> None:
    server.routes["/limited"] = lambda h: (
        send(h, 429, headers={"Retry-After": "3"}) if server.hits["/limited"] == 1 else send(h, 200, b"ok")
    )
    sleeps: list[float] = []

    with Fetcher(replace(FAST, backoff_cap_s=cap_s), sleep=sleeps.append) as fetcher:
        assert fetcher.fetch(server.url("/limited")).body == b"ok"

    assert sleeps == [waited_s]


def test_retry_after_as_an_http_date_is_honoured(server: LocalServer, fetcher: Fetcher, sleeps: list[float]) -> None:
    server.routes["/limited"] = lambda h: (
        send(h, 503, headers={"Retry-After": formatdate(time.time() + 3, usegmt=True)})
        if server.hits["/limited"] == 1
        else send(h, 200, b"ok")
    )

    assert fetcher.fetch(server.url("/limited")).body == b"ok"
    assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 3.0  # whole seconds on the wire, less the time already passed


def test_404_is_not_retried(server: LocalServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"HTTP 404$") as caught:
        fetcher.fetch(server.url("/missing"))

    assert caught.value.status == 404 and server.hits["/missing"] == 1


def test_refused_connection_is_retried_then_reported(fetcher: Fetcher, sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(FetchError, match="cannot connect"):
        fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert len(sleeps) == FAST.retries


# --- redirects -------------------------------------------------------------------------------------------------------


def test_redirect_is_followed_and_final_url_reported(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/old"] = redirect_to("/new", 301)
    server.routes["/new"] = lambda h: send(h, 200, b"moved")

    result = fetcher.fetch(server.url("/old"))

    assert (result.body, result.url) == (b"moved", server.url("/new"))


def test_redirect_loop_is_refused(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/a"] = redirect_to("/b")
    server.routes["/b"] = redirect_to("/a")

    with pytest.raises(FetchError, match="redirect loop"):
        fetcher.fetch(server.url("/a"))
    assert server.hits == Counter({"/a": 1, "/b": 1})


def test_redirect_chain_longer_than_the_limit_is_refused(server: LocalServer, fetcher: Fetcher) -> None:
    for n in range(10):
        server.routes[f"/r{n}"] = redirect_to(f"/r{n + 1}", 307)

    with pytest.raises(FetchError, match="redirect limit of 5"):
        fetcher.fetch(server.url("/r0"))
    assert sum(server.hits.values()) == FAST.max_redirects + 1


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:10.0.0.1]:8080/"]
)
def test_redirect_to_an_inside_host_is_refused_before_connecting(
    server: LocalServer, fetcher: Fetcher, connections: list[tuple[str, int]], target: str
) -> None:
    server.routes["/go"] = redirect_to(target)

    with pytest.raises(BlockedHostError):
        fetcher.fetch(server.url("/go"))
    assert {host for host, _ in connections} == {"127.0.0.1"}


def test_credentials_are_not_forwarded_to_another_origin(serve: Callable[[], LocalServer], fetcher: Fetcher) -> None:
    first, other = serve(), serve()
    first.routes["/same"] = redirect_to("/away")
    first.routes["/away"] = redirect_to(other.url("/landing"))
    other.routes["/landing"] = lambda h: send(h, 200, b"ok")

    fetcher.fetch(first.url("/same"), headers={"Authorization": "Bearer T0KEN", "Accept": "application/json"})

    assert first.headers["/away"][0]["authorization"] == "Bearer T0KEN"  # same origin keeps it
    landed = other.headers["/landing"][0]
    assert "authorization" not in landed and landed["accept"] == "application/json"


# --- host guard ------------------------------------------------------------------------------------------------------


def test_loopback_is_refused_unless_allowed(server: LocalServer) -> None:
    server.routes["/"] = lambda h: send(h, 200, b"ok")

    with Fetcher(FetchPolicy()) as guarded, pytest.raises(BlockedHostError, match="loopback"):
        guarded.fetch(server.url("/"))
    assert server.hits["/"] == 0

    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as allowed:
        assert allowed.fetch(server.url("/")).body == b"ok"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://0.0.0.0/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
    ],
)
def test_inside_addresses_are_refused(url: str, connections: list[tuple[str, int]]) -> None:
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(BlockedHostError):
        fetcher.fetch(url)
    assert connections == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "/relative"])
def test_other_schemes_are_refused(url: str, fetcher: Fetcher) -> None:
    with pytest.raises(BlockedHostError, match="scheme"):
        fetcher.fetch(url)


def test_a_name_resolving_inside_is_refused_and_allowed_by_name() -> None:
    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.1.2.3")]  # one bad answer is enough

    refused = pytest.raises(BlockedHostError, match=r"internal\.example resolves to 10\.1\.2\.3, a private address")
    with Fetcher(FetchPolicy(), resolve=resolve) as fetcher, refused:
        fetcher.fetch("http://internal.example/")

    # Allowed by name, the guard lets it through; the connection then fails in the test's fence, not in the guard.
    fenced = pytest.raises(AssertionError, match="tried to connect")
    with Fetcher(FetchPolicy(allow_hosts=("internal.example",), retries=0), resolve=resolve) as fetcher, fenced:
        fetcher.fetch("http://internal.example/")


def test_dns_rebinding_between_check_and_connect_is_refused(server: LocalServer) -> None:
    """A name that resolves to a public address for the check and to loopback for the connection never connects."""
    server.routes["/"] = lambda h: send(h, 200, b"inside")
    answers = iter([["93.184.215.14"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(a) for a in next(answers)]

    url = server.url("/").replace("127.0.0.1", "rebind.example")
    refused = pytest.raises(BlockedHostError, match=r"rebind\.example resolved to 127\.0\.0\.1.*when connecting")
    with Fetcher(FetchPolicy(retries=0), resolve=rebinding) as fetcher, refused:
        fetcher.fetch(url)
    assert server.hits["/"] == 0


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(server: LocalServer) -> None:
    seen: list[str] = []

    def route(h: Any) -> None:
        seen.append(h.headers["Host"])
        send(h, 200, b"ok")

    server.routes["/"] = route
    url = server.url("/").replace("127.0.0.1", "spec.example")
    with Fetcher(
        FetchPolicy(allow_hosts=("127.0.0.1",)), resolve=lambda h, p: [ipaddress.ip_address("127.0.0.1")]
    ) as f:
        assert f.fetch(url).body == b"ok"
    assert seen == [url.split("/")[2]]  # the Host header names the URL's host, not the address


# --- secrets ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error", "shown"),
    [
        ("/down", FetchError, "/down?access_token=***&page=2: HTTP 503 after 3 attempts"),
        ("/go", BlockedHostError, "http://10.0.0.1/?X-Amz-Signature=***: 10.0.0.1 is a private address"),
        ("/slow", FetchTimeout, "/slow?access_token=***&page=2: timed out (ReadTimeout"),
    ],
)
def test_secrets_in_urls_are_masked_in_errors(
    server: LocalServer, sleeps: list[float], path: str, error: type[Exception], shown: str
) -> None:
    server.routes["/down"] = lambda h: send(h, 503)
    server.routes["/go"] = redirect_to("http://10.0.0.1/?X-Amz-Signature=S1GN")
    server.routes["/slow"] = silent(server)

    with Fetcher(replace(FAST, read_timeout_s=0.2), sleep=sleeps.append) as fetcher, pytest.raises(error) as caught:
        fetcher.fetch(server.url(f"{path}?access_token=SECRET-1&page=2"))

    assert shown in str(caught.value)
    for link in _chain(caught.value):  # what a logged traceback would print, causes included
        text = "".join(traceback.format_exception_only(link))
        assert "SECRET-1" not in text and "S1GN" not in text


# --- concurrency -----------------------------------------------------------------------------------------------------


def test_per_host_limit_caps_parallel_requests(server: LocalServer) -> None:

    lock, active, peak = threading.Lock(), [0], [0]

    def work(h: BaseHTTPRequestHandler) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)  # long enough for all six requests to be in flight at once without the limit
        with lock:  # counted out before the answer: the client frees its slot once it has read it, which can be
            active[0] -= 1  # before this thread would get here after sending (and a third request counted in)
        send(h, 200, b"done")

    server.routes["/work"] = work

    with Fetcher(replace(FAST, per_host_limit=2)) as fetcher, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: fetcher.fetch(server.url("/work")).body, range(6)))

    assert results == [b"done"] * 6
    assert peak[0] == 2


def test_policy_refuses_nonsense_values() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        FetchPolicy(max_bytes=0)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__
