"""Lazada Open Platform: system parameters and an upper-case HMAC-SHA256 `sign` over the API path and all parameters.

Lazada's "Sign the API request" guide and its official SDK (`lazop-sdk` on PyPI, `lazop.base.sign`): the API path
(`/orders/get`, without the `/rest` of the gateway URL) followed by every request parameter, system and application
alike, sorted by name and written as name+value with no separators, HMAC-SHA256 with the app secret, upper-case hex.
System parameters: `app_key`, `timestamp` (milliseconds), `sign_method=sha256`, `access_token`, `sign`. Application
parameters travel in the query (GET) or the form body (POST), and both are signed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit

from monitor.sandbox.auth.base import Outgoing, Signed, json_text, short

SYSTEM = ("app_key", "timestamp", "sign_method", "access_token", "sign")
# Lazada's gateway answers bad credentials with HTTP 200 and an error code (IncompleteSignature, IllegalAccessToken,
# InvalidAppKey...); these name a signature, token or app key problem, other codes are business errors.
_AUTH_CODE = re.compile(r"Signature|AccessToken|AppKey|Timestamp|SignMethod", re.IGNORECASE)


def signature(app_secret: str, api_path: str, params: Iterable[tuple[str, str]]) -> str:
    """The documented `sign`: HMAC-SHA256(app_secret, api_path + name1 + value1 + ...) in upper-case hex."""
    text = api_path + "".join(f"{name}{value}" for name, value in sorted(params))
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


class LazadaAuth:
    """Signs each Lazada Open Platform request; `base_url` is the gateway (`https://api.lazada.sg/rest`)."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        access_token: str | None = None,
        *,
        base_url: str = "",
        now: Callable[[], float] = time.time,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token or ""
        self._prefix = urlsplit(base_url).path.rstrip("/")
        self._now = now

    def headers(self) -> dict[str, str]:
        return {}

    def secrets(self) -> list[str]:
        return [s for s in (self._app_secret, self._access_token) if s]

    def close(self) -> None:
        pass

    def api_path(self, path: str) -> str:
        """The API name Lazada signs: the URL path without the gateway's own path (`/rest`)."""
        if self._prefix and path.startswith(self._prefix + "/"):
            return path[len(self._prefix) :]
        return path

    def sign(self, request: Outgoing) -> Signed:
        params = [(k, v) for k, v in request.query if k not in SYSTEM]
        system = [("app_key", self._app_key), ("timestamp", str(int(self._now() * 1000))), ("sign_method", "sha256")]
        if self._access_token:
            system.append(("access_token", self._access_token))
        signed = params + system
        if request.content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded" and request.body:
            # Form fields are application parameters too (the SDK signs them before it posts them).
            signed += parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        sign = signature(self._app_secret, self.api_path(request.path), signed)
        return Signed(request.with_query([*params, *system, ("sign", sign)]))

    def auth_error(self, status_code: int | None, body: str) -> str | None:
        data = json_text(body)
        code = data.get("code")
        if isinstance(code, str) and code != "0" and _AUTH_CODE.search(code):
            return f"Lazada refused the credentials (HTTP {status_code}): {short(code, 60)}: {short(data.get('message', ''))}"
        return None
