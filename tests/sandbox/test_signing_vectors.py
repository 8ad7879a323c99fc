"""Each signing algorithm against independent reference values: the platforms' own worked examples and Lazada's SDK.

Sources:
- TikTok Shop, "Sign your API request" (https://partner.tiktokshop.com/docv2/page/sign-your-api-request), step-by-step
  breakdown: app_secret e59af819cc, GET /authorization/202309/shops?app_key=29a39d&timestamp=1623812664 gives
  sign b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8; the Update Shop Webhook example shows the
  string with a shop_cipher and a body.
- Shopee Open Platform, developer guide "API calls" / "Authorization and Authentication" (https://open.shopee.com):
  the documented base strings of a shop, a merchant and a public API call (partner_id 2001887, timestamp 1655714431)
  and of the v2 shop authorisation link (partner_id 10090, timestamp 1594897040). The guide prints no partner key,
  so the HMAC step is checked against the standard library's HMAC of the documented base string.
- Lazada: the official Python SDK `lazop-sdk` from PyPI (`lazop_sdk.base.sign`, and `LazopClient` sending real
  requests to the local Lazada sandbox of tests/sandbox/platforms/signed_sandbox.py).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qsl, urlsplit

import pytest

from monitor.config import SandboxAuth
from monitor.errors import ConfigError
from monitor.sandbox.auth import (
    LazadaAuth,
    Outgoing,
    RequestSigner,
    ShopeeAuth,
    TikTokShopAuth,
    lazada,
    provider_for,
    shopee,
    tiktok_shop,
)
from tests.sandbox.platforms.signed_sandbox import Seen, lazada_app, shopee_app
from tests.sandbox.test_runner import serving

TIKTOK_SECRET = "e59af819cc"
TIKTOK_DOC_SIGN = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# -- TikTok Shop ------------------------------------------------------------------------------------------------------


def test_tiktok_signature_matches_the_documented_worked_example() -> None:
    params = [("app_key", "29a39d"), ("timestamp", "1623812664")]
    assert tiktok_shop.string_to_sign("/authorization/202309/shops", params) == (
        "/authorization/202309/shopsapp_key29a39dtimestamp1623812664"
    )
    assert tiktok_shop.signature(TIKTOK_SECRET, "/authorization/202309/shops", params) == TIKTOK_DOC_SIGN


def test_tiktok_provider_signs_the_documented_request_and_sends_the_token_as_a_header() -> None:
    auth = TikTokShopAuth("29a39d", TIKTOK_SECRET, "TTP_pwSm2AAAAABmmtFz1xlyKMnwg74T2G", "ROW_xkMbgAAAeVAQra0eZ",
                          now=lambda: 1623812664)  # fmt: skip
    signed = auth.sign(Outgoing("GET", "https://open-api.tiktokglobalshop.com/authorization/202309/shops"))
    q = query(signed.url)
    assert q == {"app_key": "29a39d", "timestamp": "1623812664", "sign": TIKTOK_DOC_SIGN}  # no shop_cipher here
    assert signed.headers == {"x-tts-access-token": "TTP_pwSm2AAAAABmmtFz1xlyKMnwg74T2G"}
    assert "access_token" not in q


def test_tiktok_string_to_sign_matches_the_documented_body_example() -> None:
    body = b'{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}'
    params = [("timestamp", "1696909648"), ("shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
              ("app_key", "68xu9ks5p4i8"), ("access_token", "never-signed"), ("sign", "never-signed")]  # fmt: skip
    assert tiktok_shop.string_to_sign("/event/202309/webhooks", params, body) == (
        "/event/202309/webhooksapp_key68xu9ks5p4i8shop_cipherROW_xkMbgAAAeVAQra0eZWebFQq5aIKtimestamp1696909648"
        '{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}'
    )


def test_tiktok_adds_the_shop_cipher_to_shop_operations_and_signs_the_exact_body() -> None:
    auth = TikTokShopAuth("68xu9ks5p4i8", TIKTOK_SECRET, "tok", "ROW_cipher", now=lambda: 1696909648)
    body = b'{"order_status":"AWAITING_SHIPMENT"}'
    url = "https://open-api-sandbox.tiktokglobalshop.com/order/202309/orders/search?page_size=20"
    signed = auth.sign(Outgoing("POST", url, body, "application/json"))
    q = query(signed.url)
    assert q["shop_cipher"] == "ROW_cipher" and q["page_size"] == "20"
    assert q["sign"] == tiktok_shop.signature(TIKTOK_SECRET, "/order/202309/orders/search", list(q.items()), body)
    multipart = auth.sign(Outgoing("POST", url, b"--x\r\nfile", "multipart/form-data; boundary=x"))
    assert query(multipart.url)["sign"] == tiktok_shop.signature(
        TIKTOK_SECRET, "/order/202309/orders/search", [(k, v) for k, v in query(multipart.url).items()]
    )  # multipart bodies are not signed


# -- Shopee -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "documented"),
    [
        (("2001887", "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", "14701711"),
         "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"),
        (("2001887", "/api/v2/global_product/get_category", 1655714431, "09777174636962737266615546704c6d", "1000000"),
         "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"),
        (("2001887", "/api/v2/public/get_shops_by_partner", 1655714431), "2001887/api/v2/public/get_shops_by_partner1655714431"),
        (("10090", "/api/v2/shop/auth_partner", 1594897040), "10090/api/v2/shop/auth_partner1594897040"),
    ],
    ids=["shop", "merchant", "public", "auth-link"],
)  # fmt: skip
def test_shopee_base_strings_match_the_documented_examples(parts: tuple, documented: str) -> None:
    assert shopee.base_string(*parts) == documented


def test_shopee_shop_call_carries_the_documented_common_parameters_and_sign() -> None:
    auth = ShopeeAuth("2001887", "partner-key-1", shop_id="14701711", access_token="59777174636562737266615546704c6d",
                      now=lambda: 1655714431)  # fmt: skip
    signed = auth.sign(Outgoing("GET", "https://partner.test-stable.shopeemobile.com/api/v2/shop/get_shop_info"))
    q = query(signed.url)
    base = "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    expected = hmac.new(b"partner-key-1", base.encode(), hashlib.sha256).hexdigest()
    assert q == {"partner_id": "2001887", "timestamp": "1655714431", "access_token": "59777174636562737266615546704c6d",
                 "shop_id": "14701711", "sign": expected}  # fmt: skip
    assert signed.headers == {}


def test_shopee_merchant_and_public_calls() -> None:
    merchant = ShopeeAuth("2001887", "k", merchant_id="1000000", access_token="09777174636962737266615546704c6d",
                          now=lambda: 1655714431)  # fmt: skip
    q = query(merchant.sign(Outgoing("GET", "https://h.test/api/v2/global_product/get_category?language=en")).url)
    assert q["merchant_id"] == "1000000" and "shop_id" not in q and q["language"] == "en"
    assert q["sign"] == shopee.signature(
        "k", "2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000"
    )
    public = query(merchant.sign(Outgoing("GET", "https://h.test/api/v2/public/get_shops_by_partner")).url)
    assert set(public) == {"partner_id", "timestamp", "sign"}
    assert public["sign"] == shopee.signature("k", "2001887/api/v2/public/get_shops_by_partner1655714431")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"partner_id": "2001887", "partner_key": "k", "access_token": "t"}, "exactly one of shop_id"),
        ({"partner_id": "2001887", "partner_key": "k", "shop_id": "1", "merchant_id": "2", "access_token": "t"}, "exactly one"),
        ({"partner_id": "2001887", "partner_key": "k", "shop_id": "1"}, "access_token, or a refresh_token"),
        ({"partner_id": "partner", "partner_key": "k", "shop_id": "1", "access_token": "t"}, "numeric"),
        ({"partner_key": "k", "shop_id": "1", "access_token": "t"}, "needs partner_id"),
    ],
)  # fmt: skip
def test_shopee_configuration_problems_are_one_line_errors(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        provider_for(SandboxAuth(type="shopee", **fields))


# -- Lazada -----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lazop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The official SDK; it opens a log file under $HOME/logs when imported, so HOME points at a temporary folder."""
    home = tmp_path_factory.mktemp("lazop-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        sys.modules.pop("lazop_sdk.base", None)
        sys.modules.pop("lazop_sdk", None)
        yield importlib.import_module("lazop_sdk")


@pytest.mark.parametrize(
    ("api", "params"),
    [
        ("/orders/get", {"created_after": "2018-02-10T09:00:00+08:00", "status": "pending", "limit": "10"}),
        ("/order/items/get", {"order_id": "16090"}),
        ("/product/price_quantity/update", {"payload": "<Request><Product><Skus><Sku><SellerSku>a b&c</SellerSku>"
                                                       "<Quantity>20</Quantity></Sku></Skus></Product></Request>"}),
        ("/products/get", {"search": "กระเป๋า 手袋", "filter": "live"}),
    ],
)  # fmt: skip
def test_lazada_signature_equals_the_official_sdk(lazop: ModuleType, api: str, params: dict[str, str]) -> None:
    system = {"app_key": "123456", "timestamp": "1517820392000", "sign_method": "sha256", "access_token": "50000601"}
    everything = {**params, **system}
    assert lazada.signature("secret-ab12", api, everything.items()) == lazop.sign("secret-ab12", api, everything)


def test_lazada_provider_signs_what_the_sdk_would_for_the_same_request(lazop: ModuleType) -> None:
    auth = LazadaAuth("123456", "secret-ab12", "50000601", base_url="https://api.lazada.sg/rest",
                      now=lambda: 1517820392.0)  # fmt: skip
    signed = auth.sign(
        Outgoing("GET", "https://api.lazada.sg/rest/orders/get?created_after=2018-02-10T09%3A00%3A00%2B08%3A00")
    )
    q = query(signed.url)
    assert q["timestamp"] == "1517820392000" and q["sign_method"] == "sha256" and q["access_token"] == "50000601"
    assert urlsplit(signed.url).path == "/rest/orders/get"
    sign = q.pop("sign")
    assert sign == lazop.sign("secret-ab12", "/orders/get", q)  # the API path, without the gateway's /rest
    form = b"payload=%3CRequest%3E%3C%2FRequest%3E"
    posted = auth.sign(Outgoing("POST", "https://api.lazada.sg/rest/product/price_quantity/update", form,
                                "application/x-www-form-urlencoded"))  # fmt: skip
    pq = query(posted.url)
    assert pq.pop("sign") == lazop.sign("secret-ab12", "/product/price_quantity/update",
                                        {**pq, "payload": "<Request></Request>"})  # fmt: skip


def test_the_local_lazada_sandbox_accepts_the_official_sdk_and_refuses_a_wrong_secret(lazop: ModuleType) -> None:
    """The sandbox the suites run against agrees with Lazada's own SDK, so passing it means signing like Lazada."""
    seen = Seen()
    with serving(lazada_app("123456", "secret-ab12", "50000601", seen)) as base:
        good = lazop.LazopClient(f"{base}/rest", "123456", "secret-ab12")
        request = lazop.LazopRequest("/orders/get", "GET")
        request.add_api_param("created_after", "2018-02-10T09:00:00+08:00")
        assert good.execute(request, "50000601").code == "0"
        posted = lazop.LazopRequest("/product/price_quantity/update")
        posted.add_api_param("payload", "<Request><Product/></Request>")
        assert good.execute(posted, "50000601").code == "0"
        wrong = lazop.LazopClient(f"{base}/rest", "123456", "not-the-secret").execute(request, "50000601")
    assert (wrong.type, wrong.code) == ("ISV", "IncompleteSignature")


# -- all three ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "body", "status", "expected"),
    [
        (ShopeeAuth("1", "k", shop_id="2", access_token="t"), '{"error":"error_sign","message":"Wrong sign."}', 403, "error_sign"),
        (ShopeeAuth("1", "k", shop_id="2", access_token="t"), '{"error":"invalid_access_token","message":"x"}', 403, "invalid_access_token"),
        (LazadaAuth("1", "s", "t"), '{"type":"ISV","code":"IllegalAccessToken","message":"expired"}', 200, "IllegalAccessToken"),
        (TikTokShopAuth("1", "s", "t"), '{"code":105002,"message":"Expired credentials."}', 401, "105002"),
    ],
)  # fmt: skip
def test_refusals_of_the_credentials_are_recognised(auth: RequestSigner, body: str, status: int, expected: str) -> None:
    assert expected in (auth.auth_error(status, body) or "")


