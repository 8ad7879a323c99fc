"""Local sandboxes of Shopee, Lazada and TikTok Shop that check every request's signature as each platform documents it.

Each verifies independently of `monitor.sandbox.auth` (its own few lines, written from the documents cited below),
answers the documented response shapes when the signature, token and clock are right, and otherwise the platform's
own refusal:

- Shopee (open.shopee.com developer guide "API calls" / "Authorization and Authentication"): HTTP 403
  `{"error": "error_sign", "message": "Wrong sign.", "request_id": ...}`; a bad token `invalid_access_token`. The
  token endpoint `POST /api/v2/auth/access_token/get` is signed as a public API and rotates the refresh token.
- Lazada (open.lazada.com "Sign the API request"): HTTP 200 with
  `{"type": "ISV", "code": "IncompleteSignature", "message": "The request signature does not conform to lazada
  standards", "request_id": ...}`, the shape the lazop SDK parses; a bad token `IllegalAccessToken`.
- TikTok Shop (partner.tiktokshop.com/docv2/page/sign-your-api-request): HTTP 401 `{"code": 106001, "message":
  "Invalid credentials. The 'sign' query parameter is invalid.", "request_id": ..., "data": null}`; a bad token
  105002. The 400 for a missing shop_cipher uses TikTok's envelope with a code of our own (not documented).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CLOCK_SKEW_S = 300  # Shopee and TikTok Shop refuse timestamps more than five minutes off


@dataclass
class Seen:
    """What a sandbox received, so a test can check the signing parameters really travelled."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _hmac(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


# -- Shopee ---------------------------------------------------------------------------------------------------------


def shopee_app(partner_id: str, partner_key: str, shop_id: str, refresh_token: str, access_token: str,
               rotated_refresh: str, seen: Seen) -> Starlette:  # fmt: skip
    def refuse(error: str, message: str, status: int = 403) -> JSONResponse:
        seen.refused.append(error)
        return JSONResponse({"error": error, "message": message, "request_id": "e3e3e7f3"}, status)

    def public_ok(request: Request) -> JSONResponse | None:
        q = dict(request.query_params)
        if q.get("partner_id") != partner_id or not q.get("timestamp", "").isdigit():
            return refuse("error_param", "Invalid partner_id or timestamp.")
        if abs(int(q["timestamp"]) - time.time()) > CLOCK_SKEW_S:
            return refuse("error_param", "Invalid timestamp.")
        if q.get("sign") != _hmac(partner_key, f"{partner_id}{request.url.path}{q['timestamp']}"):
            return refuse("error_sign", "Wrong sign.")
        return None

    def shop_ok(request: Request) -> JSONResponse | None:
        q = dict(request.query_params)
        seen.requests.append({"path": request.url.path, "query": q})
        if q.get("partner_id") != partner_id or q.get("shop_id") != shop_id or not q.get("timestamp", "").isdigit():
            return refuse("error_param", "Missing or invalid common parameters.")
        if abs(int(q["timestamp"]) - time.time()) > CLOCK_SKEW_S:
            return refuse("error_param", "Invalid timestamp.")
        base = f"{partner_id}{request.url.path}{q['timestamp']}{q.get('access_token', '')}{shop_id}"
        if q.get("sign") != _hmac(partner_key, base):
            return refuse("error_sign", "Wrong sign.")
        if q.get("access_token") != access_token:
            return refuse("invalid_access_token", "Invalid access_token.")
        return None

    async def token(request: Request) -> JSONResponse:
        refused = public_ok(request)
        if refused is not None:
            return refused
        body = json.loads(await request.body() or b"{}")
        seen.requests.append({"path": request.url.path, "body": body})
        # The refresh token rotates: the one issued with the last access token is the one that works next.
        if body.get("refresh_token") not in (refresh_token, rotated_refresh) or str(body.get("shop_id")) != shop_id:
            return refuse("error_auth", "Invalid refresh_token.")
        return JSONResponse({"access_token": access_token, "refresh_token": rotated_refresh, "expire_in": 14400,
                             "partner_id": int(partner_id), "shop_id": int(shop_id), "request_id": "t1",
                             "error": "", "message": ""})  # fmt: skip

    def answer(response: dict[str, Any]):
        async def endpoint(request: Request) -> JSONResponse:
            refused = shop_ok(request)
            if refused is not None:
                return refused
            return JSONResponse({"error": "", "message": "", "request_id": "b7c2", "response": response})

        return endpoint

    order = {"order_sn": "201214JAJXU6G7", "region": "SG", "currency": "SGD", "cod": False, "total_amount": 35.6,
             "order_status": "READY_TO_SHIP", "create_time": 1607235072, "update_time": 1607235215}  # fmt: skip
    return Starlette(routes=[
        Route("/api/v2/auth/access_token/get", token, methods=["POST"]),
        Route("/api/v2/order/get_order_list", answer({"more": False, "next_cursor": "",
                                                       "order_list": [{"order_sn": "201214JAJXU6G7"}]})),
        Route("/api/v2/order/get_order_detail", answer({"order_list": [order]})),
        Route("/api/v2/product/get_item_list", answer({"item": [{"item_id": 800182459, "item_status": "NORMAL",
                                                                 "update_time": 1607235215}], "total_count": 1,
                                                        "has_next_page": False, "next_offset": 1})),
        Route("/api/v2/logistics/get_tracking_number", answer({"tracking_number": "SG2012145536373Y"})),
        Route("/api/v2/product/update_stock", answer({"success_list": [{"model_id": 0, "stock": 100}],
                                                      "failure_list": []}), methods=["POST"]),
    ])  # fmt: skip


