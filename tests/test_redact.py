"""monitor.redact: secrets in URLs, headers and free text become `***`, everything else stays as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from monitor import redact
from monitor.config import load_settings
from monitor.redact import (
    is_secret_header,
    is_secret_param,
    redact_headers,
    redact_text,
    redact_url,
    secrets_in_url,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://api.example.com/v1/orders?page=2", "https://api.example.com/v1/orders?page=2"),
        ("https://user:hunter2@example.com/x", "https://user:***@example.com/x"),
        ("https://ghp_abc123@github.com/org/repo.git", "https://***@github.com/org/repo.git"),
        ("https://x.test/?access_token=A1&page=2", "https://x.test/?access_token=***&page=2"),
        ("https://x.test/?Token=A&API_KEY=B&apiKey=C&Secret=D", "https://x.test/?Token=***&API_KEY=***&apiKey=***&Secret=***"),
        ("https://x.test/?client_secret=A&password=B&sig=C", "https://x.test/?client_secret=***&password=***&sig=***"),
        ("https://x.test/?refresh_token=A&key=B&accessKey=C", "https://x.test/?refresh_token=***&key=***&accessKey=***"),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F20250101&X-Amz-Signature=f00",
            "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=***&X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("https://x.test/?Signature=abc&Expires=1700000000", "https://x.test/?Signature=***&Expires=1700000000"),
        ("https://x.test/cb#access_token=A&state=s", "https://x.test/cb#access_token=***&state=s"),
        ("https://x.test/#section-2", "https://x.test/#section-2"),
        ("https://x.test/?keyword=shoes&signed=1&flag", "https://x.test/?keyword=shoes&signed=1&flag"),
        ("https://x.test/?a=%20b+c&token=", "https://x.test/?a=%20b+c&token="),  # untouched bytes, nothing to mask
        ("https://x.test/?acc%65ss_token=A", "https://x.test/?acc%65ss_token=***"),  # encoded names are decoded first
    ],
)  # fmt: skip
def test_redact_url_masks_passwords_and_secret_parameters(url: str, masked: str) -> None:
    assert redact_url(url) == masked


def test_redact_url_says_nothing_about_an_unparsable_url() -> None:
    assert redact_url("http://[::1/?token=abc") == "***"


@pytest.mark.parametrize(
    "name", ["token", "access_token", "id_token", "api_key", "X-API-KEY", "clientSecret", "pwd", "X-Amz-Date", "sig"]
)
def test_secret_parameter_names(name: str) -> None:
    assert is_secret_param(name)


@pytest.mark.parametrize("name", ["page", "keyword", "signed", "design", "limit", "MarketplaceIds"])
def test_ordinary_parameter_names(name: str) -> None:
    assert not is_secret_param(name)


def test_redact_headers_masks_credentials_and_keeps_the_rest() -> None:
    headers = {
        "Authorization": "Bearer abc",
        "Proxy-Authorization": "Basic xyz",
        "Cookie": "sid=1",
        "Set-Cookie": "sid=2",
        "x-amz-access-token": "Atza|1",
        "X-Api-Key": "k",
        "X-Refresh-Token": "r",
        "X-Client-Secret": "s",
        "Accept": "application/json",
        "User-Agent": "monitor/0.1.0",
        "ETag": '"abc"',
    }

    masked = redact_headers(headers)

    assert masked == {
        **{name: "***" for name in list(headers)[:8]},
        "Accept": "application/json",
        "User-Agent": "monitor/0.1.0",
        "ETag": '"abc"',
    }
    assert headers["Authorization"] == "Bearer abc"  # a copy: the caller's headers still work


@pytest.mark.parametrize("name", ["authorization", "COOKIE", "X-Auth-Token", "x-goog-api-key", "X-Session-Id"])
def test_secret_header_names(name: str) -> None:
    assert is_secret_header(name)


def test_redact_text_masks_known_values_raw_and_url_encoded() -> None:
    token = "Atza|IwEB+abc/def"
    text = f"refresh failed for {token}; url=https://x.test/?t=Atza%7CIwEB%2Babc%2Fdef; form=Atza%7CIwEB%2Babc%2Fdef"

    masked = redact_text(text, [token, None, ""])

    assert masked == "refresh failed for ***; url=https://x.test/?t=***; form=***"


def test_redact_text_masks_the_longest_secret_whole_and_takes_secret_str() -> None:
    masked = redact_text("key=abcdef and abc", [SecretStr("abc"), "abcdef"])

    assert masked == "key=*** and ***"


def test_secrets_in_url_feed_redact_text() -> None:
    url = "https://u:p%40ss@x.test/?access_token=T%2B1&page=2"

    assert redact_text(f"could not fetch {url}", secrets_in_url(url)) == (
        "could not fetch https://u:***@x.test/?access_token=***&page=2"
    )


def test_a_url_without_secrets_is_shown_as_written() -> None:
    assert redact_url("sqlite:///monitor.db") == "sqlite:///monitor.db"  # not sqlite:/monitor.db
    assert redact_url("sqlite:////data/monitor.db") == "sqlite:////data/monitor.db"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://partner.shopeemobile.com/api/v2/order/get_order_list?partner_id=2001887&timestamp=1655714431"
         "&access_token=T&shop_id=14701711&sign=abc",
         "https://partner.shopeemobile.com/api/v2/order/get_order_list?partner_id=2001887&timestamp=1655714431"
         "&access_token=***&shop_id=14701711&sign=***"),
        ("https://api.lazada.sg/rest/orders/get?app_key=123456&sign_method=sha256&access_token=T&sign=ABC&status=pending",
         "https://api.lazada.sg/rest/orders/get?app_key=***&sign_method=***&access_token=***&sign=***&status=pending"),
        ("https://open-api.tiktokglobalshop.com/order/202309/orders?app_key=29a39d&shop_cipher=ROW_x&sign=b59&ids=1",
         "https://open-api.tiktokglobalshop.com/order/202309/orders?app_key=***&shop_cipher=ROW_x&sign=***&ids=1"),
    ],
)  # fmt: skip
def test_signed_platform_urls_lose_their_signature_and_token(url: str, masked: str) -> None:
    """`sign` (Shopee, Lazada, TikTok Shop) can be replayed for minutes: masked like any signature."""
    assert redact_url(url) == masked


def test_the_tiktok_access_token_header_is_masked() -> None:
    assert redact_headers({"x-tts-access-token": "TTP_x", "x-tts-shop": "1"})["x-tts-access-token"] == "***"


@pytest.fixture
def registered() -> Iterator[None]:
    """Secrets registered by a test are forgotten after it (the registry is process-wide)."""
    before = set(redact._REGISTERED)
    yield
    redact._REGISTERED.clear()
    redact._REGISTERED.update(before)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://h/spec?c=Zq81-unnamed-KEY&page=2", "https://h/spec?c=***&page=2"),
        ("https://h/spec?c=prefix.Zq81-unnamed-KEY", "https://h/spec?c=***"),
        ("https://h/spec?c=Zq81%2Dunnamed%2DKEY", "https://h/spec?c=***"),
        ("https://h/keys/Zq81-unnamed-KEY/spec.json", "https://h/keys/***/spec.json"),
        ("https://h/spec#c=Zq81-unnamed-KEY", "https://h/spec#c=***"),
        ("https://h/spec?stage=prod&p=products", "https://h/spec?stage=***&p=products"),
        ("https://prod.example.com/products/spec", "https://prod.example.com/products/spec"),
    ],
)
def test_values_the_configuration_marks_secret_are_masked_whatever_the_parameter(
    registered: None, url: str, masked: str
) -> None:
    """Attack: a secret passed in a parameter whose name says nothing (`c=`) or in the path."""
    redact.register_secrets(["Zq81-unnamed-KEY", "prod", "ab", None])  # "ab": too short to mask anything
    assert redact_url(url) == masked
    assert "Zq81-unnamed-KEY" not in redact_text(f"GET {url}: HTTP 500", secrets_in_url(url))


def test_loading_the_configuration_registers_placeholders_and_secret_fields(
    registered: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPEC_CODE", "pl4ceholder-value-1")
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "platforms:\n  p:\n    specs:\n      s: {url: 'https://h/spec?code=${SPEC_CODE}'}\n"
        "    sandbox:\n      base_url: https://sandbox.h\n      auth: {type: bearer, token: s3cret-field-2}\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    (_, _, source) = settings.spec_sources()[0]
    assert redact_url(source.url) == "https://h/spec?code=***"
    assert redact_url("https://sandbox.h/x?t=s3cret-field-2") == "https://sandbox.h/x?t=***"
