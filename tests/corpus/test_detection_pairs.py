"""Real corpus pairs for the detection classes of issue 15: each class, where the corpus has one, on real data."""

from __future__ import annotations

import pytest

from monitor.engine.model import Level
from tests.corpus.test_known_findings import find, run

pytestmark = pytest.mark.corpus

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
CATALOG = "amazon/catalogItems_2022-04-01"


def test_catalog_item_dimensions_object_to_array_is_one_type_change_not_each_property_removed() -> None:
    result = run(f"{CATALOG}/15d2d98d_2022-05-18.json", f"{CATALOG}/1001e73a_2022-05-20.json")
    at = "#/definitions/ItemDimensions"
    (change,) = find(result.changes, "response-property-type-changed", schema="ItemDimensions")
    assert (change.level, change.location, change.args["old"], change.args["new"]) == (BREAKING, at, "object", "array")
    assert change.operations == ["GET /catalog/2022-04-01/items", "GET /catalog/2022-04-01/items/{asin}"]
    assert not [c for c in result.changes if c.location.startswith(at + "/")]


def test_bolcom_min_length_appearing_on_request_values_is_breaking_as_oasdiff_says() -> None:
    """oasdiff reads an absent minLength as 0: setting it to 1 rejects the empty string that was valid."""
    result = run("bolcom/retailer/1307aae5_2024-11-11.json", "bolcom/retailer/36b3def7_2025-10-29.json")
    found = find(result.changes, "request-parameter-min-length-set", parameter="shipment-id")
    assert {op for c in found for op in c.operations} == {
        "GET /retailer/shipments/{shipment-id}", "POST /retailer/shipments/invoices/{shipment-id}",
    }  # fmt: skip
    assert {c.level for c in found} == {BREAKING}
    (items,) = find(result.changes, "request-property-min-items-set", schema="ShippingLabelRequest")
    assert (items.level, items.args["new"]) == (BREAKING, 1)


def test_etsy_get_user_now_needing_oauth2_beside_the_api_key_names_the_added_scheme() -> None:
    result = run("etsy/openapi-v3/9f993e18_2021-02-08.json", "etsy/openapi-v3/88a151bd_2021-03-08.json")
    (change,) = find(result.changes, "api-security-requirement-scheme-added")
    assert (change.level, change.args) == (BREAKING, {"security": "api_key", "added": "oauth2"})
    assert change.operations == ["GET /v3/application/users/{user_id}"]
    assert not find(result.changes, "api-security-removed")


def test_seller_wallet_create_transaction_response_replaced_wholesale_is_one_finding() -> None:
    """7d9f6f18: the response became {transaction, callBackURL}; its ten old properties are not each reported."""
    result = run(
        "amazon/sellerWallet_2024-03-01/f4ac9ab6_2025-07-30.json",
        "amazon/sellerWallet_2024-03-01/7d9f6f18_2025-08-27.json",
    )
    at = "#/definitions/CreateTransactionResponse"
    (change,) = find(result.changes, "response-body-object-replaced", schema="CreateTransactionResponse")
    assert (change.level, change.location, change.args["new"]) == (BREAKING, at, ["callBackURL", "transaction"])
    assert change.operations == ["POST /finances/transfers/wallet/2024-03-01/transactions"]
    assert not [c for c in result.changes if c.location.startswith(at + "/properties/")]