@pytest.mark.parametrize(
    ("auth", "body"),
    [
        (ShopeeAuth("1", "k", shop_id="2", access_token="t"), '{"error":"error_param","message":"order_sn is invalid"}'),
        (LazadaAuth("1", "s", "t"), '{"code":"0","data":{}}'),
        (LazadaAuth("1", "s", "t"), '{"type":"ISV","code":"InvalidOrderId","message":"no such order"}'),
        (TikTokShopAuth("1", "s", "t"), '{"code":0,"message":"Success"}'),
        (TikTokShopAuth("1", "s", "t"), '{"code":21011001,"message":"order not found"}'),
        (TikTokShopAuth("1", "s", "t"), "<html>not json"),
        (TikTokShopAuth("1", "s", "t"), '{"code":"106001"'),
    ],
)  # fmt: skip
def test_business_errors_and_garbage_are_not_auth_errors(auth: RequestSigner, body: str) -> None:
    assert auth.auth_error(400, body) is None


def test_every_new_type_is_built_from_config_with_env_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.config import load_settings

    monkeypatch.setenv("SHOPEE_KEY", "shpk-canary")
    monkeypatch.setenv("LAZADA_SECRET", "laz-canary")
    monkeypatch.setenv("TTS_SECRET", "tts-canary")
    config = tmp_path / "monitor.yaml"
    config.write_text("""
platforms:
  shopee: {sandbox: {base_url: "https://partner.test-stable.shopeemobile.com", specs: [order-sync],
           auth: {type: shopee, partner_id: 2001887, partner_key: "${SHOPEE_KEY}", shop_id: 14701711, access_token: "${SHOPEE_KEY}-t"}}}
  lazada: {sandbox: {base_url: "https://api.lazada.sg/rest", specs: [order-sync],
           auth: {type: lazada, app_key: "123456", app_secret: "${LAZADA_SECRET}", access_token: "${LAZADA_SECRET}-t"}}}
  tiktok-shop: {sandbox: {base_url: "https://open-api-sandbox.tiktokglobalshop.com", specs: [order-sync],
           auth: {type: tiktok-shop, app_key: "29a39d", app_secret: "${TTS_SECRET}", access_token: "${TTS_SECRET}-t", shop_cipher: ROW_x}}}
""")
    settings = load_settings(config)
    kinds = {}
    for name, sandbox in settings.sandboxes():
        provider = provider_for(sandbox.auth, base_url=sandbox.base_url)
        kinds[name] = type(provider).__name__
        assert isinstance(provider, RequestSigner)
        assert len(provider.secrets()) == 2  # the key or secret, and the access token
        assert "canary" not in repr(sandbox.auth)  # pydantic SecretStr: never in a repr or a log line
    assert kinds == {"shopee": "ShopeeAuth", "lazada": "LazadaAuth", "tiktok-shop": "TikTokShopAuth"}


