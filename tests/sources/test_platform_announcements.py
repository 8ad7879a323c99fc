"""Shopee, Lazada and TikTok Shop announcements in their own styles: categories, dates, phases and operations.

Fixtures: tests/sources/fixtures/platforms/ (real texts and marked reconstructions, see its README); labels in
labels.yaml, shared with bench/announcement_accuracy.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from monitor.sources.announcements import classify
from monitor.sources.feeds import find_dates, make_item
from monitor.sources.platforms import api_paths, shopee
from tests.sources.platform_announcements import Read, read_all

READS = read_all()


@pytest.mark.parametrize("read", READS, ids=[f"{r.label['platform']}:{r.label['title'][:40]}" for r in READS])
def test_each_article_reads_as_labelled(read: Read) -> None:
    label = read.label
    c = read.classification
    assert c.category in label["categories"]
    expected = label["removal_date"]
    assert c.removal_date == (date.fromisoformat(str(expected)) if expected else None)
    assert c.severity == label["severity"]
    assert {k: sorted(v) for k, v in read.links.items()} == {k: sorted(v) for k, v in label["links"].items()}
    for subject, value in (label.get("subjects") or {}).items():
        assert read.subjects.get(subject) == str(value), read.subjects


def test_a_phased_plan_gives_each_phase_its_own_subject_so_no_date_looks_moved() -> None:
    plan = next(r for r in READS if "Phase 2 and Phase 3" in r.label["title"])
    assert plan.subjects == {"open-api-phase-2": "2022-11-09", "open-api-phase-3": "2023-02-07"}


def test_the_survey_consequence_is_not_the_removal_date_of_the_plan() -> None:
    plan = next(r for r in READS if r.label["title"] == "[Important] Open API 1.0 Deprecation Plan")
    kinds = {value.isoformat(): kind for kind, value, _ in plan.classification.dates}
    assert kinds["2022-06-12"] == "mentioned"  # "or your APP(s) will no longer be able to access ... from"
    assert kinds["2022-08-10"] == "removal"  # "complete migration by 23:59 (GMT+8) 10 August 2022"
    assert kinds["2022-08-11"] == "deprecation"


def test_english_and_chinese_notices_agree_on_date_and_operations() -> None:
    en = next(r for r in READS if r.label["file"] == "shopee-en.html" and "Important" in r.label["title"])
    zh = next(r for r in READS if r.label["file"] == "shopee-zh.html")
    assert en.classification.removal_date == zh.classification.removal_date == date(2022, 8, 10)
    assert en.links == zh.links
    assert en.subjects == zh.subjects  # the same subject key: one date history for both languages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use v2.order.get_order_list and V2.product.get_category.", ["/api/v2/order/get_order_list", "/api/v2/product/get_category"]),
        ("see https://open.shopee.com/documents/v2/v2.order.get_order_list?module=94", ["/api/v2/order/get_order_list"]),
        ("version 2.0.1 and v2.order. are not names; nor is x.v2.order.get_order_list", []),
    ],
)  # fmt: skip
def test_shopee_api_names_become_call_paths(text: str, expected: list[str]) -> None:
    assert [path for _, path in api_paths(text)] == expected


def test_shopee_api_name_round_trip() -> None:
    assert shopee.api_name("/api/v2/order/get_order_list") == "v2.order.get_order_list"
    assert shopee.api_name("/orders/get") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请于2022年8月10日 23:59（GMT+8）前完成迁移", date(2022, 8, 10)),
        ("by 23:59 (GMT+8) 10 August 2022", date(2022, 8, 10)),
        ("00:00 GMT+8, 9 November 2022", date(2022, 11, 9)),
    ],
)
def test_gmt8_times_keep_the_platforms_calendar_date(text: str, expected: date) -> None:
    """Dates are stored as the platform states them (its GMT+8 calendar date): the gate counts days, not hours."""
    assert [value for _, _, value in find_dates(text)] == [expected]


def test_hostile_phase_name_and_path_text_is_read_without_blowing_up() -> None:
    from monitor.sources.announcements import link_operations
    from tests.sources.platform_announcements import catalogue

    text = "Phase 1 APIs will be removed on 1 January 2030. " + "Phase 1 " * 5000 + "v2.a.b /a/b/c " * 5000
    item = make_item("Phase " * 1000, text)
    c = classify(item)
    assert c.removal_date == date(2030, 1, 1)
    assert link_operations(item, c, catalogue()) == []
