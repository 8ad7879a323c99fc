"""TikTok Shop Partner API (version 202309 and later): `app_key`, `timestamp` and `sign` in the query, the access
token in the `x-tts-access-token` header.

TikTok Shop's "Sign your API request" guide (partner.tiktokshop.com/docv2/page/sign-your-api-request): take every
query parameter except `sign` and `access_token`, sort by name, concatenate as name+value, put the request path in
front and (unless the body is multipart/form-data) the request body behind, wrap the whole in the app secret on both
sides and take the lower-case hex HMAC-SHA256 keyed with the app secret. The timestamp is in seconds and must be
within five minutes of TikTok's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable

from monitor.sandbox.auth.base import Outgoing, Signed, json_text, short

EXCLUDED = ("sign", "access_token")
# Shop-scoped APIs need `shop_cipher`; the authorization and seller APIs are about the app and the seller, not a shop.
NO_SHOP_CIPHER = ("/authorization/", "/seller/", "/api/v2/token/")


def string_to_sign(path: str, params: Iterable[tuple[str, str]], body: bytes = b"") -> str:
    """Path, then the sorted name+value pairs without `sign` and `access_token`, then the body (steps 2-4)."""
    pairs = "".join(f"{name}{value}" for name, value in sorted(p for p in params if p[0] not in EXCLUDED))
    return f"{path}{pairs}{body.decode('utf-8', errors='replace')}"


def signature(app_secret: str, path: str, params: Iterable[tuple[str, str]], body: bytes = b"") -> str:
    """The documented `sign`: HMAC-SHA256(secret, secret + string_to_sign + secret), lower-case hex (steps 5-6)."""
    text = f"{app_secret}{string_to_sign(path, params, body)}{app_secret}"
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class TikTokShopAuth:
    """Signs each TikTok Shop request; adds `shop_cipher` to shop-scoped operations when one is configured."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        access_token: str | None = None,
        shop_cipher: str | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token or ""
        self._shop_cipher = shop_cipher or ""
        self._now = now

    def headers(self) -> dict[str, str]:
        return {"x-tts-access-token": self._access_token} if self._access_token else {}

    def secrets(self) -> list[str]:
        return [s for s in (self._app_secret, self._access_token) if s]

    def close(self) -> None:
        pass

    def sign(self, request: Outgoing) -> Signed:
        params = [(k, v) for k, v in request.query if k not in ("app_key", "timestamp", *EXCLUDED)]
        params += [("app_key", self._app_key), ("timestamp", str(int(self._now())))]
        needs_cipher = not any(part in request.path for part in NO_SHOP_CIPHER)
        if self._shop_cipher and needs_cipher and not any(k == "shop_cipher" for k, _ in params):
            params.append(("shop_cipher", self._shop_cipher))
        multipart = request.content_type.split(";")[0].strip().lower() == "multipart/form-data"
        sign = signature(self._app_secret, request.path, params, b"" if multipart else request.body)
        return Signed(request.with_query([*params, ("sign", sign)]), self.headers())

    def auth_error(self, status_code: int | None, body: str) -> str | None:
        data = json_text(body)
        code = data.get("code")
        # 105xxx: the access token (invalid, expired, revoked); 106xxx: the signature or app key.
        if isinstance(code, int) and 105000 <= code < 107000:
            return f"TikTok Shop refused the credentials (HTTP {status_code}): {code}: {short(data.get('message', ''))}"
        return None
