"""The production guard: sandbox hosts pass, production hosts are refused unless allowed, and then only safe methods."""

from __future__ import annotations

import pytest

from monitor.errors import BlockedHostError, InputError
from monitor.sandbox.guard import SAFE_METHODS, check_sandbox_host


@pytest.mark.parametrize("region", ["na", "eu", "fe"])
def test_amazon_sandbox_hosts_are_allowed(region: str) -> None:
    policy = check_sandbox_host(f"https://sandbox.sellingpartnerapi-{region}.amazon.com", declared_sandbox=False)
    assert policy.reason == "amazon-sandbox"
    assert {"POST", "PUT", "DELETE"} <= policy.allowed_methods


@pytest.mark.parametrize(
    "url",
    [
        "https://sellingpartnerapi-na.amazon.com",
        "https://sandbox.sellingpartnerapi-na.amazon.com.evil.example",
        "https://evil.example/?h=sandbox.sellingpartnerapi-na.amazon.com",
    ],
)
def test_production_hosts_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(BlockedHostError) as info:
        check_sandbox_host(url, declared_sandbox=False)
    message = str(info.value)
    assert "not a known sandbox host" in message
    assert "\n" not in message
    assert isinstance(info.value, InputError)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9000/v1", "http://localhost:1"]
)
def test_loopback_is_allowed_even_over_http(url: str) -> None:
    policy = check_sandbox_host(url, declared_sandbox=False)
    assert policy.reason == "loopback"
    assert policy.allows("post")


def test_a_declared_sandbox_host_is_allowed() -> None:
    policy = check_sandbox_host("https://sandbox.partner.example/api", declared_sandbox=True)
    assert policy.reason == "declared"
    assert policy.allows("DELETE")


def test_allow_production_sends_only_safe_methods() -> None:
    policy = check_sandbox_host(
        "https://sellingpartnerapi-na.amazon.com", declared_sandbox=False, allow_production=True
    )
    assert policy.production
    assert policy.allowed_methods == SAFE_METHODS == {"GET", "HEAD", "OPTIONS"}
    assert policy.allows("get")
    assert not policy.allows("POST")


@pytest.mark.parametrize("declared, allow", [(False, False), (True, False), (False, True)])
def test_plain_http_to_a_non_loopback_host_is_refused(declared: bool, allow: bool) -> None:
    with pytest.raises(BlockedHostError, match="plain http"):
        check_sandbox_host(
            "http://sandbox.sellingpartnerapi-na.amazon.com", declared_sandbox=declared, allow_production=allow
        )


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "https://", "not a url"])
def test_other_schemes_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(BlockedHostError):
        check_sandbox_host(url, declared_sandbox=True, allow_production=True)


def test_secrets_in_the_url_are_masked_in_the_reason() -> None:
    with pytest.raises(BlockedHostError) as info:
        check_sandbox_host("https://prod.example/?api_key=CANARY-guard", declared_sandbox=False)
    assert "CANARY-guard" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://partner.test-stable.shopeemobile.com", "shopee-sandbox"),
        ("https://partner.uat.shopeemobile.com/api/v2", "shopee-sandbox"),
        ("https://openplatform.sandbox.test-stable.shopee.sg", "shopee-sandbox"),
        ("https://open-api-sandbox.tiktokglobalshop.com", "tiktok-shop-sandbox"),
        ("https://OPEN-API-SANDBOX.tiktokglobalshop.com.", "tiktok-shop-sandbox"),
    ],
)
def test_the_sea_platforms_sandbox_hosts_are_allowed_for_writes(url: str, reason: str) -> None:
    policy = check_sandbox_host(url, declared_sandbox=False)
    assert policy.reason == reason
    assert policy.allows("POST")


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://partner.shopeemobile.com", "shopee"),
        ("https://openplatform.shopee.cn", "shopee"),
        ("https://api.lazada.sg/rest", "lazada"),
        ("https://api.lazada.co.th/rest", "lazada"),
        ("https://api.lazada.com/rest", "lazada"),
        ("https://open-api.tiktokglobalshop.com", "tiktok-shop"),
        ("https://sellingpartnerapi-eu.amazon.com", "amazon"),
    ],
)
def test_production_hosts_are_refused_even_when_declared_a_sandbox(url: str, platform: str) -> None:
    for declared in (False, True):
        with pytest.raises(BlockedHostError) as info:
            check_sandbox_host(url, declared_sandbox=declared)
        assert f"{platform}'s production API" in str(info.value)
    policy = check_sandbox_host(url, declared_sandbox=True, allow_production=True)
    assert policy.production and not policy.allows("POST") and policy.allows("GET")


@pytest.mark.parametrize(
    "url",
    [
        "https://partner.test-stable.shopeemobile.com.evil.example",
        "https://evil-partner.test-stable.shopeemobile.com",
        "https://open-api-sandbox.tiktokglobalshop.com.attacker.test",
        "https://api.lazada.sg.example",
    ],
)
def test_lookalike_hosts_are_neither_sandbox_nor_known_production(url: str) -> None:
    with pytest.raises(BlockedHostError, match="not a known sandbox host"):
        check_sandbox_host(url, declared_sandbox=False)