# -- Lazada ---------------------------------------------------------------------------------------------------------


def lazada_app(app_key: str, app_secret: str, access_token: str, seen: Seen) -> Starlette:
    def refuse(code: str, message: str) -> JSONResponse:
        seen.refused.append(code)
        return JSONResponse(
            {"type": "ISV", "code": code, "message": message, "request_id": "0ba2887315178178017221014"}
        )

    async def check(request: Request) -> JSONResponse | None:
        # Parameters count wherever they travel: the query, or the form body (the SDK posts even its system ones).
        every = list(request.query_params.multi_items())
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            every += parse_qsl((await request.body()).decode(), keep_blank_values=True)
        params = [(k, v) for k, v in every if k != "sign"]
        q = dict(every)
        seen.requests.append({"path": request.url.path, "query": q})
        if q.get("app_key") != app_key or q.get("sign_method") != "sha256" or not q.get("timestamp", "").isdigit():
            return refuse("IncompleteSignature", "The request signature does not conform to lazada standards")
        api = request.url.path.removeprefix("/rest")
        text = api + "".join(f"{k}{v}" for k, v in sorted(params))
        expected = hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()
        if q.get("sign") != expected:
            return refuse("IncompleteSignature", "The request signature does not conform to lazada standards")
        if q.get("access_token") != access_token:
            return refuse("IllegalAccessToken", "The specified access token is invalid or expired")
        return None

    def answer(data: Any):
        async def endpoint(request: Request) -> JSONResponse:
            refused = await check(request)
            if refused is not None:
                return refused
            body: dict[str, Any] = {"code": "0", "request_id": "0ba2887315178178017221014"}
            if data is not None:
                body["data"] = data
            return JSONResponse(body)

        return endpoint

    order = {"order_id": 16090, "order_number": 300034416, "statuses": ["pending"], "price": "99.00",
             "created_at": "2018-02-10 09:35:26 +0800"}  # fmt: skip
    return Starlette(routes=[
        Route("/rest/orders/get", answer({"count": 1, "countTotal": 1, "orders": [order]})),
        Route("/rest/order/get", answer(order)),
        Route("/rest/order/items/get", answer([{"order_item_id": 16101, "sku": "api-create-test-1",
                                                "status": "pending", "tracking_code": "",
                                                "shipment_provider": "LGS-FM40"}])),
        Route("/rest/shipment/providers/get", answer({"shipment_providers": [{"name": "LGS-FM40", "cod": 1}]})),
        Route("/rest/product/price_quantity/update", answer(None), methods=["POST"]),
    ])  # fmt: skip


# -- TikTok Shop ----------------------------------------------------------------------------------------------------


def tiktok_app(app_key: str, app_secret: str, access_token: str, shop_cipher: str, seen: Seen) -> Starlette:
    def refuse(code: int, message: str, status: int = 401) -> JSONResponse:
        seen.refused.append(str(code))
        return JSONResponse({"code": code, "message": message, "request_id": "202606190151522272D4695E9B9043B79E",
                             "data": None}, status)  # fmt: skip

    async def check(request: Request) -> JSONResponse | None:
        q = dict(request.query_params)
        body = await request.body()
        seen.requests.append({"path": request.url.path, "query": q, "body": body.decode()})
        if q.get("app_key") != app_key or not q.get("timestamp", "").isdigit():
            return refuse(106001, "Invalid credentials. The 'sign' query parameter is invalid.")
        if abs(int(q["timestamp"]) - time.time()) > CLOCK_SKEW_S:
            return refuse(106001, "Invalid credentials. The 'timestamp' query parameter is invalid.")
        pairs = "".join(f"{k}{v}" for k, v in sorted(q.items()) if k not in ("sign", "access_token"))
        multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
        text = f"{app_secret}{request.url.path}{pairs}{'' if multipart else body.decode()}{app_secret}"
        if q.get("sign") != _hmac(app_secret, text):
            return refuse(106001, "Invalid credentials. The 'sign' query parameter is invalid.")
        if request.headers.get("x-tts-access-token") != access_token:
            return refuse(105002, "Invalid credentials. The 'x-tts-access-token' header is invalid.")
        if q.get("shop_cipher") != shop_cipher:
            return refuse(36009004, "shop_cipher is missing or does not belong to this shop", 400)
        return None

    def answer(data: dict[str, Any]):
        async def endpoint(request: Request) -> JSONResponse:
            refused = await check(request)
            if refused is not None:
                return refused
            return JSONResponse({"code": 0, "message": "Success", "request_id": "2023100912", "data": data})

        return endpoint

    return Starlette(routes=[
        Route("/order/202309/orders/search", answer({"next_page_token": "", "total_count": 1, "orders": [
            {"id": "576461413038785752", "status": "AWAITING_SHIPMENT", "create_time": 1623812664}]}),
            methods=["POST"]),
        Route("/order/202309/orders", answer({"orders": [{"id": "576461413038785752", "status": "AWAITING_SHIPMENT",
                                                          "line_items": [{"id": "577086512123755123",
                                                                          "sku_id": "1729592969712207012"}]}]})),
        Route("/product/202309/products/search", answer({"total_count": 1, "products": [
            {"id": "1729592969712207008", "status": "ACTIVATE"}]}), methods=["POST"]),
        Route("/fulfillment/202309/orders/{order_id}/tracking", answer({"tracking": [
            {"description": "Package picked up", "update_time_millis": 1623812664000}]})),
        Route("/product/202309/products/{product_id}/inventory/update", answer({}), methods=["POST"]),
    ])  # fmt: skip
