"""The only HTTP client of the service: guarded, bounded, retried GETs with conditional requests.

Usage:

    with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
        result = fetcher.fetch(url, etag=previous_etag)
        if not result.not_modified:
            store(result.body)

Every URL, including every redirect hop, passes the host guard before a connection is opened: only http and https,
and no loopback, private, link-local (cloud metadata), multicast, reserved or unspecified address unless the host is
listed in `allow_hosts`. Bodies are read while streaming and abandoned as soon as they pass `max_bytes`.

The whole fetch has one deadline, enforced on every socket operation (connect, TLS handshake, each write and read):
a server that trickles its response headers one byte at a time cannot hold a poll past it.
"""

from __future__ import annotations

import contextvars
import http.cookiejar
import ipaddress
import random
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

from monitor import __version__
from monitor.errors import BlockedHostError, FetchError, FetchTimeout, ResponseTooLarge
from monitor.redact import install_log_redaction, is_secret_header, redact_text, redact_url, secrets_in_url
from monitor.sources.decoding import ACCEPT_ENCODING, CappedDecoder, DecodeError, UnsupportedEncoding

PROJECT_URL = "https://github.com/monitor/monitor"
DEFAULT_USER_AGENT = f"monitor/{__version__} (+{PROJECT_URL})"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]

_SCHEMES = frozenset({"http", "https"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Failures worth another attempt: the next one may well succeed. Anything else (bad URL, bad gzip) would fail again.
_RETRYABLE_CAUSES = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits; a gateway would forward to that address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# The monotonic deadline of the fetch running in this thread; the sockets read it (see `_DeadlineStream`).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("fetch_deadline", default=None)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How the fetcher behaves: timeouts, size cap, redirects, retries, concurrency and the hosts it may reach."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0  # the longest wait for any one read, not for the whole body
    deadline_s: float = 120.0  # the whole fetch: a server dripping one byte per read_timeout cannot hold a job
    max_bytes: int = 20 * 1024 * 1024  # decoded body; the largest real spec we know (merged pair) is 7.4 MB
    max_redirects: int = 5
    retries: int = 2  # attempts after the first, on timeouts, connection errors, 5xx and 429
    backoff_base_s: float = 0.5  # doubled per attempt, with jitter
    backoff_cap_s: float = 30.0  # caps both our backoff and a server's Retry-After
    per_host_limit: int = 4  # concurrent requests to one host, so a poll cycle never floods one platform
    user_agent: str = DEFAULT_USER_AGENT
    allow_hosts: tuple[str, ...] = ()  # names, IP literals or networks (CIDR) the guard lets through

    def __post_init__(self) -> None:
        positive = ("connect_timeout_s", "read_timeout_s", "deadline_s", "max_bytes", "per_host_limit")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        for name in ("max_redirects", "retries", "backoff_base_s", "backoff_cap_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchPolicy.{name} must not be negative")


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful fetch: a 2xx with its body, or a 304 without one.

    `url` is the final URL after redirects, unmasked: callers pass it through `redact_url` before storing or logging.
    On a 304 the validators are the server's when it repeats them, else the ones that were sent.
    """

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    url: str
    elapsed_s: float
    content_type: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes | None


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for a host (the same resolver httpx will use to connect)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv6 scope ("fe80::1%eth0") does not change what kind of address it is.
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def non_public_kind(address: IPAddress) -> str | None:
    """What makes an address off-limits ("loopback", "private", ...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            # ::ffff:127.0.0.1 reaches 127.0.0.1; judge the IPv4 address actually reached.
            return non_public_kind(embedded)
    kinds = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),  # includes 169.254.169.254, the cloud metadata service
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),  # e.g. 100.64.0.0/10, carrier-grade NAT
    )
    return next((kind for kind, applies in kinds if applies), None)


