"""Token grants: an access token from a token endpoint, cached and fetched again shortly before it expires.

Token grants POST a form to the (configurable) token endpoint, cache the access token and fetch a new one shortly
before it expires; they are thread-safe. Token endpoint failures raise `SandboxError` with one line that never carries
a secret. Subclasses change the form, the header, or (Shopee) the whole exchange.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from monitor.errors import SandboxError
from monitor.redact import error_line, mask, redact_url
from monitor.sandbox.auth.base import (
    DEFAULT_EXPIRES_IN_S,
    REFRESH_MARGIN_S,
    TOKEN_LIMITS,
    TOKEN_TIMEOUT,
    check_token_url,
    json_object,
)


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
        check_token_url(token_url)
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
        body = json_object(response)
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