def test_shopee_refreshes_the_access_token_through_the_token_endpoint_and_caches_it_until_expiry() -> None:
    seen = Seen()
    clock = [1000.0]
    app = shopee_app("2001887", "pk-1", "14701711", "refresh-1", "access-1", "refresh-2", seen)
    with serving(app) as base:
        auth = ShopeeAuth("2001887", "pk-1", shop_id="14701711", refresh_token="refresh-1",
                          token_url=f"{base}/api/v2/auth/access_token/get", clock=lambda: clock[0])  # fmt: skip
        try:
            first = query(auth.sign(Outgoing("GET", f"{base}/api/v2/order/get_order_list")).url)
            query(auth.sign(Outgoing("GET", f"{base}/api/v2/order/get_order_detail")).url)
            assert first["access_token"] == "access-1"
            token_calls = [r for r in seen.requests if r["path"].endswith("access_token/get")]
            assert len(token_calls) == 1 and token_calls[0]["body"] == {
                "refresh_token": "refresh-1", "partner_id": 2001887, "shop_id": 14701711}  # fmt: skip
            clock[0] += 14400 - 30  # inside the refresh margin before the documented 4-hour expiry
            auth.sign(Outgoing("GET", f"{base}/api/v2/order/get_order_list"))
            token_calls = [r for r in seen.requests if r["path"].endswith("access_token/get")]
            assert [c["body"]["refresh_token"] for c in token_calls] == ["refresh-1", "refresh-2"]  # rotated
            assert {"pk-1", "access-1", "refresh-1", "refresh-2"} <= set(auth.secrets())
        finally:
            auth.close()
    assert seen.refused == []  # the token endpoint's own public-API signature was right


