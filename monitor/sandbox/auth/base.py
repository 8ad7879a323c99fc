"""What every sandbox auth provider offers, and the helpers the providers share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from monitor.errors import ConfigError
from monitor.redact import SecretLike, redact_url
from monitor.sandbox.guard import is_loopback

REFRESH_MARGIN_S = 60.0  # fetch a new token this long before the old one expires
DEFAULT_EXPIRES_IN_S = 3600.0  # when the endpoint does not say
TOKEN_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
TOKEN_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)


class AuthProvider(Protocol):
    """Headers to add to every sandbox request, and the secret values to mask wherever output is kept."""

    def headers(self) -> dict[str, str]: ...

    def secrets(self) -> list[str]: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class Outgoing:
    """One request about to be sent, as a signer sees it: method, URL (query included), body bytes, media type."""

    method: str
    url: str
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def with_query(self, params: list[tuple[str, str]]) -> str:
        """The URL with its query replaced by `params` (in this order)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), parts.fragment))


@dataclass(frozen=True, slots=True)
class Signed:
    """What a signer adds to a request: the URL to send (signing parameters appended) and headers."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class RequestSigner(Protocol):
    """A provider that signs each request (Shopee, Lazada, TikTok Shop) rather than sending fixed headers."""

    def sign(self, request: Outgoing) -> Signed: ...

    def auth_error(self, status_code: int | None, body: str) -> str | None:
        """A one-line reason when a response is the platform's answer to bad credentials, else None."""
        ...


def secret_value(secret: SecretLike | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def check_token_url(url: str) -> None:
    """Token endpoints are https, or plain http on loopback (tests, a local proxy); anything else is refused."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise ConfigError(f"token_url {redact_url(url)} is not a valid URL") from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and is_loopback(host):
        return
    raise ConfigError(f"token_url {redact_url(url)} must be https (plain http only for loopback)")


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def json_text(body: str) -> dict[str, Any]:
    """A response excerpt as a JSON object, or {} (excerpts may be cut short or not JSON at all)."""
    import json

    try:
        loaded = json.loads(body)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def short(value: Any, limit: int = 120) -> str:
    """A platform's error text on one line, bounded: it lands in run errors and the CLI."""
    return " ".join(str(value).split())[:limit]
