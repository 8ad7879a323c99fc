"""Rate-limit rules and the usage-plan reader: one test per rule id, each variant of the table, needs, hostile text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.engine import DiffOptions, diff, load_spec
from monitor.engine.errors import OptionsError
from monitor.engine.filters import Usage, load_usage
from monitor.engine.limits import Need, RateLimit, documented_limit, parse_need, parse_rate
from tests.engine.helpers import diff_docs, write_spec
from tests.engine.rules.test_operations import BREAKING, INFO, WARNING, covers, expect, expect_nothing

ORDERS = "#/paths/~1orders/get/description"


def table(rate: str, burst: str, *, spaces: bool = True) -> str:
    s = " " if spaces else ""
    return (
        "Returns orders.\n\n**Usage Plan:**\n\n| Rate (requests per second) | Burst |\n| ---- | ---- |\n"
        f"|{s}{rate}{s}|{s}{burst}{s}|\n\nThe `x-amzn-RateLimit-Limit` response header returns the usage plan rate limits."
    )


def plans(rate: str, burst: str) -> str:
    return (
        "**Usage Plans:**\n\n| Plan type | Rate (requests per second) | Burst |\n| ---- | ---- | ---- |\n"
        f"|Default| {rate} | {burst} |\n|Selling partner specific| Variable | Variable |\n\nMore text."
    )


def swagger(description: str | None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": "getOrders", "responses": {"200": {"description": "ok"}}, **extra}
    if description is not None:
        op["description"] = description
    return {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/orders": {"get": op}}}


def openapi(description: str | None, **extra: Any) -> dict[str, Any]:
    doc = swagger(description, **extra)
    del doc["swagger"]
    return {"openapi": "3.0.3", **doc}


# -- the reader -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "rate", "burst"),
    [
        (table("1", "1"), 1.0, 1),
        (table(".1", "5"), 0.1, 5),
        (table("0.0167", "20"), 0.0167, 20),
        (table("2.0", "15"), 2.0, 15),
        (table("0.5", "30", spaces=False), 0.5, 30),
        (plans("0.5", "30"), 0.5, 30),
        (table("2", "6").replace("\n", "\\n"), 2.0, 6),  # published with escaped newlines (fulfillmentInbound)
        (table("Variable", "10"), None, 10),
    ],
)
def test_every_usage_plan_variant_in_the_corpus_is_read(text: str, rate: float | None, burst: int) -> None:
    assert documented_limit({"description": text}) == RateLimit(rate, burst, "usage-plan")


@pytest.mark.parametrize(
    "text",
    [
        table("n", "n"),  # a placeholder published in fulfillmentInbound_2024-03-20
        plans("Variable", "Variable"),
        "A rate of 5 requests per second is typical.",  # prose, not a table
        "| Rate (requests per second) | Burst |",  # a header without rows
        table("-1", "1e9999"),
        table("NaN", "inf"),
        table("1" * 5000, "2" * 5000)[:3000],  # hostile length: no crash, no figure
        "| Rate (requests per second) | Burst |\n" + "|\n" * 10000,
    ],
)
def test_tables_without_figures_document_no_limit(text: str) -> None:
    limit = documented_limit({"description": text})
    assert limit is None or (limit.rate is None or limit.rate >= 0)


def test_vendor_extensions_are_read_when_a_spec_carries_them() -> None:
    assert documented_limit({"x-rate-limit": {"rate": 0.5, "burst": 30}}) == RateLimit(0.5, 30, "x-rate-limit")
    per_minute = documented_limit({"x-ratelimit": {"limit": 120, "period": "minute"}})
    assert per_minute is not None and per_minute.rate == 2.0
    assert documented_limit({"x-ratelimit-limit": "10", "x-ratelimit-burst": 20}) == RateLimit(
        10.0, 20, "x-ratelimit-limit"
    )
    assert documented_limit({"x-rate-limit": {"rate": "lots"}}) is None
    assert documented_limit({"x-rate-limit": True}) is None


def test_the_limit_is_part_of_the_loaded_operation_for_swagger_and_openapi(tmp_path: Path) -> None:
    from monitor.engine import load_spec
    from tests.engine.helpers import write_spec

    for name, doc in (("s.yaml", swagger(table("0.0167", "20"))), ("o.yaml", openapi(table("0.0167", "20")))):
        spec = load_spec(write_spec(tmp_path / name, doc))
        limit = spec.operations["GET /orders"].limit
        assert limit is not None and (limit.rate, limit.burst) == (0.0167, 20)


# -- the rules ------------------------------------------------------------------------------------------------------
@covers("operation-rate-limit-decreased", "operation-rate-limit-increased")
def test_a_lower_documented_rate_is_a_warning_with_per_day_figures(tmp_path: Path) -> None:
    old, new = swagger(table("1", "20")), swagger(table("0.0167", "20"))
    result = diff_docs(tmp_path, old, new)
    expect(result, "operation-rate-limit-decreased", WARNING, "GET /orders", ORDERS)
    assert result.changes[0].message == (
        "The rate limit of the operation was lowered from 1 to 0.0167 requests per second: 86,400 -> 1,443 calls a day"
    )
    expect(diff_docs(tmp_path, new, old), "operation-rate-limit-increased", INFO, "GET /orders", ORDERS)


@covers("operation-burst-decreased", "operation-burst-increased")
def test_a_lower_documented_burst_is_a_warning(tmp_path: Path) -> None:
    old, new = openapi(table("1", "30")), openapi(table("1", "20"))
    expect(diff_docs(tmp_path, old, new), "operation-burst-decreased", WARNING, "GET /orders", ORDERS,
           {"old": 30, "new": 20})  # fmt: skip
    expect(diff_docs(tmp_path, new, old), "operation-burst-increased", INFO, "GET /orders", ORDERS)


@covers("operation-rate-limit-removed", "operation-rate-limit-added")
def test_dropping_the_usage_plan_is_info_and_adding_one_is_info(tmp_path: Path) -> None:
    old, new = swagger(table("5", "10")), swagger("Returns orders.")
    expect(diff_docs(tmp_path, old, new), "operation-rate-limit-removed", INFO, "GET /orders")
    added = diff_docs(tmp_path, new, old)
    expect(added, "operation-rate-limit-added", INFO, "GET /orders")
    assert "5 requests per second (432,000 calls a day), burst 10" in added.changes[0].message


def test_rewording_the_table_or_the_text_around_it_is_not_a_finding(tmp_path: Path) -> None:
    old = swagger(table(".5", "30"))
    reworded = swagger("Returns the orders you asked for.\n\n" + plans("0.50", "30") + "\nSee the guide.")
    expect_nothing(diff_docs(tmp_path, old, reworded))
    expect_nothing(diff_docs(tmp_path, swagger(table("2", "6")), swagger(table("2.0", "6", spaces=False))))


def test_a_usage_plan_change_on_an_unused_operation_is_filtered_out(tmp_path: Path) -> None:
    usage = DiffOptions(usage=Usage(frozenset({"otherOp"})))
    expect_nothing(diff_docs(tmp_path, swagger(table("1", "1")), swagger(table("0.5", "1")), usage))


# -- needs ----------------------------------------------------------------------------------------------------------
def test_a_decrease_below_the_declared_need_is_breaking_and_says_the_shortfall(tmp_path: Path) -> None:
    need = parse_need({"rate": "0.5/s"})
    assert need is not None
    usage = DiffOptions(usage=Usage(frozenset({"getOrders"}), needs={"getOrders": need}))
    result = diff_docs(tmp_path, swagger(table("1", "20")), swagger(table("0.0167", "20")), usage)
    (change,) = result.changes
    assert change.id == "operation-rate-limit-decreased" and change.level == BREAKING
    assert "from 1 to 0.0167 requests per second: 86,400 -> 1,443 calls a day" in change.message
    assert "Below the need of 0.5/s: needs 0.5 requests per second (43,200 calls a day), 41,757 calls a day more" in (
        change.message
    )
    assert result.summary["breaking"] == 1


def test_a_decrease_that_still_meets_the_need_keeps_its_level(tmp_path: Path) -> None:
    usage = DiffOptions(usage=Usage(frozenset({"getOrders"}), needs={"getOrders": Need(0.01, 5, "0.01/s")}))
    result = diff_docs(tmp_path, swagger(table("1", "20")), swagger(table("0.0167", "10")), usage)
    assert {(c.id, c.level) for c in result.changes} == {
        ("operation-rate-limit-decreased", WARNING), ("operation-burst-decreased", WARNING)}  # fmt: skip


def test_a_burst_below_the_need_is_breaking(tmp_path: Path) -> None:
    usage = DiffOptions(usage=Usage(frozenset({"getOrders"}), needs={"getOrders": Need(None, 25, "burst 25")}))
    result = diff_docs(tmp_path, swagger(table("1", "30")), swagger(table("1", "20")), usage)
    (change,) = result.changes
    assert change.level == BREAKING and "needs a burst of 25, 5 more than 20" in change.message


@pytest.mark.parametrize(
    ("entry", "rate", "text"),
    [
        ({"rate": "0.5/s"}, 0.5, "0.5/s"),
        ({"rate": 2}, 2.0, "2/s"),
        ({"rate": "120/min"}, 2.0, "120/min"),
        ({"per_day": 20000}, 20000 / 86400, "20000/day"),
        ({"per_hour": 3600}, 1.0, "3600/hour"),
        ({"per_minute": 30, "burst": 10}, 0.5, "30/minute, burst 10"),
    ],
)
def test_needs_are_read_in_every_form(entry: dict[str, Any], rate: float, text: str) -> None:
    need = parse_need(entry)
    assert need is not None and need.rate == pytest.approx(rate) and need.text == text


@pytest.mark.parametrize(
    "entry",
    [
        {"rate": "fast"},
        {"rate": "-1/s"},
        {"rate": "1/fortnight"},
        {"per_day": "many"},
        {"burst": 0},
        {"burst": 1.5},
        {"rate": True},
        {"per_day": -5},
    ],
)
def test_bad_needs_are_refused_with_a_reason(entry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a positive"):
        parse_need(entry)


def test_usage_files_carry_needs_beside_fields(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(
        "operations:\n  - getOrder\n  - {operation: getOrders, rate: 0.5/s, burst: 10, fields: [OrderStatus]}\n"
        '  - {operation: "GET /orders/{id}/items", per_day: 20000}\n'
    )
    usage = load_usage(path)
    assert usage.needs["getOrders"] == Need(0.5, 10, "0.5/s, burst 10")
    assert usage.fields["getOrders"] == frozenset({"OrderStatus"})
    assert "GET /orders/{}/items" in usage.needs and "getOrder" not in usage.needs
    path.write_text("- {operation: getOrders, per_day: lots}\n")
    with pytest.raises(OptionsError, match=r"entry 1: `per_day: lots` is not a positive rate"):
        load_usage(path)


def test_parse_rate_refuses_what_is_not_a_rate() -> None:
    assert parse_rate("0.5/s") == 0.5 and parse_rate("86400/day") == 1.0
    assert parse_rate("1/2/s") is None and parse_rate("") is None and parse_rate("1e3") is None


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit", "githubactions"])
def test_limit_findings_appear_in_every_output_format(tmp_path: Path, fmt: str) -> None:
    import subprocess
    import sys

    from tests.engine.helpers import write_spec

    old = write_spec(tmp_path / "old.yaml", swagger(table("1", "20")))
    new = write_spec(tmp_path / "new.yaml", swagger(table("0.0167", "20")))
    out = subprocess.run([sys.executable, "-m", "monitor", "diff", str(old), str(new), "--format", fmt],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr  # a warning is not at the default fail level
    assert "operation-rate-limit-decreased" in out.stdout or "86,400 -> 1,443 calls a day" in out.stdout
    assert "0.0167" in out.stdout


def test_added_and_removed_messages_leave_out_what_the_table_does_not_say(tmp_path: Path) -> None:
    result = diff_docs(tmp_path, swagger(table("Variable", "10")), swagger("No plan."))
    assert result.changes[0].message == "The operation's rate limit (burst 10) is no longer documented"
    result = diff_docs(tmp_path, swagger("No plan."), swagger(table("0.5", "n")))
    assert result.changes[0].message == (
        "The operation's rate limit is now documented: 0.5 requests per second (43,200 calls a day)"
    )


def test_monitor_diff_with_a_usage_file_need_exits_1_on_the_cut(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.engine.helpers import write_spec

    old = write_spec(tmp_path / "old.yaml", swagger(table("1", "20")))
    new = write_spec(tmp_path / "new.yaml", swagger(table("0.0167", "20")))
    usage = tmp_path / "usage.yaml"
    usage.write_text("- {operation: getOrders, per_day: 20000}\n")
    out = subprocess.run([sys.executable, "-m", "monitor", "diff", str(old), str(new), "--usage", str(usage),
                          "--format", "json"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 1, out.stderr
    (change,) = json.loads(out.stdout)["changes"]
    assert change["level"] == "breaking" and change["args"]["need"] == "20000/day"
    assert "Below the need of 20000/day: needs 0.231481 requests per second (20,000 calls a day)" in change["message"]
    usage.write_text("- {operation: getOrders, per_day: lots}\n")
    bad = subprocess.run([sys.executable, "-m", "monitor", "diff", str(old), str(new), "--usage", str(usage)],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "`per_day: lots` is not a positive rate" in bad.stderr


def test_a_rate_column_named_otherwise_than_it_begins_is_still_found() -> None:
    # `next()` over the columns once looked for a name starting with "rate": this header made load_spec raise
    # StopIteration
    text = "| Max Rate (requests per second) | Burst |\n|----|----|\n| 0.5 | 30 |"
    assert documented_limit({"description": text}) == RateLimit(0.5, 30, "usage-plan")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"x-ratelimit-limit": 1}, {"x-ratelimit-limit": True}),  # equal to `==`; only 1 documents a limit
        ({"x-rate-limit": {"burst": 1}}, {"x-rate-limit": {"burst": True}}),
    ],
)
def test_a_limit_is_compared_whenever_what_it_is_read_from_differs(
    tmp_path: Path, old: dict[str, Any], new: dict[str, Any]
) -> None:
    # check_limits skips operations whose limit text is unchanged: `true` and `1` must not look unchanged
    def doc(extra: dict[str, Any]) -> dict[str, Any]:
        return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {**extra, "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    a = load_spec(write_spec(tmp_path / "a.yaml", doc(old)))
    b = load_spec(write_spec(tmp_path / "b.yaml", doc({**new, "summary": "reworded"})))
    assert a.operations["GET /a"].limit != b.operations["GET /a"].limit
    assert diff(a, b).changes, "a changed limit went unreported"
