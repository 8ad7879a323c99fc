"""Webhooks (OpenAPI 3.1) and callbacks (3.0) are diffed with the direction reversed: the platform sends them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.engine import DiffOptions, Level, Usage
from tests.engine.helpers import diff_docs
from tests.engine.rules.test_operations import JSON, OK, api, covers, expect, expect_nothing, obj

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
STRING = {"type": "string"}
EVENT = "POST webhook:orderCreated"
HOOK = "#/webhooks/orderCreated/post"
PAYLOAD = f"{HOOK}/requestBody/content/application~1json/schema"


def webhook(payload: dict[str, Any], headers: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    post: dict[str, Any] = {
        "requestBody": {"required": True, "content": {JSON: {"schema": payload}}},
        "responses": {"200": OK},
    }
    if headers:
        post["parameters"] = list(headers)
    return api(version="3.1.0", webhooks={"orderCreated": {"post": post}})


def header(name: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": STRING}


ORDER = obj(("orderId",), orderId=STRING, status={**STRING, "enum": ["NEW", "PAID"]})


def test_a_new_enum_value_in_a_webhook_payload_is_what_breaks_the_receiver(tmp_path: Path) -> None:
    wider = obj(("orderId",), orderId=STRING, status={**STRING, "enum": ["NEW", "PAID", "HELD"]})
    at = f"{PAYLOAD}/properties/status"
    args = {"property": "status", "value": "HELD"}
    expect(
        diff_docs(tmp_path, webhook(ORDER), webhook(wider)),
        "webhook-property-enum-value-added",
        WARNING,
        EVENT,
        at,
        args,
    )
    expect(
        diff_docs(tmp_path, webhook(wider), webhook(ORDER)),
        "webhook-property-enum-value-removed",
        INFO,
        EVENT,
        at,
        args,
    )


def test_a_webhook_payload_property_that_may_now_be_absent_or_null_breaks_the_receiver(tmp_path: Path) -> None:
    optional = obj(orderId=STRING, status=ORDER["properties"]["status"])
    expect(diff_docs(tmp_path, webhook(ORDER), webhook(optional)), "webhook-property-became-optional", BREAKING, EVENT)
    expect(diff_docs(tmp_path, webhook(optional), webhook(ORDER)), "webhook-property-became-required", INFO, EVENT)
    nullable = obj(("orderId",), orderId={**STRING, "nullable": True}, status=ORDER["properties"]["status"])
    expect(diff_docs(tmp_path, webhook(ORDER), webhook(nullable)), "webhook-property-became-nullable", BREAKING, EVENT)


@covers("webhook-required-property-removed", "webhook-required-property-added")
def test_a_required_webhook_payload_property_removed_is_breaking(tmp_path: Path) -> None:
    smaller = obj(status=ORDER["properties"]["status"])
    at, args = f"{PAYLOAD}/properties/orderId", {"property": "orderId"}
    expect(
        diff_docs(tmp_path, webhook(ORDER), webhook(smaller)),
        "webhook-required-property-removed",
        BREAKING,
        EVENT,
        at,
        args,
    )
    expect(
        diff_docs(tmp_path, webhook(smaller), webhook(ORDER)), "webhook-required-property-added", INFO, EVENT, at, args
    )


@covers("webhook-optional-property-removed", "webhook-optional-property-added")
def test_an_optional_webhook_payload_property_removed_is_a_warning(tmp_path: Path) -> None:
    smaller = obj(("orderId",), orderId=STRING)
    expect(diff_docs(tmp_path, webhook(ORDER), webhook(smaller)), "webhook-optional-property-removed", WARNING, EVENT)
    expect(diff_docs(tmp_path, webhook(smaller), webhook(ORDER)), "webhook-optional-property-added", INFO, EVENT)


@covers("webhook-required-header-added", "webhook-required-header-removed")
def test_a_new_required_webhook_header_the_receiver_must_check_is_breaking(tmp_path: Path) -> None:
    signed = webhook(ORDER, (header("X-Signature", True),))
    at, args = f"{HOOK}/parameters/header/X-Signature", {"header": "X-Signature"}
    expect(diff_docs(tmp_path, webhook(ORDER), signed), "webhook-required-header-added", BREAKING, EVENT, at, args)
    expect(diff_docs(tmp_path, signed, webhook(ORDER)), "webhook-required-header-removed", BREAKING, EVENT, at, args)


@covers("webhook-optional-header-added", "webhook-optional-header-removed")
def test_an_optional_webhook_header_added_is_information(tmp_path: Path) -> None:
    traced = webhook(ORDER, (header("X-Trace", False),))
    expect(diff_docs(tmp_path, webhook(ORDER), traced), "webhook-optional-header-added", INFO, EVENT)
    expect(diff_docs(tmp_path, traced, webhook(ORDER)), "webhook-optional-header-removed", WARNING, EVENT)


def test_a_webhook_payload_narrowed_breaks_no_receiver(tmp_path: Path) -> None:
    """The mirror of a request: a payload the platform sends with fewer values is still one the receiver reads."""
    bounded = obj(("orderId",), orderId={**STRING, "maxLength": 20}, status=ORDER["properties"]["status"])
    expect(
        diff_docs(tmp_path, webhook(ORDER), webhook(bounded)),
        "webhook-property-max-length-set",
        INFO,
        EVENT,
    )


def test_an_unchanged_webhook_is_no_change(tmp_path: Path) -> None:
    expect_nothing(diff_docs(tmp_path, webhook(ORDER), webhook(ORDER)))


# -- callbacks (OpenAPI 3.0) ----------------------------------------------------------------------------------------
def subscribe(callbacks: dict[str, Any]) -> dict[str, Any]:
    return api({"/subscriptions": {"post": {"responses": {"201": OK}, "callbacks": callbacks}}})


def on_paid(payload: dict[str, Any]) -> dict[str, Any]:
    post = {"requestBody": {"content": {JSON: {"schema": payload}}}, "responses": {"200": OK}}
    return {"onPaid": {"{$request.body#/url}": {"post": post}}}


CALLBACK = "POST callback:onPaid of POST /subscriptions {$request.body#/url}"
CALLBACK_AT = "#/paths/~1subscriptions/post/callbacks/onPaid/{$request.body#~1url}/post"


def test_a_callback_payload_gaining_an_enum_value_is_reported_on_the_callback(tmp_path: Path) -> None:
    wider = obj(("orderId",), orderId=STRING, status={**STRING, "enum": ["NEW", "PAID", "HELD"]})
    result = diff_docs(tmp_path, subscribe(on_paid(ORDER)), subscribe(on_paid(wider)))
    at = f"{CALLBACK_AT}/requestBody/content/application~1json/schema/properties/status"
    expect(result, "webhook-property-enum-value-added", WARNING, CALLBACK, at)


@covers("callback-removed", "callback-added")
def test_a_callback_removed_is_breaking_the_platform_no_longer_sends_it(tmp_path: Path) -> None:
    old, new = subscribe(on_paid(ORDER)), subscribe({})
    expect(diff_docs(tmp_path, old, new), "callback-removed", BREAKING, CALLBACK, CALLBACK_AT, {})
    expect(diff_docs(tmp_path, new, old), "callback-added", INFO, CALLBACK, CALLBACK_AT, {})


def test_a_callback_is_reported_to_the_consumers_of_the_operation_that_registers_it(tmp_path: Path) -> None:
    wider = obj(("orderId",), orderId=STRING, status={**STRING, "enum": ["NEW", "PAID", "HELD"]})
    old, new = subscribe(on_paid(ORDER)), subscribe(on_paid(wider))
    uses_it = DiffOptions(usage=Usage(frozenset({"POST /subscriptions"})))
    assert [c.id for c in diff_docs(tmp_path, old, new, uses_it).changes] == ["webhook-property-enum-value-added"]
    other = DiffOptions(usage=Usage(frozenset({"GET /elsewhere"})))
    assert diff_docs(tmp_path, old, new, other).changes == []
