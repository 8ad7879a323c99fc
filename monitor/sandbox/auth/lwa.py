"""Amazon Login with Amazon: a refresh-token (or client-credentials) grant sent as `x-amz-access-token`."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from monitor.errors import ConfigError
from monitor.sandbox.auth.oauth2 import TokenGrant

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


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
