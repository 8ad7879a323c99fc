"""Shopee Open Platform v2: every request signed with the partner key; the access token refreshed when it expires.

Shopee's "Authorization and Authentication" guide (open.shopee.com, developer guide "API calls"): common parameters
go in the query string of every call, GET or POST: `partner_id`, `timestamp` (seconds), `sign`, and for shop and
merchant APIs `access_token` with `shop_id` or `merchant_id`. `sign` is the lower-case hex HMAC-SHA256, keyed with
the partner key, of the base string partner_id + API path + timestamp [+ access_token + shop_id|merchant_id] with
no separators. Public APIs (`/api/v2/public/...`, `/api/v2/auth/...`) sign the first three only.

The access token lives four hours; `POST /api/v2/auth/access_token/get` (a public API) exchanges the refresh token
for a new pair, and the refresh token rotates with it, so the new one replaces the old in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable

import httpx

from monitor.errors import ConfigError
from monitor.redact import error_line
from monitor.sandbox.auth.base import Outgoing, Signed, json_object, json_text, short
from monitor.sandbox.auth.oauth2 import TokenGrant

SHOPEE_TOKEN_URL = "https://partner.shopeemobile.com/api/v2/auth/access_token/get"
PUBLIC_PREFIXES = ("/api/v2/public/", "/api/v2/auth/", "/api/v2/shop/auth_partner", "/api/v2/shop/cancel_auth_partner")
COMMON = ("partner_id", "timestamp", "access_token", "shop_id", "merchant_id", "sign")
# Shopee's `error` values for a bad key, token or partner id (its error-code reference); others are business errors.
AUTH_ERRORS = frozenset(
    {"error_sign", "error_auth", "invalid_access_token", "invalid_acceess_token", "error_invalid_partner_id",
     "invalid_partner_id", "error_permission", "error_timestamp"}
)  # fmt: skip


def base_string(partner_id: str, path: str, timestamp: int, access_token: str = "", owner_id: str = "") -> str:
    """The documented base string; `owner_id` is the shop id or merchant id (empty for public APIs)."""
    return f"{partner_id}{path}{timestamp}{access_token}{owner_id}"


def signature(partner_key: str, base: str) -> str:
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


class ShopeeTokenGrant(TokenGrant):
    """`/api/v2/auth/access_token/get`: refresh token -> access token, signed as a public API, JSON body."""

    name = "Shopee token endpoint"

    def __init__(
        self,
        token_url: str,
        partner_id: str,
        partner_key: str,
        refresh_token: str,
        owner: tuple[str, str],
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token_url, {}, secret_values=[partner_key, refresh_token], http=http, clock=clock)
        self._partner_id = partner_id
        self._partner_key = partner_key
        self._refresh_token = refresh_token
        self._owner = owner  # ("shop_id", "123") or ("merchant_id", "456")
        self._now = now
        self._rotate_lock = threading.Lock()

    def _request_token(self) -> tuple[str, float]:
        path = httpx.URL(self._token_url).path
        timestamp = int(self._now())
        sign = signature(self._partner_key, base_string(self._partner_id, path, timestamp))
        params = {"partner_id": self._partner_id, "timestamp": str(timestamp), "sign": sign}
        body = {"refresh_token": self._refresh_token, "partner_id": _number(self._partner_id),
                self._owner[0]: _number(self._owner[1])}  # fmt: skip
        try:
            response = self._client().post(self._token_url, params=params, json=body)
        except httpx.HTTPError as exc:
            raise self._fail(error_line(exc, self._secret_values)) from None
        data = json_object(response)
        error = data.get("error")
        if response.status_code != 200 or error:
            code = f" ({short(error, 60)})" if isinstance(error, str) and error.replace("_", "").isalnum() else ""
            refused = "refused the credentials: " if error in AUTH_ERRORS else ""
            raise self._fail(f"{refused}answered HTTP {response.status_code}{code}")
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise self._fail("the response has no access_token")
        rotated = data.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            with self._rotate_lock:  # the old refresh token stops working once a new one is issued
                self._refresh_token = rotated
                self._secret_values.append(rotated)
        try:
            seconds = float(data.get("expire_in", 14400))  # Shopee: 4 hours
        except (TypeError, ValueError):
            seconds = 14400.0
        return token, max(seconds, 0.0)


class ShopeeAuth:
    """Signs each Shopee Open Platform v2 request; shop level (shop_id) or merchant level (merchant_id)."""

    def __init__(
        self,
        partner_id: str,
        partner_key: str,
        *,
        shop_id: str | None = None,
        merchant_id: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        token_url: str = SHOPEE_TOKEN_URL,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not partner_id.isdigit():
            raise ConfigError("shopee auth: partner_id must be the numeric partner id")
        if bool(shop_id) == bool(merchant_id):
            raise ConfigError("shopee auth needs exactly one of shop_id (shop APIs) or merchant_id (merchant APIs)")
        if not (access_token or refresh_token):
            raise ConfigError("shopee auth needs an access_token, or a refresh_token to get one")
        self._partner_id = partner_id
        self._partner_key = partner_key
        self._owner = ("shop_id", str(shop_id)) if shop_id else ("merchant_id", str(merchant_id))
        self._access_token = access_token or ""
        self._now = now
        # With a refresh token the access token comes from the token endpoint: a configured one has no known expiry.
        self._grant: ShopeeTokenGrant | None = None
        if refresh_token:
            self._grant = ShopeeTokenGrant(
                token_url, partner_id, partner_key, refresh_token, self._owner, http=http, clock=clock, now=now
            )

    def headers(self) -> dict[str, str]:
        # Nothing goes in headers, but this is where a suite asks for credentials before it runs: fetching the
        # access token now puts it among the secrets the run masks.
        self.access_token()
        return {}

    def secrets(self) -> list[str]:
        found = [self._partner_key, self._access_token]
        if self._grant is not None:
            found += self._grant.secrets()
        return [s for s in found if s]

    def close(self) -> None:
        if self._grant is not None:
            self._grant.close()

    def access_token(self) -> str:
        return self._grant.access_token() if self._grant is not None else self._access_token

    def sign(self, request: Outgoing) -> Signed:
        path = request.path
        timestamp = int(self._now())
        params = [(k, v) for k, v in request.query if k not in COMMON]
        common = [("partner_id", self._partner_id), ("timestamp", str(timestamp))]
        if is_public(path):
            base = base_string(self._partner_id, path, timestamp)
        else:
            token = self.access_token()
            base = base_string(self._partner_id, path, timestamp, token, self._owner[1])
            common += [("access_token", token), self._owner]
        common.append(("sign", signature(self._partner_key, base)))
        return Signed(request.with_query(params + common))

    def auth_error(self, status_code: int | None, body: str) -> str | None:
        data = json_text(body)
        error = data.get("error")
        if isinstance(error, str) and error in AUTH_ERRORS:
            return f"Shopee refused the credentials (HTTP {status_code}): {error}: {short(data.get('message', ''))}"
        return None


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value