def test_shopee_token_endpoint_refusal_is_one_line_without_secrets() -> None:
    from monitor.errors import SandboxError

    seen = Seen()
    with serving(shopee_app("2001887", "pk-1", "14701711", "refresh-1", "access-1", "refresh-2", seen)) as base:
        auth = ShopeeAuth("2001887", "wrong-key", shop_id="14701711", refresh_token="refresh-1",
                          token_url=f"{base}/api/v2/auth/access_token/get")  # fmt: skip
        with pytest.raises(SandboxError) as caught:
            auth.headers()
        auth.close()
    message = str(caught.value)
    assert "refused the credentials" in message and "error_sign" in message and "\n" not in message
    assert "wrong-key" not in message and "refresh-1" not in message


def test_httpx_requests_signed_by_each_provider_are_accepted_by_the_local_sandboxes() -> None:
    """The httpx adapter (for callers outside schemathesis, such as a recording proxy) signs what it sends."""
    import httpx

    from monitor.sandbox.auth import SignedAuth
    from tests.sandbox.platforms.signed_sandbox import tiktok_app

    seen = Seen()
    apps = {
        "shopee": (shopee_app("2001887", "pk", "14701711", "r", "tok", "r2", seen),
                   ShopeeAuth("2001887", "pk", shop_id="14701711", access_token="tok"), ""),
        "lazada": (lazada_app("123456", "ls", "lt", seen), None, "/rest"),
        "tiktok": (tiktok_app("29a39d", "ts", "tt", "ROW_c", seen), TikTokShopAuth("29a39d", "ts", "tt", "ROW_c"), ""),
    }  # fmt: skip
    for name, (app, provider, prefix) in apps.items():
        with serving(app) as base:
            if provider is None:
                provider = LazadaAuth("123456", "ls", "lt", base_url=f"{base}/rest")
            with httpx.Client(auth=SignedAuth(provider), trust_env=False) as client:
                if name == "shopee":
                    answer = client.post(f"{base}/api/v2/product/update_stock", json={"item_id": 1, "stock_list": []})
                elif name == "lazada":
                    answer = client.post(
                        f"{base}{prefix}/product/price_quantity/update", data={"payload": "<Request/>"}
                    )
                else:
                    answer = client.post(f"{base}/order/202309/orders/search?page_size=20", json={"order_status": "X"})
            assert answer.status_code == 200 and answer.json().get("code", 0) in (0, "0"), (name, answer.text)
    assert seen.refused == []