class HostGuard:
    """Refuses URLs whose scheme is not http(s) or whose host resolves to a non-public address, unless allowed.

    It is asked twice per request: `check(url)` before the request (a clear early error), and `address_for(host,
    port)` by the connection itself (`_GuardedBackend`), which connects to the very address it checked. So a hostile
    DNS server with a short TTL cannot hand a public address to the check and a private one to the connection
    (DNS rebinding).
    """

    def __init__(self, allow_hosts: Iterable[str], resolve: Resolver = resolve_host) -> None:
        self._names: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            host = entry.strip().lower().strip("[]").rstrip(".")
            try:
                self._networks.append(ipaddress.ip_network(host, strict=False))
            except ValueError:
                self._names.add(host)
        self._resolve = resolve

    def check(self, url: httpx.URL) -> None:
        """Raise BlockedHostError unless this URL may be fetched; FetchError when its host cannot be resolved."""
        shown = redact_url(str(url))
        if url.scheme not in _SCHEMES:
            raise BlockedHostError(f"{shown}: scheme {url.scheme or '(none)'!r} is refused; only http and https")
        host = url.host.rstrip(".")
        if not host:
            raise BlockedHostError(f"{shown}: no host")
        if host in self._names:
            return
        for address in self._addresses(host, url.port or (443 if url.scheme == "https" else 80), shown):
            kind = non_public_kind(address)
            if kind is not None and not self._is_allowed(address):
                what = f"is a {kind}" if host == str(address) else f"resolves to {address}, a {kind}"
                raise BlockedHostError(f"{shown}: {host} {what} address; add it to allow_hosts to reach it")

    def address_for(self, host: str, port: int) -> str:
        """The address to connect to for `host`: resolved now, every answer checked, the first one used."""
        host = host.rstrip(".")
        addresses = self._addresses(host, port, host)
        if host.lower() not in self._names:
            for address in addresses:
                kind = non_public_kind(address)
                if kind is not None and not self._is_allowed(address):
                    raise BlockedHostError(f"{host} resolved to {address}, a {kind} address, when connecting; refused")
        return str(addresses[0])

    def _addresses(self, host: str, port: int, shown: str) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            # Also catches odd literals such as 2130706433 or 0x7f.1, which the resolver turns into 127.0.0.1.
            return self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"GET {shown}: cannot resolve {host} ({exc.__class__.__name__})", url=shown) from exc

    def _is_allowed(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self._networks)


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting to the address the guard checked rather than resolving the name again.

    TLS still verifies the certificate against the URL's host name: httpcore passes that to the TLS layer itself.
    """

    def __init__(self, guard: HostGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._guard.address_for(host, port)
        timeout = _within_deadline(timeout, _ConnectDeadline, "connecting")
        return _DeadlineStream(super().connect_tcp(address, port, timeout, local_address, socket_options))


class _DeadlinePassed(Exception):
    """Marks a timeout raised because the whole fetch's deadline passed (not one read's timeout)."""


class _ConnectDeadline(httpcore.ConnectTimeout, _DeadlinePassed):
    pass


class _ReadDeadline(httpcore.ReadTimeout, _DeadlinePassed):
    pass


class _WriteDeadline(httpcore.WriteTimeout, _DeadlinePassed):
    pass


def _within_deadline(timeout: float | None, error: type[Exception], doing: str) -> float | None:
    """The timeout for one socket operation, shortened to what is left of the fetch's deadline; raise when none is."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(f"deadline passed while {doing}")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits at most until the fetch's deadline.

    httpx's read timeout bounds each read alone: a server sending one header byte every few seconds never trips it,
    so the deadline has to be applied here, where the wait for response headers happens too. Pooled connections are
    reused across fetches, so the deadline is read per call (from `_DEADLINE`), not fixed when the socket is made.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within_deadline(timeout, _ReadDeadline, "waiting for the response"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within_deadline(timeout, _WriteDeadline, "sending the request"))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _within_deadline(timeout, _ConnectDeadline, "in the TLS handshake")
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _guarded_transport(guard: HostGuard) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx 0.28 has no public way to give its pool a network backend; the pool is rebuilt with httpx's default
    # limits (100 connections, 20 kept alive for 5 s).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(guard),
    )
    return transport


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """One client polls many unrelated sources: a cookie set by one must never travel with a later request."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False


class Fetcher:
    """The service's HTTP client (one httpx.Client, thread-safe): use as a context manager, or call `close()`.

    **Parameters:**

    * **policy** - limits and allowed hosts; the defaults suit public platform APIs.
    * **sleep** - how to wait between retries (tests pass a recorder instead of waiting).
    * **resolve** - host name to addresses for the host guard (tests map names without DNS).
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        resolve: Resolver = resolve_host,
    ) -> None:
        self.policy = policy or FetchPolicy()
        install_log_redaction("httpx", "httpcore")  # they log full request URLs, tokens included
        self._guard = HostGuard(self.policy.allow_hosts, resolve)
        self._sleep = sleep
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                connect=self.policy.connect_timeout_s,
                read=self.policy.read_timeout_s,
                write=self.policy.read_timeout_s,
                pool=self.policy.connect_timeout_s,
            ),
            transport=_guarded_transport(self._guard),  # connects only to addresses the guard checked
            follow_redirects=False,  # each hop must pass the host guard before we connect to it
            trust_env=False,  # an environment proxy would make the connection the guard checked; .netrc adds secrets
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            # Only what CappedDecoder decodes (httpx would also offer br or zstd when their packages are installed).
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET a URL, conditionally when validators are given; a 304 comes back with `not_modified` and no body.

        Raises BlockedHostError (a scheme or host, or a redirect hop, is refused), FetchTimeout, ResponseTooLarge,
        or FetchError (network failure, redirect loop or limit, final status other than 2xx or 304 after retries).
        """
        started = time.monotonic()
        deadline = started + self.policy.deadline_s
        target = _parse_url(url)
        request_headers = _request_headers(headers, etag, last_modified)
        visited = {str(target.copy_with(fragment=None))}
        for _hop in range(self.policy.max_redirects + 1):
            self._guard.check(target)
            reply, attempts = self._get_with_retries(target, request_headers, deadline)
            location = reply.headers.get("Location") if reply.status in _REDIRECTS else None
            if location is None:
                _raise_for_status(reply, target, attempts)
                return _result(reply, target, etag, last_modified, time.monotonic() - started)
            next_target = _parse_url(location, base=target)
            if str(next_target.copy_with(fragment=None)) in visited:
                raise FetchError(f"GET {_shown(url)}: redirect loop back to {_shown(next_target)}", url=_shown(url))
            visited.add(str(next_target.copy_with(fragment=None)))
            if _origin(next_target) != _origin(target):
                # As browsers and httpx do: credentials meant for one origin are not handed to another.
                request_headers = {k: v for k, v in request_headers.items() if not is_secret_header(k)}
            target = next_target
        raise FetchError(
            f"GET {_shown(url)}: redirect limit of {self.policy.max_redirects} exceeded at {_shown(target)}",
            url=_shown(url),
        )

    def _get_with_retries(self, url: httpx.URL, headers: dict[str, str], deadline: float) -> tuple[_Reply, int]:
        """One hop: the reply and the number of attempts it took; transient failures are retried with backoff."""
        attempt = 0
        while True:
            attempt += 1
            is_last = attempt > self.policy.retries
            try:
                reply = self._get_once(url, headers, deadline)
            except FetchError as exc:
                out_of_time = time.monotonic() >= deadline
                if is_last or out_of_time or not isinstance(exc.__cause__, _RETRYABLE_CAUSES):
                    raise
                delay = self._backoff_s(attempt)
            else:
                if is_last or not _is_retryable_status(reply.status):
                    return reply, attempt
                retry_after = _retry_after_s(reply.headers.get("Retry-After"))
                delay = self._backoff_s(attempt) if retry_after is None else min(retry_after, self.policy.backoff_cap_s)
            self._pause(delay, deadline, url)

    def _get_once(self, url: httpx.URL, headers: dict[str, str], deadline: float) -> _Reply:
        with (
            self._host_slot(url, deadline),
            _deadline_set(deadline),
            _translated_errors(url, deadline, self.policy.deadline_s),
        ):
            request = self._client.build_request("GET", url, headers=headers)
            response = self._client.send(request, stream=True)
            try:
                # Only a success carries a body we want; error and redirect bodies are dropped unread.
                body = self._read_body(response, url, deadline) if response.is_success else None
                if response.status_code == 304:
                    # A 304 has no body, but until its (empty) end is read the connection counts as busy and
                    # closing the response would drop it: read it, so the connection goes back to the pool and the
                    # next poll of this host skips a TCP (and TLS) handshake.
                    response.read()
            finally:
                response.close()
            return _Reply(response.status_code, response.headers, body)

    def _read_body(self, response: httpx.Response, url: httpx.URL, deadline: float) -> bytes:
        """The decoded body, refused as soon as it passes the cap, so a huge or endless body costs at most the cap.

        The raw bytes are decoded here (`CappedDecoder`), never more than one byte past the cap: a gzip bomb stops at
        the cap exactly, however much one compressed chunk would expand to."""
        limit = self.policy.max_bytes
        encoding = response.headers.get("Content-Encoding")
        declared = response.headers.get("Content-Length", "")
        if not encoding and declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(
                f"GET {_shown(url)}: Content-Length {declared} bytes exceeds the {limit}-byte cap",
                url=_shown(url),
                status=response.status_code,
            )
        try:
            decoder = CappedDecoder(encoding)
            body = bytearray()
            for raw in response.iter_raw():
                body += decoder.feed(raw, limit + 1 - len(body))
                if len(body) > limit:
                    break
                if time.monotonic() > deadline:
                    raise FetchTimeout(
                        f"GET {_shown(url)}: body still arriving after the {self.policy.deadline_s} s deadline",
                        url=_shown(url),
                    )
            else:
                body += decoder.flush(limit + 1 - len(body))
        except (UnsupportedEncoding, DecodeError) as exc:
            raise FetchError(f"GET {_shown(url)}: undecodable body ({exc})", url=_shown(url)) from exc
        if len(body) > limit or decoder.pending:
            raise ResponseTooLarge(
                f"GET {_shown(url)}: body exceeds the {limit}-byte cap (stopped after {len(body)} bytes)",
                url=_shown(url),
                status=response.status_code,
            )
        return bytes(body)

    @contextmanager
    def _host_slot(self, url: httpx.URL, deadline: float) -> Iterator[None]:
        """Hold one of the host's `per_host_limit` slots for one request (not across backoff sleeps)."""
        with self._slots_lock:
            slot = self._slots.get(url.host)
            if slot is None:
                slot = self._slots[url.host] = threading.BoundedSemaphore(self.policy.per_host_limit)
        if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise FetchTimeout(f"GET {_shown(url)}: no free slot for {url.host} before the deadline", url=_shown(url))
        try:
            yield
        finally:
            slot.release()

    def _backoff_s(self, attempt: int) -> float:
        """Exponential backoff with equal jitter, so sources failing together do not retry together."""
        ceiling = min(self.policy.backoff_cap_s, self.policy.backoff_base_s * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _pause(self, delay_s: float, deadline: float, url: httpx.URL) -> None:
        if time.monotonic() + delay_s > deadline:
            raise FetchTimeout(
                f"GET {_shown(url)}: the {self.policy.deadline_s} s deadline would pass before the next retry",
                url=_shown(url),
            )
        self._sleep(delay_s)


@contextmanager
def _deadline_set(deadline: float) -> Iterator[None]:
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextmanager
def _translated_errors(url: httpx.URL, deadline: float, deadline_s: float) -> Iterator[None]:
    """The one boundary where httpx's exceptions become ours: most specific first, chained, no secret in the text."""
    try:
        yield
    except httpx.TimeoutException as exc:
        if isinstance(exc.__cause__, _DeadlinePassed) or time.monotonic() >= deadline:
            doing = _DOING.get(type(exc), "waiting for the server")
            raise FetchTimeout(f"GET {_shown(url)}: the {deadline_s} s deadline passed {doing}",
                               url=_shown(url)) from exc  # fmt: skip
        raise FetchTimeout(f"GET {_shown(url)}: timed out ({_describe(exc, url)})", url=_shown(url)) from exc
    except httpx.ConnectError as exc:
        raise FetchError(f"GET {_shown(url)}: cannot connect ({_describe(exc, url)})", url=_shown(url)) from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"GET {_shown(url)}: undecodable body ({_describe(exc, url)})", url=_shown(url)) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {_shown(url)}: {_describe(exc, url)}", url=_shown(url)) from exc


