"""Auth providers for sandbox suites: static header, bearer token, OAuth2 client credentials, Amazon Login with Amazon.

Usage:

    provider = provider_for(sandbox.auth)
    response = client.get(url, headers=provider.headers())
    log_line = mask(text, provider.secrets())

Token grants POST a form to the (configurable) token endpoint, cache the access token and fetch a new one shortly
before it expires; they are thread-safe. Token endpoint failures raise `SandboxError` with one line that never carries
a secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from monitor.config import SandboxAuth
from monitor.errors import ConfigError, SandboxError
from monitor.redact import SecretLike, error_line, mask, redact_url
from monitor.sandbox.guard import is_loopback

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
REFRESH_MARGIN_S = 60.0  # fetch a new token this long before the old one expires
DEFAULT_EXPIRES_IN_S = 3600.0  # when the endpoint does not say
TOKEN_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
TOKEN_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)


class AuthProvider(Protocol):
    """Headers to add to every sandbox request, and the secret values to mask wherever output is kept."""

    def headers(self) -> dict[str, str]: ...

    def secrets(self) -> list[str]: ...

    def close(self) -> None: ...


def _value(secret: SecretLike | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


class NoAuth:
    """No credentials at all."""

    def close(self) -> None:
        pass

    def headers(self) -> dict[str, str]:
        return {}

    def secrets(self) -> list[str]:
        return []


class StaticHeader:
    """One fixed header, e.g. `x-api-key: ...`."""

    def __init__(self, header: str, value: str) -> None:
        self._header = header
        self._value = value

    def headers(self) -> dict[str, str]:
        return {self._header: self._value}

    def secrets(self) -> list[str]:
        return [self._value] if self._value else []

    def close(self) -> None:
        pass


class BearerToken(StaticHeader):
    """`Authorization: Bearer <token>` with a fixed token."""

    def __init__(self, token: str) -> None:
        super().__init__("Authorization", f"Bearer {token}")
        self._token = token

    def secrets(self) -> list[str]:
        return [s for s in (self._token, self._value) if s]


class TokenGrant:
    """A cached access token from a token endpoint; subclasses say which form to post and which header to send."""

    name = "token endpoint"

    def __init__(
        self,
        token_url: str,
        form: dict[str, str],
        *,
        secret_values: list[str],
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_token_url(token_url)
        self._token_url = token_url
        self._form = {k: v for k, v in form.items() if v}
        self._secret_values = [s for s in secret_values if s]
        self._http = http
        self._own_http: httpx.Client | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def header(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def headers(self) -> dict[str, str]:
        return self.header(self.access_token())

    def secrets(self) -> list[str]:
        with self._lock:
            current = [self._token] if self._token else []
        return [*self._secret_values, *current]

    def access_token(self) -> str:
        """The cached token, or a fresh one when none is cached or the cached one is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, expires_in = self._request_token()
                margin = min(REFRESH_MARGIN_S, expires_in / 2)
                self._refresh_at = self._clock() + expires_in - margin
            return self._token

    def close(self) -> None:
        if self._own_http is not None:
            self._own_http.close()
            self._own_http = None

    def _client(self) -> httpx.Client:
        if self._http is not None:
            return self._http
        if self._own_http is None:
            self._own_http = httpx.Client(
                timeout=TOKEN_TIMEOUT, limits=TOKEN_LIMITS, trust_env=False, follow_redirects=False
            )
        return self._own_http

    def _fail(self, reason: str) -> SandboxError:
        text = f"{self.name} {redact_url(self._token_url)}: {reason}"
        return SandboxError(mask(text, self._secret_values))

    def _request_token(self) -> tuple[str, float]:
        try:
            response = self._client().post(self._token_url, data=self._form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise self._fail(error_line(exc, self._secret_values)) from None
        body = _json(response)
        if response.status_code != 200:
            code = body.get("error") if isinstance(body.get("error"), str) else None
            detail = f" ({code[:60]})" if code and code.replace("_", "").isalnum() else ""
            raise self._fail(f"answered HTTP {response.status_code}{detail}")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise self._fail("the response has no access_token")
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN_S)
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = DEFAULT_EXPIRES_IN_S
        return token, max(seconds, 0.0)


class OAuth2ClientCredentials(TokenGrant):
    """OAuth2 client-credentials grant; sends `Authorization: Bearer <access token>`."""

    name = "OAuth2 token endpoint"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        form["scope"] = scope or ""
        super().__init__(token_url, form, secret_values=[client_secret], http=http, clock=clock)


class LoginWithAmazon(TokenGrant):
    """Amazon LWA: refresh-token grant (or client credentials with a scope); sends `x-amz-access-token`."""

    name = "LWA token endpoint"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str | None = None,
        scope: str | None = None,
        *,
        token_url: str = LWA_TOKEN_URL,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        elif scope:
            form = {"grant_type": "client_credentials", "scope": scope}
        else:
            raise ConfigError("lwa auth needs a refresh_token, or a scope for the client-credentials grant")
        form |= {"client_id": client_id, "client_secret": client_secret}
        secret_values = [client_secret, refresh_token or ""]
        super().__init__(token_url, form, secret_values=secret_values, http=http, clock=clock)

    def header(self, token: str) -> dict[str, str]:
        return {"x-amz-access-token": token}


def provider_for(
    auth: SandboxAuth, *, http: httpx.Client | None = None, clock: Callable[[], float] = time.monotonic
) -> AuthProvider:
    """The provider a sandbox's `auth` section describes; raises `ConfigError` when a needed field is missing."""

    def need(field: str) -> str:
        value: Any = getattr(auth, field)
        text = _value(value) if hasattr(value, "get_secret_value") else (value or "")
        if not text:
            raise ConfigError(f"sandbox auth type {auth.type!r} needs {field}")
        return text

    if auth.type == "none":
        return NoAuth()
    if auth.type == "header":
        return StaticHeader(need("header"), need("value"))
    if auth.type == "bearer":
        return BearerToken(need("token"))
    if auth.type == "oauth2":
        return OAuth2ClientCredentials(
            need("token_url"), need("client_id"), need("client_secret"), auth.scope, http=http, clock=clock
        )
    return LoginWithAmazon(
        need("client_id"),
        need("client_secret"),
        _value(auth.refresh_token) or None,
        auth.scope,
        token_url=auth.token_url or LWA_TOKEN_URL,
        http=http,
        clock=clock,
    )


def _check_token_url(url: str) -> None:
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


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
