"""Auth providers for sandbox suites, one module per kind; `provider_for` picks one from the config's `type`.

Usage:

    provider = provider_for(sandbox.auth, base_url=sandbox.base_url)
    response = client.get(url, headers=provider.headers())
    if isinstance(provider, RequestSigner):       # shopee, lazada, tiktok-shop: every request signed
        signed = provider.sign(Outgoing("GET", url))
        client = httpx.Client(auth=SignedAuth(provider))  # or let httpx sign each request
    log_line = mask(text, provider.secrets())

Kinds: `none`, `header`, `bearer`, `oauth2` (client credentials), `lwa` (Amazon), `shopee`, `lazada`, `tiktok-shop`.
Token endpoint failures raise `SandboxError` with one line that never carries a secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from monitor.config import SandboxAuth
from monitor.errors import ConfigError
from monitor.sandbox.auth.base import (
    DEFAULT_EXPIRES_IN_S,
    REFRESH_MARGIN_S,
    AuthProvider,
    Outgoing,
    RequestSigner,
    Signed,
    secret_value,
)
from monitor.sandbox.auth.header import BearerToken, NoAuth, StaticHeader
from monitor.sandbox.auth.httpx_auth import SignedAuth
from monitor.sandbox.auth.lazada import LazadaAuth
from monitor.sandbox.auth.lwa import LWA_TOKEN_URL, LoginWithAmazon
from monitor.sandbox.auth.oauth2 import OAuth2ClientCredentials, TokenGrant
from monitor.sandbox.auth.shopee import SHOPEE_TOKEN_URL, ShopeeAuth
from monitor.sandbox.auth.tiktok_shop import TikTokShopAuth

__all__ = [
    "DEFAULT_EXPIRES_IN_S",
    "LWA_TOKEN_URL",
    "REFRESH_MARGIN_S",
    "SHOPEE_TOKEN_URL",
    "AuthProvider",
    "BearerToken",
    "LazadaAuth",
    "LoginWithAmazon",
    "NoAuth",
    "OAuth2ClientCredentials",
    "Outgoing",
    "RequestSigner",
    "ShopeeAuth",
    "Signed",
    "SignedAuth",
    "StaticHeader",
    "TikTokShopAuth",
    "TokenGrant",
    "provider_for",
]


def provider_for(
    auth: SandboxAuth,
    *,
    base_url: str = "",
    http: httpx.Client | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
) -> AuthProvider:
    """The provider a sandbox's `auth` section describes; raises `ConfigError` when a needed field is missing."""

    def value(field: str) -> str:
        raw: Any = getattr(auth, field)
        text = secret_value(raw) if hasattr(raw, "get_secret_value") else (raw or "")
        return str(text)

    def need(field: str) -> str:
        text = value(field)
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
    if auth.type == "shopee":
        return ShopeeAuth(
            need("partner_id"), need("partner_key"), shop_id=value("shop_id") or None,
            merchant_id=value("merchant_id") or None, access_token=value("access_token") or None,
            refresh_token=value("refresh_token") or None, token_url=auth.token_url or SHOPEE_TOKEN_URL, http=http,
            clock=clock, now=now,
        )  # fmt: skip
    if auth.type == "lazada":
        return LazadaAuth(need("app_key"), need("app_secret"), need("access_token"), base_url=base_url, now=now)
    if auth.type == "tiktok-shop":
        return TikTokShopAuth(
            need("app_key"), need("app_secret"), need("access_token"), value("shop_cipher") or None, now=now
        )
    return LoginWithAmazon(
        need("client_id"),
        need("client_secret"),
        value("refresh_token") or None,
        auth.scope,
        token_url=auth.token_url or LWA_TOKEN_URL,
        http=http,
        clock=clock,
    )
