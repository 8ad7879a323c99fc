"""Phrases real changelogs use for breaking changes and removal dates, and linking operations by unique name."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.sources.announcements import OperationRef, classify, link_operations
from monitor.sources.announcements.model import BREAKING, DEPRECATION
from monitor.sources.feeds import make_item


@pytest.mark.parametrize(
    "text",
    [
        "The BuyerInfo.BuyerEmail field will no longer be returned in getOrders responses.",
        "Starting June 1, 2026 the ShippingAddress will stop being returned for FBA orders.",
        "The PENDING value will not be returned by the listings API any more.",
        "We will stop returning the marketplaceName attribute.",
    ],
)
def test_a_field_or_value_that_will_no_longer_be_returned_is_a_breaking_change(text: str) -> None:
    item = make_item("Orders API change", text)
    classification = classify(item)
    assert (classification.category, classification.severity) == (BREAKING, "high")


def test_the_date_a_field_stops_being_returned_is_its_removal_date() -> None:
    item = make_item("Orders API change", "Starting June 1, 2026 the ShippingAddress will stop being returned.")
    assert classify(item).removal_date == date(2026, 6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "The Finances API v0 is deprecated and will be decommissioned on March 31, 2026.",
        "listFinancialEvents is deprecated and will be retired on 2026-03-31.",
        "The getItemOffers operation has been deprecated and will be removed on 31 March 2026.",
        "On March 31, 2026, the deprecated Finances API v0 will be decommissioned.",
        "Effective March 31, 2026, deprecated operations of the Finances API will be retired.",
    ],
)
def test_deprecated_and_will_be_decommissioned_on_a_date_carries_that_removal_date(text: str) -> None:
    classification = classify(make_item("Finances API notice", text))
    assert classification.category == DEPRECATION
    assert classification.removal_date == date(2026, 3, 31)
    assert ("removal", date(2026, 3, 31)) in [(kind, value) for kind, value, _ in classification.dates]


def test_a_deprecation_date_and_a_later_removal_date_keep_their_kinds() -> None:
    text = "This API was deprecated on January 5, 2026 and will be decommissioned on March 31, 2026."
    classification = classify(make_item("Finances API v0", text))
    assert [(kind, value) for kind, value, _ in classification.dates] == [
        ("deprecation", date(2026, 1, 5)), ("removal", date(2026, 3, 31)),
    ]  # fmt: skip


def _ref(source: str, op_id: str, path: str, title: str, version: str) -> OperationRef:
    return OperationRef(source, f"GET {path}", op_id, path, (), title, version)


CATALOGUE = [
    _ref("finances-v0", "listFinancialEventGroups", "/finances/v0/financialEventGroups", "Finances", "v0"),
    _ref("finances-2024", "listTransactions", "/finances/2024-06-19/transactions", "Finances", "2024-06-19"),
    _ref("orders-v0", "getOrder", "/orders/v0/orders/{orderId}", "Orders", "v0"),
    _ref("orders-2026", "getOrder", "/orders/2026-01-01/orders/{orderId}", "Orders", "2026-01-01"),
]


def test_an_operation_name_unique_across_the_monitored_specs_links_without_the_api_version() -> None:
    """ "Finances API" alone names two monitored versions; listFinancialEventGroups exists in only one."""
    item = make_item("Finances API", "The listFinancialEventGroups operation will be removed on 2026-03-31.")
    links = link_operations(item, classify(item), CATALOGUE)
    assert links == [("finances-v0", "GET /finances/v0/financialEventGroups")]


def test_an_operation_name_two_monitored_versions_share_is_not_guessed() -> None:
    item = make_item("Orders API", "The getOrder operation will be removed on 2026-03-31.")
    assert link_operations(item, classify(item), CATALOGUE) == []