_DOING = {
    httpx.ConnectTimeout: "connecting",
    httpx.WriteTimeout: "sending the request",
    httpx.ReadTimeout: "waiting for the response",
    httpx.PoolTimeout: "waiting for a connection",
}


def _describe(exc: Exception, url: httpx.URL) -> str:
    # httpx messages can quote the URL; mask whatever secrets it carries.
    text = redact_text(str(exc), secrets_in_url(str(url)))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shown(url: str | httpx.URL) -> str:
    return redact_url(str(url))


def _parse_url(raw: str, *, base: httpx.URL | None = None) -> httpx.URL:
    try:
        return base.join(raw) if base is not None else httpx.URL(raw)
    except httpx.InvalidURL as exc:
        # A malformed configured URL or Location header: the upstream's or the config's fault, reported the same way.
        raise FetchError(f"invalid URL {_shown(raw)}", url=_shown(raw)) from exc


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _request_headers(headers: Mapping[str, str] | None, etag: str | None, last_modified: str | None) -> dict[str, str]:
    merged = dict(headers or {})
    if etag:
        merged["If-None-Match"] = etag
    if last_modified:
        merged["If-Modified-Since"] = last_modified
    return merged


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after_s(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _raise_for_status(reply: _Reply, url: httpx.URL, attempts: int) -> None:
    if 200 <= reply.status < 300 or reply.status == 304:
        return
    after = f" after {attempts} attempts" if attempts > 1 else ""
    detail = " without a Location header" if reply.status in _REDIRECTS else ""
    raise FetchError(f"GET {_shown(url)}: HTTP {reply.status}{detail}{after}", url=_shown(url), status=reply.status)


def _result(
    reply: _Reply, url: httpx.URL, etag: str | None, last_modified: str | None, elapsed_s: float
) -> FetchResult:
    not_modified = reply.status == 304
    return FetchResult(
        status=reply.status,
        body=None if not_modified else (reply.body or b""),
        etag=reply.headers.get("ETag") or (etag if not_modified else None),
        last_modified=reply.headers.get("Last-Modified") or (last_modified if not_modified else None),
        url=str(url),
        elapsed_s=elapsed_s,
        content_type=reply.headers.get("Content-Type"),
    )
