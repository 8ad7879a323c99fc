"""Learning: path templating, signing parameters, evidence for enums and formats, widening that never narrows."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from monitor.engine import load_spec_bytes
from monitor.traffic.har import exchanges_of_entries
from monitor.traffic.learn import ENUM_MIN_SAMPLES, learn
from monitor.traffic.observe import observe
from monitor.traffic.paths import template_paths
from monitor.traffic.widen import widen
from tests.traffic.conftest import entry


def _learn(entries: list[dict[str, Any]], platform: str = "amazon", **kwargs: Any) -> dict[str, Any]:
    items = list(exchanges_of_entries(entries, "test"))
    return learn(items, platform=platform, name="api", **kwargs).document


def _schema(document: dict[str, Any], path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def test_identifiers_become_named_parameters_and_words_stay_words() -> None:
    templates = template_paths([
        "/orders/v0/orders/902-3159896-1390916", "/orders/v0/orders/902-2592119-3531015/orderItems",
        "/catalog/2022-04-01/items/B07N4M94X4", "/fba/inventory/v1/summaries", "/fba/inventory/v1/items",
        "/api/v2/order/get_order_detail", "/orders/get", "/listings/2021-08-01/items/SELLER/SKU-1",
        "/listings/2021-08-01/items/SELLER/SKU-2", "/shipments/3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "/things/one-word",
    ])  # fmt: skip
    assert templates["/orders/v0/orders/902-3159896-1390916"] == "/orders/v0/orders/{orderId}"
    assert templates["/orders/v0/orders/902-2592119-3531015/orderItems"] == "/orders/v0/orders/{orderId}/orderItems"
    assert templates["/catalog/2022-04-01/items/B07N4M94X4"] == "/catalog/2022-04-01/items/{asin}"
    assert templates["/fba/inventory/v1/summaries"] == "/fba/inventory/v1/summaries"  # versions and words stay
    assert templates["/api/v2/order/get_order_detail"] == "/api/v2/order/get_order_detail"  # Shopee: one operation
    assert templates["/orders/get"] == "/orders/get"  # Lazada
    assert templates["/listings/2021-08-01/items/SELLER/SKU-2"].startswith("/listings/2021-08-01/items/SELLER/{")
    assert templates["/shipments/3fa85f64-5717-4562-b3fc-2c963f66afa6"] == "/shipments/{shipmentId}"
    assert templates["/things/one-word"] == "/things/one-word"


def test_one_sku_is_not_a_parameter_but_several_are() -> None:
    assert template_paths(["/items/SKU-1"]) == {"/items/SKU-1": "/items/SKU-1"}
    assert set(template_paths(["/items/SKU-1", "/items/SKU-2"]).values()) == {"/items/{itemId}"}


@pytest.mark.parametrize(("platform", "url", "headers", "scheme"), [
    ("shopee", "https://partner.shopeemobile.com/api/v2/order/get_order_detail?partner_id=1&timestamp=2&sign=abc"
     "&access_token=t&shop_id=3&order_sn_list=A1", {}, "shopeeSigning"),
    ("lazada", "https://api.lazada.sg/rest/orders/get?app_key=1&timestamp=2&sign_method=sha256&sign=abc"
     "&access_token=t&order_sn_list=A1", {}, "lazadaSigning"),
    ("tiktok-shop", "https://open-api.tiktokglobalshop.com/order/202309/orders?app_key=1&timestamp=2&sign=abc"
     "&shop_cipher=c&order_sn_list=A1", {"x-tts-access-token": "t"}, "tiktok-shopSigning"),
    ("unknown", "https://x.example/api/v2/order/get_order_detail?partner_id=1&timestamp=2&sign=abc&shop_id=3"
     "&order_sn_list=A1", {}, "shopeeSigning"),  # recognised from `sign` and its companions
])  # fmt: skip
def test_signing_parameters_are_security_not_operation_inputs(platform: str, url: str, headers: dict[str, str],
                                                               scheme: str) -> None:  # fmt: skip
    document = _learn([entry("GET", url, 200, {"ok": True}, headers=headers)], platform=platform)
    (path,) = document["paths"]
    op = document["paths"][path]["get"]
    assert [p["name"] for p in op["parameters"]] == ["order_sn_list"]
    assert op["security"] == [{scheme: []}]
    assert document["components"]["securitySchemes"][scheme]["x-monitor-signing"]["parameters"]


def test_enums_need_evidence_formats_need_every_sample_and_null_makes_nullable() -> None:
    statuses = ["Shipped", "Pending", "Canceled"]
    few = [entry("GET", f"https://x.example/o/{i}", 200, {"status": statuses[i % 3]}) for i in range(5)]
    assert "enum" not in _schema(_learn(few), "/o/{oId}")["properties"]["status"]  # 5 samples: not enough
    many = [entry("GET", f"https://x.example/o/{i}", 200, {
        "status": statuses[i % 3], "at": "2026-12-01T10:00:00Z", "mail": "a@b.example" if i else "not-an-email",
        "note": None if i % 2 else "x", "id": f"id-{i}"}) for i in range(ENUM_MIN_SAMPLES + 1)]  # fmt: skip
    props = _schema(_learn(many), "/o/{oId}")["properties"]
    assert props["status"]["enum"] == sorted(statuses)
    assert props["at"]["format"] == "date-time"
    assert "format" not in props["mail"]  # one sample disagrees
    assert sorted(props["note"]["type"]) == ["null", "string"]
    assert "enum" not in props["id"]  # every value different: an open set


def test_required_means_present_in_every_answer_and_samples_are_counted() -> None:
    entries = [entry("GET", "https://x.example/o/1", 200, {"a": 1, "b": 2}),
               entry("GET", "https://x.example/o/2", 200, {"a": 1}), entry("GET", "https://x.example/o/3", 404,
                                                                           {"error": "x"})]  # fmt: skip
    document = _learn(entries)
    op = document["paths"]["/o/{oId}"]["get"]
    assert _schema(document, "/o/{oId}")["required"] == ["a"]
    assert op["x-monitor-samples"] == 3 and op["responses"]["200"]["x-monitor-samples"] == 2
    assert set(op["responses"]) == {"200", "404"}
    assert document["x-monitor-learned"]["exchanges"] == 3
    assert load_spec_bytes(orjson.dumps(document), "learned.json").format == "openapi-3.1"


def test_widening_adds_operations_and_optional_fields_and_reports_them() -> None:
    first_entries = [entry("GET", "https://x.example/o/1", 200, {"a": 1, "b": "x", "s": "S"})]
    second_entries = [entry("GET", "https://x.example/o/2", 200, {"a": 1.5, "c": True}),
                      entry("POST", "https://x.example/o", 201, {"a": 1}, request_body={"q": 1})]  # fmt: skip
    first, second = _learn(first_entries), _learn(second_entries)
    merged, widened = widen(first, second)
    schema = _schema(merged, "/o/{oId}")
    assert set(schema["properties"]) == {"a", "b", "c", "s"}
    assert schema["required"] == ["a"]
    assert schema["properties"]["a"]["type"] == "number"
    assert any("POST /o: new operation" in w for w in widened)
    assert any("property b became optional" in w for w in widened)
    assert any("new optional property c" in w for w in widened)
    # never narrower: the answers behind either contract are all still valid under the merged one
    merged_spec = load_spec_bytes(orjson.dumps(merged), "merged")
    for entries in (first_entries, second_entries):
        assert not observe(merged_spec, exchanges_of_entries(entries, "t")).result.changes
    _again, nothing = widen(merged, first)
    assert not [w for w in nothing if "new" in w or "became" in w]


def test_form_bodies_drop_signing_fields_and_keep_the_rest() -> None:
    item = entry("POST", "https://api.lazada.sg/rest/order/rts", 200, {"code": "0"})
    item["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                                   "text": "app_key=1&timestamp=2&sign_method=sha256&sign=abc&access_token=t&order_item_ids=%5B1%5D"}  # fmt: skip
    document = _learn([item], platform="lazada")
    op = document["paths"]["/rest/order/rts"]["post"]
    schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(schema["properties"]) == {"order_item_ids"} and "required" not in schema
    assert op["security"] == [{"lazadaSigning": []}]
    assert "abc" not in orjson.dumps(document).decode()


def test_the_base_url_is_cut_from_paths_and_kept_as_the_server() -> None:
    entries = [entry("GET", "https://api.lazada.sg/rest/orders/get?created_after=2026-01-01", 200, {"code": "0"})]
    document = _learn(entries, platform="lazada", base_url="https://api.lazada.sg/rest")
    assert list(document["paths"]) == ["/orders/get"] and document["servers"] == [{"url": "https://api.lazada.sg/rest"}]
    spec = load_spec_bytes(orjson.dumps(document), "learned.json")
    observation = observe(spec, exchanges_of_entries(entries, "t"))
    assert observation.matched == {"GET /orders/get": 1} and not observation.result.changes


def test_a_chrome_export_is_read_as_it_is() -> None:
    """Chrome's HAR: HTTP/2 pseudo-headers, `_initiator`/`_priority` extras, answers without text, form params."""
    item = entry("POST", "https://seller.example/api/orders/search", 200, None)
    item.update(_initiator={"type": "script"}, _priority="High", serverIPAddress="203.0.113.9", pageref="page_1")
    item["request"]["headers"] = [{"name": ":authority", "value": "seller.example"}, {"name": ":method", "value": "POST"},
                                  {"name": "x-shop-region", "value": "SG"}, {"name": "sec-ch-ua", "value": "x"}]  # fmt: skip
    item["request"]["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                                   "params": [{"name": "status", "value": "READY"}]}  # fmt: skip
    item["response"]["content"] = {"size": 120, "mimeType": "application/json"}  # the body was not captured
    op = _learn([item])["paths"]["/api/orders/search"]["post"]
    assert [p["name"] for p in op["parameters"]] == ["x-shop-region"]
    assert op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"] == {
        "status": {"type": "string"}
    }
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {}
