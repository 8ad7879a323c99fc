"""The production guard: a contract suite runs only against sandbox hosts, unless the config says otherwise.

Sandbox hosts are the platforms' known sandboxes (Amazon's `sandbox.sellingpartnerapi-*.amazon.com`, Shopee's
test-stable partner hosts, TikTok Shop's `open-api-sandbox` host: `monitor.sources.platforms`), loopback (tests, the
local replica) and hosts the config declares as sandbox (`is_sandbox: true`). A platform's known production host
(Amazon, Shopee, Lazada, TikTok Shop) can never be declared a sandbox. Anything else is refused with a reason; with
`allow_production` it is let through, but only safe methods (GET, HEAD, OPTIONS) may be sent. Plain http is accepted
for loopback only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.errors import BlockedHostError
from monitor.redact import redact_url
from monitor.sources.platforms import known_production, known_sandbox

ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """What the guard decided for one base URL: its host, why it is allowed, and which methods may be sent."""

    host: str
    reason: str  # "<platform>-sandbox" (amazon-sandbox, shopee-sandbox...), "loopback", "declared" or "production"
    allowed_methods: frozenset[str]

    @property
    def production(self) -> bool:
        return self.reason == "production"

    def allows(self, method: str) -> bool:
        return method.upper() in self.allowed_methods


def is_loopback(host: str) -> bool:
    """True for `localhost` (and `*.localhost`) and loopback IP literals (127.0.0.0/8, ::1)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_sandbox_host(base_url: str, *, declared_sandbox: bool, allow_production: bool = False) -> SandboxPolicy:
    """The policy for running a suite against `base_url`; raises `BlockedHostError` with a one-line reason if refused."""
    shown = redact_url(base_url)
    try:
        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError as exc:
        raise BlockedHostError(f"sandbox {shown}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BlockedHostError(f"sandbox {shown}: scheme {scheme or '(none)'!r} refused, use https")
    if not host:
        raise BlockedHostError(f"sandbox {shown}: no host in the URL")
    loopback = is_loopback(host)
    if scheme == "http" and not loopback:
        raise BlockedHostError(f"sandbox {shown}: plain http is only accepted for loopback hosts, use https")
    if loopback:
        return SandboxPolicy(host, "loopback", ALL_METHODS)
    platform = known_sandbox(host)
    if platform is not None:
        return SandboxPolicy(host, f"{platform}-sandbox", ALL_METHODS)
    production = known_production(host)
    if declared_sandbox and production is None:
        return SandboxPolicy(host, "declared", ALL_METHODS)
    if allow_production:
        return SandboxPolicy(host, "production", SAFE_METHODS)
    if production is not None:
        raise BlockedHostError(
            f"sandbox {shown}: {host} is not a known sandbox host but {production}'s production API (is_sandbox "
            "cannot make it one); use its sandbox host, or allow production explicitly (only GET, HEAD and OPTIONS "
            "are then sent)"
        )
    raise BlockedHostError(
        f"sandbox {shown}: {host} is not a known sandbox host; set is_sandbox if it is one, "
        "or allow production explicitly (only GET, HEAD and OPTIONS are then sent)"
    )
