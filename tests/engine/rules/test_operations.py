"""One test per explicit rule (paths, lifecycle, parameters, bodies, security, properties) on a tiny inline pair."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from monitor.engine import DiffOptions, DiffResult, Level, rules
from tests.engine.helpers import diff_docs

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
TODAY = DiffOptions(today=date(2026, 1, 1))
NOTICE_90_DAYS = DiffOptions(today=date(2026, 1, 1), min_sunset_days=90)

COVERED: set[str] = set()  # every rule id a test below asserts, directly or as a mirror
F = TypeVar("F", bound=Callable[..., Any])


def covers(*rule_ids: str) -> Callable[[F], F]:
    """Record the rule ids a test asserts, so the catalogue test can tell which rules have no test."""

    def mark(test: F) -> F:
        COVERED.update(rule_ids)
        return test

    return mark


# -- builders -------------------------------------------------------------------------------------------------------
OK = {"description": "ok"}
JSON = "application/json"
ITEMS = "#/paths/~1items"


def api(paths: dict[str, Any] | None = None, version: str = "3.0.3", **top: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths or {}, **top}


def op(**fields: Any) -> dict[str, Any]:
    return {"responses": {"200": OK}, **fields}


def get_items(**fields: Any) -> dict[str, Any]:
    return api({"/items": {"get": op(**fields)}})


def query(name: str = "q", **fields: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "string"}, **fields}


def body(schema: dict[str, Any] | None = None, media: str = JSON, **fields: Any) -> dict[str, Any]:
    return {"content": {media: {"schema": schema or {"type": "object"}}}, **fields}


def obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


STRING = {"type": "string"}


def expect(
    result: DiffResult,
    rule_id: str,
    level: Level,
    operation: str | None,
    location: str | None = None,
    args: dict[str, Any] | None = None,
) -> None:
    """Exactly one change: this rule, at the catalogue's level (which the test name states), on this operation."""
    assert [c.id for c in result.changes] == [rule_id], [c.to_dict() for c in result.changes]
    (change,) = result.changes
    assert rules()[rule_id].level == level
    assert change.level == level
    assert change.operation == operation
    if location is not None:
        assert change.location == location
    if args is not None:
        assert change.args == args


def expect_nothing(result: DiffResult) -> None:
    assert result.changes == [], [c.to_dict() for c in result.changes]


# -- paths ----------------------------------------------------------------------------------------------------------
def _items_and(extra: dict[str, Any] | None = None, **methods: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {"/items": {"get": op(), **methods}}
    if extra:
        paths.update(extra)
    return api(paths)


@covers("endpoint-added", "api-removed-without-deprecation")
def test_adding_an_operation_is_info(tmp_path: Path) -> None:
    old, new = _items_and(), _items_and(post=op())
    expect(diff_docs(tmp_path, old, new), "endpoint-added", INFO, "POST /items", f"{ITEMS}/post")
    expect(diff_docs(tmp_path, new, old), "api-removed-without-deprecation", BREAKING, "POST /items")


@covers("api-removed-without-deprecation", "endpoint-added")
def test_removing_an_operation_that_was_not_deprecated_is_breaking(tmp_path: Path) -> None:
    old, new = _items_and(delete=op()), _items_and()
    expect(
        diff_docs(tmp_path, old, new),
        "api-removed-without-deprecation",
        BREAKING,
        "DELETE /items",
        f"{ITEMS}/delete",
        {},
    )
    expect(diff_docs(tmp_path, new, old), "endpoint-added", INFO, "DELETE /items")


@covers("api-removed-with-deprecation", "endpoint-added")
def test_removing_a_deprecated_operation_without_sunset_is_info(tmp_path: Path) -> None:
    old, new = _items_and(delete=op(deprecated=True)), _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-removed-with-deprecation", INFO, "DELETE /items")
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-added", INFO, "DELETE /items")


@covers("api-removed-with-deprecation")
def test_removing_a_deprecated_operation_after_its_sunset_is_info(tmp_path: Path) -> None:
    old, new = _items_and(delete=op(deprecated=True, **{"x-sunset": "2025-12-01"})), _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-removed-with-deprecation", INFO, "DELETE /items")


@covers("api-removed-with-deprecation")
def test_removing_a_draft_operation_needs_no_deprecation(tmp_path: Path) -> None:
    old, new = _items_and(delete=op(**{"x-stability-level": "draft"})), _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-removed-with-deprecation", INFO, "DELETE /items")


@covers("api-removed-before-sunset", "endpoint-added")
def test_removing_a_deprecated_operation_before_its_sunset_is_breaking(tmp_path: Path) -> None:
    old, new = _items_and(delete=op(deprecated=True, **{"x-sunset": "2026-06-01"})), _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-removed-before-sunset", BREAKING, "DELETE /items")
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-added", INFO, "DELETE /items")


@covers("api-path-removed-without-deprecation", "endpoint-added")
def test_removing_a_whole_path_that_was_not_deprecated_is_breaking(tmp_path: Path) -> None:
    old, new = _items_and({"/orders": {"get": op()}}), _items_and()
    expect(
        diff_docs(tmp_path, old, new),
        "api-path-removed-without-deprecation",
        BREAKING,
        "GET /orders",
        "#/paths/~1orders/get",
    )
    expect(diff_docs(tmp_path, new, old), "endpoint-added", INFO, "GET /orders")


@covers("api-path-removed-with-deprecation", "endpoint-added")
def test_removing_a_whole_deprecated_path_is_info(tmp_path: Path) -> None:
    old, new = _items_and({"/orders": {"get": op(deprecated=True)}}), _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-path-removed-with-deprecation", INFO, "GET /orders")
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-added", INFO, "GET /orders")


@covers("api-path-removed-before-sunset", "endpoint-added")
def test_removing_a_whole_path_before_its_sunset_is_breaking(tmp_path: Path) -> None:
    old = _items_and({"/orders": {"get": op(deprecated=True, **{"x-sunset": "2026-06-01"})}})
    new = _items_and()
    expect(diff_docs(tmp_path, old, new, TODAY), "api-path-removed-before-sunset", BREAKING, "GET /orders")
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-added", INFO, "GET /orders")


def test_renaming_a_path_parameter_is_no_change(tmp_path: Path) -> None:
    def spec(name: str) -> dict[str, Any]:
        param = {"name": name, "in": "path", "required": True, "schema": STRING}
        return api({f"/items/{{{name}}}": {"get": op(parameters=[param])}})

    expect_nothing(diff_docs(tmp_path, spec("id"), spec("itemId")))


@covers("api-operation-id-added", "api-operation-id-removed")
def test_adding_an_operation_id_is_info(tmp_path: Path) -> None:
    old, new = get_items(), get_items(operationId="listItems")
    expect(
        diff_docs(tmp_path, old, new),
        "api-operation-id-added",
        INFO,
        "GET /items",
        f"{ITEMS}/get/operationId",
        {"new": "listItems"},
    )
    expect(diff_docs(tmp_path, new, old), "api-operation-id-removed", INFO, "GET /items")


@covers("api-operation-id-removed", "api-operation-id-added")
def test_removing_an_operation_id_is_info(tmp_path: Path) -> None:
    old, new = get_items(operationId="listItems"), get_items()
    expect(diff_docs(tmp_path, old, new), "api-operation-id-removed", INFO, "GET /items", args={"old": "listItems"})
    expect(diff_docs(tmp_path, new, old), "api-operation-id-added", INFO, "GET /items")


@covers("api-operation-id-changed")
def test_changing_an_operation_id_is_a_warning(tmp_path: Path) -> None:
    old, new = get_items(operationId="listItems"), get_items(operationId="getItems")
    expect(
        diff_docs(tmp_path, old, new),
        "api-operation-id-changed",
        WARNING,
        "GET /items",
        args={"old": "listItems", "new": "getItems"},
    )
    expect(diff_docs(tmp_path, new, old), "api-operation-id-changed", WARNING, "GET /items")


@covers("api-tag-added", "api-tag-removed")
def test_adding_a_tag_to_an_operation_is_info(tmp_path: Path) -> None:
    old, new = get_items(tags=["a"]), get_items(tags=["a", "b"])
    expect(diff_docs(tmp_path, old, new), "api-tag-added", INFO, "GET /items", f"{ITEMS}/get/tags", {"tag": "b"})
    expect(diff_docs(tmp_path, new, old), "api-tag-removed", INFO, "GET /items")


@covers("api-tag-removed", "api-tag-added")
def test_removing_a_tag_from_an_operation_is_info(tmp_path: Path) -> None:
    old, new = get_items(tags=["a", "b"]), get_items(tags=["b"])
    expect(diff_docs(tmp_path, old, new), "api-tag-removed", INFO, "GET /items", args={"tag": "a"})
    expect(diff_docs(tmp_path, new, old), "api-tag-added", INFO, "GET /items")


def _webhooks(*names: str) -> dict[str, Any]:
    hooks = {name: {"post": {"requestBody": body(), "responses": {"200": OK}}} for name in names}
    return api({"/items": {"get": op()}}, version="3.1.0", webhooks=hooks)


@covers("webhook-added", "webhook-removed")
def test_adding_a_webhook_is_info(tmp_path: Path) -> None:
    old, new = _webhooks(), _webhooks("orderCreated")
    expect(
        diff_docs(tmp_path, old, new),
        "webhook-added",
        INFO,
        None,
        "#/webhooks/orderCreated",
        {"webhook": "orderCreated"},
    )
    expect(diff_docs(tmp_path, new, old), "webhook-removed", BREAKING, None)


@covers("webhook-removed", "webhook-added")
def test_removing_a_webhook_is_breaking(tmp_path: Path) -> None:
    old, new = _webhooks("orderCreated", "orderShipped"), _webhooks("orderCreated")
    expect(diff_docs(tmp_path, old, new), "webhook-removed", BREAKING, None, "#/webhooks/orderShipped")
    expect(diff_docs(tmp_path, new, old), "webhook-added", INFO, None)


def _schemas(**schemas: Any) -> dict[str, Any]:
    return api({"/items": {"get": op()}}, components={"schemas": schemas})


@covers("api-schema-added", "api-schema-removed")
def test_adding_a_named_schema_is_info(tmp_path: Path) -> None:
    old, new = _schemas(Item=STRING), _schemas(Item=STRING, Order=STRING)
    expect(
        diff_docs(tmp_path, old, new), "api-schema-added", INFO, None, "#/components/schemas/Order", {"schema": "Order"}
    )
    expect(diff_docs(tmp_path, new, old), "api-schema-removed", INFO, None)


@covers("api-schema-removed", "api-schema-added")
def test_removing_an_unused_named_schema_is_info(tmp_path: Path) -> None:
    old, new = _schemas(Item=STRING, Order=STRING), _schemas(Item=STRING)
    expect(diff_docs(tmp_path, old, new), "api-schema-removed", INFO, None, "#/components/schemas/Order")
    expect(diff_docs(tmp_path, new, old), "api-schema-added", INFO, None)


# -- lifecycle ------------------------------------------------------------------------------------------------------
@covers("endpoint-deprecated", "endpoint-reactivated")
def test_deprecating_an_operation_without_sunset_is_info(tmp_path: Path) -> None:
    old, new = get_items(), get_items(deprecated=True)
    expect(
        diff_docs(tmp_path, old, new, TODAY), "endpoint-deprecated", INFO, "GET /items", f"{ITEMS}/get/deprecated", {}
    )
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-reactivated", INFO, "GET /items")


@covers("endpoint-deprecated-with-sunset", "endpoint-reactivated")
def test_deprecating_an_operation_with_a_future_sunset_is_info(tmp_path: Path) -> None:
    old, new = get_items(), get_items(deprecated=True, **{"x-sunset": "2026-06-01"})
    expect(
        diff_docs(tmp_path, old, new, TODAY),
        "endpoint-deprecated-with-sunset",
        INFO,
        "GET /items",
        args={"sunset": "2026-06-01"},
    )
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-reactivated", INFO, "GET /items")


@covers("endpoint-deprecated-with-sunset")
def test_a_sunset_written_as_a_yaml_date_or_under_x_sunset_date_is_read(tmp_path: Path) -> None:
    old = get_items()
    for new in (
        get_items(deprecated=True, **{"x-sunset": date(2026, 6, 1)}),
        get_items(deprecated=True, **{"x-sunset-date": "2026-06-01T00:00:00Z"}),
    ):
        expect(
            diff_docs(tmp_path, old, new, TODAY),
            "endpoint-deprecated-with-sunset",
            INFO,
            "GET /items",
            args={"sunset": "2026-06-01"},
        )


@covers("endpoint-reactivated", "endpoint-deprecated")
def test_undeprecating_an_operation_is_info(tmp_path: Path) -> None:
    old, new = get_items(deprecated=True), get_items()
    expect(diff_docs(tmp_path, old, new, TODAY), "endpoint-reactivated", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-deprecated", INFO, "GET /items")


@covers("api-deprecated-sunset-parse", "endpoint-reactivated")
def test_deprecating_with_an_unreadable_sunset_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(), get_items(deprecated=True, **{"x-sunset": "next spring"})
    expect(
        diff_docs(tmp_path, old, new, TODAY),
        "api-deprecated-sunset-parse",
        BREAKING,
        "GET /items",
        args={"sunset": "next spring"},
    )
    expect(diff_docs(tmp_path, new, old, TODAY), "endpoint-reactivated", INFO, "GET /items")


@covers("api-sunset-date-too-small", "endpoint-reactivated")
def test_deprecating_with_a_sunset_sooner_than_the_notice_is_breaking(tmp_path: Path) -> None:
    # one root cause, one finding: the too-short notice replaces endpoint-deprecated-with-sunset
    old, new = get_items(), get_items(deprecated=True, **{"x-sunset": "2026-02-01"})
    expect(
        diff_docs(tmp_path, old, new, NOTICE_90_DAYS),
        "api-sunset-date-too-small",
        BREAKING,
        "GET /items",
        args={"sunset": "2026-02-01", "days": 90},
    )
    expect(diff_docs(tmp_path, new, old, NOTICE_90_DAYS), "endpoint-reactivated", INFO, "GET /items")


@covers("api-sunset-date-too-small")
def test_deprecating_with_a_sunset_in_the_past_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(), get_items(deprecated=True, **{"x-sunset": "2025-12-01"})
    expect(diff_docs(tmp_path, old, new, TODAY), "api-sunset-date-too-small", BREAKING, "GET /items")


@covers("sunset-deleted")
def test_removing_the_sunset_of_a_deprecated_operation_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(deprecated=True, **{"x-sunset": "2026-06-01"}), get_items(deprecated=True)
    expect(diff_docs(tmp_path, old, new, TODAY), "sunset-deleted", BREAKING, "GET /items", args={"old": "2026-06-01"})
    # announcing a sunset for an already deprecated operation only adds notice: no rule
    expect_nothing(diff_docs(tmp_path, new, old, TODAY))


@covers("api-sunset-date-changed-too-small", "api-sunset-date-changed")
def test_moving_a_sunset_earlier_than_the_notice_allows_is_breaking(tmp_path: Path) -> None:
    old = get_items(deprecated=True, **{"x-sunset": "2026-06-01"})
    new = get_items(deprecated=True, **{"x-sunset": "2026-02-01"})
    expect(
        diff_docs(tmp_path, old, new, NOTICE_90_DAYS),
        "api-sunset-date-changed-too-small",
        BREAKING,
        "GET /items",
        args={"old": "2026-06-01", "new": "2026-02-01"},
    )
    expect(diff_docs(tmp_path, new, old, NOTICE_90_DAYS), "api-sunset-date-changed", INFO, "GET /items")


@covers("api-sunset-date-changed")
def test_moving_a_sunset_within_the_notice_is_info(tmp_path: Path) -> None:
    old = get_items(deprecated=True, **{"x-sunset": "2026-06-01"})
    new = get_items(deprecated=True, **{"x-sunset": "2026-09-01"})
    expect(
        diff_docs(tmp_path, old, new, TODAY),
        "api-sunset-date-changed",
        INFO,
        "GET /items",
        args={"old": "2026-06-01", "new": "2026-09-01"},
    )
    expect(diff_docs(tmp_path, new, old, TODAY), "api-sunset-date-changed", INFO, "GET /items")


@covers("api-stability-decreased", "api-stability-increased")
def test_lowering_the_stability_level_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(**{"x-stability-level": "stable"}), get_items(**{"x-stability-level": "beta"})
    expect(
        diff_docs(tmp_path, old, new),
        "api-stability-decreased",
        BREAKING,
        "GET /items",
        f"{ITEMS}/get/x-stability-level",
        {"old": "stable", "new": "beta"},
    )
    expect(diff_docs(tmp_path, new, old), "api-stability-increased", INFO, "GET /items")


@covers("api-stability-increased", "api-stability-decreased")
def test_raising_the_stability_level_is_info(tmp_path: Path) -> None:
    old, new = get_items(**{"x-stability-level": "alpha"}), get_items(**{"x-stability-level": "beta"})
    expect(diff_docs(tmp_path, old, new), "api-stability-increased", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "api-stability-decreased", BREAKING, "GET /items")


@covers("api-invalid-stability-level")
def test_an_unknown_stability_level_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(**{"x-stability-level": "beta"}), get_items(**{"x-stability-level": "experimental"})
    expect(
        diff_docs(tmp_path, old, new),
        "api-invalid-stability-level",
        BREAKING,
        "GET /items",
        args={"value": "experimental"},
    )
    # from an unknown level to a known one there is nothing to compare against
    expect_nothing(diff_docs(tmp_path, new, old))


@covers("request-parameter-deprecated", "request-parameter-reactivated")
def test_deprecating_a_request_parameter_is_info(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query()]), get_items(parameters=[query(deprecated=True)])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-deprecated",
        INFO,
        "GET /items",
        f"{ITEMS}/get/parameters/query/q",
        {"parameter": "q", "in": "query"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-reactivated", INFO, "GET /items")


@covers("request-parameter-reactivated", "request-parameter-deprecated")
def test_undeprecating_a_request_parameter_is_info(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query(deprecated=True)]), get_items(parameters=[query()])
    expect(diff_docs(tmp_path, old, new), "request-parameter-reactivated", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "request-parameter-deprecated", INFO, "GET /items")


# -- parameters -----------------------------------------------------------------------------------------------------
@covers("new-required-request-parameter", "request-parameter-removed")
def test_adding_a_required_query_parameter_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(), get_items(parameters=[query(required=True)])
    expect(
        diff_docs(tmp_path, old, new),
        "new-required-request-parameter",
        BREAKING,
        "GET /items",
        f"{ITEMS}/get/parameters/query/q",
        {"parameter": "q", "in": "query"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-removed", WARNING, "GET /items")


@covers("new-optional-request-parameter")
def test_adding_a_required_parameter_with_a_default_is_info(tmp_path: Path) -> None:
    old = get_items()
    new = get_items(parameters=[query(required=True, schema={"type": "string", "default": "a"})])
    expect(diff_docs(tmp_path, old, new), "new-optional-request-parameter", INFO, "GET /items")


@covers("new-optional-request-parameter", "request-parameter-removed")
def test_adding_an_optional_query_parameter_is_info(tmp_path: Path) -> None:
    old, new = get_items(), get_items(parameters=[query()])
    expect(diff_docs(tmp_path, old, new), "new-optional-request-parameter", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "request-parameter-removed", WARNING, "GET /items")


@covers("request-parameter-removed", "new-optional-request-parameter")
def test_removing_a_query_parameter_is_a_warning(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query(), query("r")]), get_items(parameters=[query()])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-removed",
        WARNING,
        "GET /items",
        f"{ITEMS}/get/parameters/query/r",
        {"parameter": "r", "in": "query"},
    )
    expect(diff_docs(tmp_path, new, old), "new-optional-request-parameter", INFO, "GET /items")


@covers("request-parameter-removed-with-deprecation", "new-optional-request-parameter")
def test_removing_a_deprecated_query_parameter_is_info(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query(deprecated=True)]), get_items()
    expect(diff_docs(tmp_path, old, new), "request-parameter-removed-with-deprecation", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "new-optional-request-parameter", INFO, "GET /items")


@covers("request-parameter-became-required", "request-parameter-became-optional")
def test_optional_query_parameter_becoming_required_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query()]), get_items(parameters=[query(required=True)])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-became-required",
        BREAKING,
        "GET /items",
        f"{ITEMS}/get/parameters/query/q",
        {"parameter": "q", "in": "query"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-became-optional", INFO, "GET /items")


@covers("request-parameter-became-optional", "request-parameter-became-required")
def test_required_header_parameter_becoming_optional_is_info(tmp_path: Path) -> None:
    header = {"name": "X-Tenant", "in": "header", "schema": STRING}
    old, new = get_items(parameters=[{**header, "required": True}]), get_items(parameters=[header])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-became-optional",
        INFO,
        "GET /items",
        f"{ITEMS}/get/parameters/header/X-Tenant",
        {"parameter": "X-Tenant", "in": "header"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-became-required", BREAKING, "GET /items")


def test_header_parameter_names_are_matched_case_insensitively(tmp_path: Path) -> None:
    old = get_items(parameters=[{"name": "X-Tenant", "in": "header", "schema": STRING}])
    new = get_items(parameters=[{"name": "x-tenant", "in": "header", "schema": STRING}])
    expect_nothing(diff_docs(tmp_path, old, new))


ARRAY_QUERY = query("ids", schema={"type": "array", "items": STRING})


@covers("request-parameter-style-changed")
def test_changing_the_style_of_an_array_query_parameter_is_a_warning(tmp_path: Path) -> None:
    old = get_items(parameters=[{**ARRAY_QUERY, "style": "form"}])
    new = get_items(parameters=[{**ARRAY_QUERY, "style": "pipeDelimited"}])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-style-changed",
        WARNING,
        "GET /items",
        args={"parameter": "ids", "in": "query", "old": "form", "new": "pipeDelimited"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-style-changed", WARNING, "GET /items")


@covers("request-parameter-explode-changed")
def test_changing_explode_of_an_array_query_parameter_is_a_warning(tmp_path: Path) -> None:
    old = get_items(parameters=[ARRAY_QUERY])  # form style explodes by default
    new = get_items(parameters=[{**ARRAY_QUERY, "explode": False}])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-explode-changed",
        WARNING,
        "GET /items",
        args={"parameter": "ids", "in": "query", "old": True, "new": False},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-explode-changed", WARNING, "GET /items")


def test_spelling_out_the_default_style_and_explode_is_no_change(tmp_path: Path) -> None:
    old = get_items(parameters=[ARRAY_QUERY])
    new = get_items(parameters=[{**ARRAY_QUERY, "style": "form", "explode": True}])
    expect_nothing(diff_docs(tmp_path, old, new))


@covers("request-parameter-style-changed", "request-parameter-explode-changed")
def test_changing_both_style_and_an_explicit_explode_reports_both(tmp_path: Path) -> None:
    old = get_items(parameters=[{**ARRAY_QUERY, "style": "form", "explode": True}])
    new = get_items(parameters=[{**ARRAY_QUERY, "style": "pipeDelimited", "explode": False}])
    ids = [c.id for c in diff_docs(tmp_path, old, new).changes]
    assert sorted(ids) == ["request-parameter-explode-changed", "request-parameter-style-changed"]


def _swagger_array_query(collection_format: str) -> dict[str, Any]:
    param = {"name": "ids", "in": "query", "type": "array", "items": STRING, "collectionFormat": collection_format}
    return {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/items": {"get": op(parameters=[param])}},
    }


@covers("request-parameter-explode-changed")
def test_swagger_collection_format_csv_to_multi_is_an_explode_change(tmp_path: Path) -> None:
    old, new = _swagger_array_query("csv"), _swagger_array_query("multi")
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-explode-changed",
        WARNING,
        "GET /items",
        args={"parameter": "ids", "in": "query", "old": False, "new": True},
    )


@covers("request-parameter-style-changed")
def test_swagger_collection_format_pipes_to_multi_is_one_style_change(tmp_path: Path) -> None:
    old, new = _swagger_array_query("pipes"), _swagger_array_query("multi")
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-style-changed",
        WARNING,
        "GET /items",
        args={"parameter": "ids", "in": "query", "old": "pipeDelimited", "new": "form"},
    )


@covers("request-parameter-allow-empty-value-removed", "request-parameter-allow-empty-value-added")
def test_a_query_parameter_no_longer_accepting_empty_values_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query(allowEmptyValue=True)]), get_items(parameters=[query()])
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-allow-empty-value-removed",
        BREAKING,
        "GET /items",
        args={"parameter": "q", "in": "query"},
    )
    expect(diff_docs(tmp_path, new, old), "request-parameter-allow-empty-value-added", INFO, "GET /items")


@covers("request-parameter-allow-empty-value-added", "request-parameter-allow-empty-value-removed")
def test_a_query_parameter_accepting_empty_values_is_info(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query()]), get_items(parameters=[query(allowEmptyValue=True)])
    expect(diff_docs(tmp_path, old, new), "request-parameter-allow-empty-value-added", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "request-parameter-allow-empty-value-removed", BREAKING, "GET /items")


# -- request bodies -------------------------------------------------------------------------------------------------
def post_items(**fields: Any) -> dict[str, Any]:
    return api({"/items": {"post": op(**fields)}})


REQUEST_BODY = f"{ITEMS}/post/requestBody"


@covers("request-body-added-required", "request-body-removed")
def test_adding_a_required_request_body_is_breaking(tmp_path: Path) -> None:
    old, new = post_items(), post_items(requestBody=body(required=True))
    expect(diff_docs(tmp_path, old, new), "request-body-added-required", BREAKING, "POST /items", REQUEST_BODY, {})
    expect(diff_docs(tmp_path, new, old), "request-body-removed", BREAKING, "POST /items")


@covers("request-body-added-optional", "request-body-removed")
def test_adding_an_optional_request_body_is_info(tmp_path: Path) -> None:
    old, new = post_items(), post_items(requestBody=body())
    expect(diff_docs(tmp_path, old, new), "request-body-added-optional", INFO, "POST /items", REQUEST_BODY)
    expect(diff_docs(tmp_path, new, old), "request-body-removed", BREAKING, "POST /items")


@covers("request-body-removed", "request-body-added-optional")
def test_removing_the_request_body_is_breaking(tmp_path: Path) -> None:
    old, new = post_items(requestBody=body()), post_items()
    expect(diff_docs(tmp_path, old, new), "request-body-removed", BREAKING, "POST /items", REQUEST_BODY, {})
    expect(diff_docs(tmp_path, new, old), "request-body-added-optional", INFO, "POST /items")


@covers("request-body-became-required", "request-body-became-optional")
def test_optional_request_body_becoming_required_is_breaking(tmp_path: Path) -> None:
    old, new = post_items(requestBody=body()), post_items(requestBody=body(required=True))
    expect(diff_docs(tmp_path, old, new), "request-body-became-required", BREAKING, "POST /items", REQUEST_BODY)
    expect(diff_docs(tmp_path, new, old), "request-body-became-optional", INFO, "POST /items")


@covers("request-body-became-optional", "request-body-became-required")
def test_required_request_body_becoming_optional_is_info(tmp_path: Path) -> None:
    old, new = post_items(requestBody=body(required=True)), post_items(requestBody=body())
    expect(diff_docs(tmp_path, old, new), "request-body-became-optional", INFO, "POST /items")
    expect(diff_docs(tmp_path, new, old), "request-body-became-required", BREAKING, "POST /items")


def _two_media(first: str, second: str | None) -> dict[str, Any]:
    content = {first: {"schema": {"type": "object"}}}
    if second:
        content[second] = {"schema": {"type": "object"}}
    return {"content": content}


@covers("request-body-media-type-added", "request-body-media-type-removed")
def test_accepting_another_request_media_type_is_info(tmp_path: Path) -> None:
    old, new = post_items(requestBody=_two_media(JSON, None)), post_items(requestBody=_two_media(JSON, "text/csv"))
    expect(
        diff_docs(tmp_path, old, new),
        "request-body-media-type-added",
        INFO,
        "POST /items",
        f"{REQUEST_BODY}/content/text~1csv",
        {"media_type": "text/csv"},
    )
    expect(diff_docs(tmp_path, new, old), "request-body-media-type-removed", BREAKING, "POST /items")


@covers("request-body-media-type-removed", "request-body-media-type-added")
def test_no_longer_accepting_a_request_media_type_is_breaking(tmp_path: Path) -> None:
    old, new = post_items(requestBody=_two_media(JSON, "text/csv")), post_items(requestBody=_two_media(JSON, None))
    expect(
        diff_docs(tmp_path, old, new),
        "request-body-media-type-removed",
        BREAKING,
        "POST /items",
        args={"media_type": "text/csv"},
    )
    expect(diff_docs(tmp_path, new, old), "request-body-media-type-added", INFO, "POST /items")


# -- responses ------------------------------------------------------------------------------------------------------
def responses(**by_status: dict[str, Any]) -> dict[str, Any]:
    return api({"/items": {"get": {"responses": {k.removeprefix("s"): v for k, v in by_status.items()}}}})


RESPONSES = f"{ITEMS}/get/responses"


@covers("response-success-status-added", "response-success-status-removed")
def test_adding_a_success_status_is_info(tmp_path: Path) -> None:
    old, new = responses(s200=OK), responses(s200=OK, s206=OK)
    expect(
        diff_docs(tmp_path, old, new),
        "response-success-status-added",
        INFO,
        "GET /items",
        f"{RESPONSES}/206",
        {"status": "206"},
    )
    expect(diff_docs(tmp_path, new, old), "response-success-status-removed", BREAKING, "GET /items")


@covers("response-success-status-removed", "response-success-status-added")
def test_removing_a_success_status_is_breaking(tmp_path: Path) -> None:
    old, new = responses(s200=OK, s206=OK), responses(s200=OK)
    expect(
        diff_docs(tmp_path, old, new), "response-success-status-removed", BREAKING, "GET /items", args={"status": "206"}
    )
    expect(diff_docs(tmp_path, new, old), "response-success-status-added", INFO, "GET /items")


@covers("response-non-success-status-added", "response-non-success-status-removed")
def test_adding_an_error_status_is_info(tmp_path: Path) -> None:
    old, new = responses(s200=OK), responses(s200=OK, s404=OK)
    expect(
        diff_docs(tmp_path, old, new),
        "response-non-success-status-added",
        INFO,
        "GET /items",
        f"{RESPONSES}/404",
        {"status": "404"},
    )
    expect(diff_docs(tmp_path, new, old), "response-non-success-status-removed", INFO, "GET /items")


@covers("response-non-success-status-removed", "response-non-success-status-added")
def test_removing_an_error_status_is_info(tmp_path: Path) -> None:
    old, new = responses(s200=OK, s404=OK), responses(s200=OK)
    expect(diff_docs(tmp_path, old, new), "response-non-success-status-removed", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-non-success-status-added", INFO, "GET /items")


@covers("response-non-success-status-added")
def test_folding_an_error_status_into_default_reports_only_the_new_default(tmp_path: Path) -> None:
    old, new = responses(s200=OK, s404=OK), responses(s200=OK, default=OK)
    expect(
        diff_docs(tmp_path, old, new),
        "response-non-success-status-added",
        INFO,
        "GET /items",
        args={"status": "default"},
    )


def _json_response(*media: str) -> dict[str, Any]:
    return {**OK, "content": {m: {"schema": {"type": "object"}} for m in media}}


@covers("response-media-type-added", "response-media-type-removed")
def test_returning_another_media_type_is_info(tmp_path: Path) -> None:
    old, new = responses(s200=_json_response(JSON)), responses(s200=_json_response(JSON, "text/csv"))
    expect(
        diff_docs(tmp_path, old, new),
        "response-media-type-added",
        INFO,
        "GET /items",
        f"{RESPONSES}/200/content/text~1csv",
        {"status": "200", "media_type": "text/csv"},
    )
    expect(diff_docs(tmp_path, new, old), "response-media-type-removed", BREAKING, "GET /items")


@covers("response-media-type-removed", "response-media-type-added")
def test_no_longer_returning_a_media_type_is_breaking(tmp_path: Path) -> None:
    old, new = responses(s200=_json_response(JSON, "text/csv")), responses(s200=_json_response(JSON))
    expect(diff_docs(tmp_path, old, new), "response-media-type-removed", BREAKING, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-media-type-added", INFO, "GET /items")


def _with_headers(**headers: dict[str, Any]) -> dict[str, Any]:
    return responses(s200={**OK, "headers": {name.replace("_", "-"): h for name, h in headers.items()}})


RATE = {"schema": {"type": "integer"}}


@covers("response-header-added", "optional-response-header-removed")
def test_adding_a_response_header_is_info(tmp_path: Path) -> None:
    old, new = _with_headers(), _with_headers(X_Rate=RATE)
    expect(
        diff_docs(tmp_path, old, new),
        "response-header-added",
        INFO,
        "GET /items",
        f"{RESPONSES}/200/headers/X-Rate",
        {"status": "200", "header": "X-Rate"},
    )
    expect(diff_docs(tmp_path, new, old), "optional-response-header-removed", WARNING, "GET /items")


@covers("required-response-header-removed", "response-header-added")
def test_removing_a_required_response_header_is_breaking(tmp_path: Path) -> None:
    old, new = _with_headers(X_Rate={**RATE, "required": True}), _with_headers()
    expect(
        diff_docs(tmp_path, old, new),
        "required-response-header-removed",
        BREAKING,
        "GET /items",
        args={"status": "200", "header": "X-Rate"},
    )
    expect(diff_docs(tmp_path, new, old), "response-header-added", INFO, "GET /items")


@covers("optional-response-header-removed", "response-header-added")
def test_removing_an_optional_response_header_is_a_warning(tmp_path: Path) -> None:
    old, new = _with_headers(X_Rate=RATE), _with_headers()
    expect(diff_docs(tmp_path, old, new), "optional-response-header-removed", WARNING, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-header-added", INFO, "GET /items")


@covers("response-header-became-optional", "response-header-became-required")
def test_required_response_header_becoming_optional_is_breaking(tmp_path: Path) -> None:
    old, new = _with_headers(X_Rate={**RATE, "required": True}), _with_headers(X_Rate=RATE)
    expect(
        diff_docs(tmp_path, old, new),
        "response-header-became-optional",
        BREAKING,
        "GET /items",
        f"{RESPONSES}/200/headers/X-Rate",
        {"status": "200", "header": "X-Rate"},
    )
    expect(diff_docs(tmp_path, new, old), "response-header-became-required", INFO, "GET /items")


@covers("response-header-became-required", "response-header-became-optional")
def test_optional_response_header_becoming_required_is_info(tmp_path: Path) -> None:
    old, new = _with_headers(X_Rate=RATE), _with_headers(X_Rate={**RATE, "required": True})
    expect(diff_docs(tmp_path, old, new), "response-header-became-required", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-header-became-optional", BREAKING, "GET /items")


# -- security -------------------------------------------------------------------------------------------------------
OAUTH = {
    "type": "oauth2",
    "flows": {
        "authorizationCode": {
            "authorizationUrl": "https://auth.example.com/authorize",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "read", "write": "write"},
        }
    },
}
SCHEMES = {"key": {"type": "apiKey", "name": "X-Key", "in": "header"}, "oauth": OAUTH}


def secured(
    operation: list[dict[str, Any]] | None = None,
    glob: list[dict[str, Any]] | None = None,
    schemes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    fields = {} if operation is None else {"security": operation}
    top: dict[str, Any] = {"components": {"securitySchemes": SCHEMES if schemes is None else schemes}}
    if glob is not None:
        top["security"] = glob
    return api({"/items": {"get": op(**fields)}}, **top)


@covers("api-security-removed", "api-security-added")
def test_removing_a_security_alternative_from_an_operation_is_breaking(tmp_path: Path) -> None:
    old, new = secured([{"key": []}, {"oauth": ["read"]}]), secured([{"oauth": ["read"]}])
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-removed",
        BREAKING,
        "GET /items",
        f"{ITEMS}/get/security",
        {"security": "key"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-added", INFO, "GET /items")


@covers("api-security-added", "api-security-removed")
def test_adding_a_security_alternative_to_an_operation_is_info(tmp_path: Path) -> None:
    old, new = secured([{"oauth": ["read"]}]), secured([{"oauth": ["read"]}, {"key": []}])
    expect(diff_docs(tmp_path, old, new), "api-security-added", INFO, "GET /items", args={"security": "key"})
    expect(diff_docs(tmp_path, new, old), "api-security-removed", BREAKING, "GET /items")


@covers("api-security-scope-added", "api-security-scope-removed")
def test_requiring_another_oauth_scope_on_an_operation_is_breaking(tmp_path: Path) -> None:
    old, new = secured([{"oauth": ["read"]}]), secured([{"oauth": ["read", "write"]}])
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-scope-added",
        BREAKING,
        "GET /items",
        args={"scheme": "oauth", "scope": "write"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-scope-removed", INFO, "GET /items")


@covers("api-security-scope-removed", "api-security-scope-added")
def test_requiring_one_oauth_scope_less_on_an_operation_is_info(tmp_path: Path) -> None:
    old, new = secured([{"oauth": ["read", "write"]}]), secured([{"oauth": ["read"]}])
    expect(diff_docs(tmp_path, old, new), "api-security-scope-removed", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "api-security-scope-added", BREAKING, "GET /items")


def test_spelling_out_the_inherited_global_security_on_an_operation_is_no_change(tmp_path: Path) -> None:
    old, new = secured(glob=[{"key": []}]), secured([{"key": []}], glob=[{"key": []}])
    expect_nothing(diff_docs(tmp_path, old, new))


@covers("api-global-security-removed", "api-global-security-added")
def test_removing_a_global_security_alternative_is_breaking(tmp_path: Path) -> None:
    old, new = secured(glob=[{"key": []}, {"oauth": ["read"]}]), secured(glob=[{"oauth": ["read"]}])
    expect(
        diff_docs(tmp_path, old, new), "api-global-security-removed", BREAKING, None, "#/security", {"security": "key"}
    )
    expect(diff_docs(tmp_path, new, old), "api-global-security-added", INFO, None)


@covers("api-global-security-added", "api-global-security-removed")
def test_adding_a_global_security_alternative_is_info(tmp_path: Path) -> None:
    old, new = secured(glob=[{"oauth": ["read"]}]), secured(glob=[{"oauth": ["read"]}, {"key": []}])
    expect(diff_docs(tmp_path, old, new), "api-global-security-added", INFO, None)
    expect(diff_docs(tmp_path, new, old), "api-global-security-removed", BREAKING, None)


@covers("api-global-security-scope-added", "api-global-security-scope-removed")
def test_requiring_another_global_oauth_scope_is_breaking(tmp_path: Path) -> None:
    old, new = secured(glob=[{"oauth": ["read"]}]), secured(glob=[{"oauth": ["read", "write"]}])
    expect(
        diff_docs(tmp_path, old, new),
        "api-global-security-scope-added",
        BREAKING,
        None,
        "#/security",
        {"scheme": "oauth", "scope": "write"},
    )
    expect(diff_docs(tmp_path, new, old), "api-global-security-scope-removed", INFO, None)


@covers("api-global-security-scope-removed", "api-global-security-scope-added")
def test_requiring_one_global_oauth_scope_less_is_info(tmp_path: Path) -> None:
    old, new = secured(glob=[{"oauth": ["read", "write"]}]), secured(glob=[{"oauth": ["read"]}])
    expect(diff_docs(tmp_path, old, new), "api-global-security-scope-removed", INFO, None)
    expect(diff_docs(tmp_path, new, old), "api-global-security-scope-added", BREAKING, None)


SCHEMES_AT = "#/components/securitySchemes"


@covers("api-security-component-added", "api-security-component-removed")
def test_adding_a_security_scheme_is_info(tmp_path: Path) -> None:
    old, new = secured(schemes={"key": SCHEMES["key"]}), secured()
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-component-added",
        INFO,
        None,
        f"{SCHEMES_AT}/oauth",
        {"scheme": "oauth"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-component-removed", INFO, None)


@covers("api-security-component-removed", "api-security-component-added")
def test_removing_a_security_scheme_is_info(tmp_path: Path) -> None:
    old, new = secured(), secured(schemes={"oauth": OAUTH})
    expect(diff_docs(tmp_path, old, new), "api-security-component-removed", INFO, None, f"{SCHEMES_AT}/key")
    expect(diff_docs(tmp_path, new, old), "api-security-component-added", INFO, None)


@covers("api-security-component-type-changed")
def test_changing_the_type_of_a_security_scheme_is_info(tmp_path: Path) -> None:
    old, new = secured(), secured(schemes={**SCHEMES, "key": {"type": "http", "scheme": "bearer"}})
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-component-type-changed",
        INFO,
        None,
        f"{SCHEMES_AT}/key",
        {"scheme": "key", "old": "apiKey", "new": "http"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-component-type-changed", INFO, None)


def _oauth(**flow: Any) -> dict[str, Any]:
    scheme = copy.deepcopy(OAUTH)
    scheme["flows"]["authorizationCode"].update(flow)
    return secured(schemes={**SCHEMES, "oauth": scheme})


@covers("api-security-component-oauth-url-changed")
def test_moving_the_oauth_authorization_url_is_info(tmp_path: Path) -> None:
    old, new = secured(), _oauth(authorizationUrl="https://login.example.com/authorize")
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-component-oauth-url-changed",
        INFO,
        None,
        f"{SCHEMES_AT}/oauth",
        {"scheme": "oauth", "flow": "authorizationCode", "new": "https://login.example.com/authorize"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-component-oauth-url-changed", INFO, None)


@covers("api-security-component-oauth-token-url-changed")
def test_moving_the_oauth_token_url_is_info(tmp_path: Path) -> None:
    old, new = secured(), _oauth(tokenUrl="https://login.example.com/token")
    expect(diff_docs(tmp_path, old, new), "api-security-component-oauth-token-url-changed", INFO, None)
    expect(diff_docs(tmp_path, new, old), "api-security-component-oauth-token-url-changed", INFO, None)


@covers("api-security-component-oauth-scope-added", "api-security-component-oauth-scope-removed")
def test_offering_another_oauth_scope_is_info(tmp_path: Path) -> None:
    old, new = secured(), _oauth(scopes={"read": "read", "write": "write", "admin": "admin"})
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-component-oauth-scope-added",
        INFO,
        None,
        args={"scheme": "oauth", "scope": "admin"},
    )
    expect(diff_docs(tmp_path, new, old), "api-security-component-oauth-scope-removed", INFO, None)


@covers("api-security-component-oauth-scope-removed", "api-security-component-oauth-scope-added")
def test_withdrawing_an_oauth_scope_from_a_scheme_is_info(tmp_path: Path) -> None:
    old, new = secured(), _oauth(scopes={"read": "read"})
    expect(diff_docs(tmp_path, old, new), "api-security-component-oauth-scope-removed", INFO, None)
    expect(diff_docs(tmp_path, new, old), "api-security-component-oauth-scope-added", INFO, None)


@covers("api-security-component-oauth-url-changed")
def test_swagger_oauth_scheme_is_compared_as_its_single_flow(tmp_path: Path) -> None:
    def swagger(url: str) -> dict[str, Any]:
        scheme = {"type": "oauth2", "flow": "implicit", "authorizationUrl": url, "scopes": {"read": "read"}}
        return {
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/items": {"get": op()}},
            "securityDefinitions": {"oauth": scheme},
        }

    old, new = swagger("https://a.example.com/authorize"), swagger("https://b.example.com/authorize")
    expect(
        diff_docs(tmp_path, old, new),
        "api-security-component-oauth-url-changed",
        INFO,
        None,
        "#/securityDefinitions/oauth",
        {"scheme": "oauth", "flow": "implicit", "new": "https://b.example.com/authorize"},
    )


# -- properties -----------------------------------------------------------------------------------------------------
def request_object(schema: dict[str, Any]) -> dict[str, Any]:
    return post_items(requestBody=body(schema))


def response_object(schema: dict[str, Any]) -> dict[str, Any]:
    return responses(s200={**OK, "content": {JSON: {"schema": schema}}})


def parameter_object(schema: dict[str, Any]) -> dict[str, Any]:
    return get_items(parameters=[query("filter", schema=schema)])


REQUEST_SCHEMA = f"{REQUEST_BODY}/content/application~1json/schema"
RESPONSE_SCHEMA = f"{RESPONSES}/200/content/application~1json/schema"


@covers("request-property-removed", "new-optional-request-property")
def test_removing_a_request_property_is_a_warning(tmp_path: Path) -> None:
    old, new = request_object(obj(a=STRING, b=STRING)), request_object(obj(a=STRING))
    expect(
        diff_docs(tmp_path, old, new),
        "request-property-removed",
        WARNING,
        "POST /items",
        f"{REQUEST_SCHEMA}/properties/b",
        {"property": "b"},
    )
    expect(diff_docs(tmp_path, new, old), "new-optional-request-property", INFO, "POST /items")


@covers("new-required-request-property", "request-property-removed")
def test_adding_a_required_request_property_is_breaking(tmp_path: Path) -> None:
    old, new = request_object(obj(a=STRING)), request_object(obj(("b",), a=STRING, b=STRING))
    expect(
        diff_docs(tmp_path, old, new),
        "new-required-request-property",
        BREAKING,
        "POST /items",
        f"{REQUEST_SCHEMA}/properties/b",
        {"property": "b"},
    )
    expect(diff_docs(tmp_path, new, old), "request-property-removed", WARNING, "POST /items")


@covers("new-optional-request-property", "request-property-removed")
def test_adding_an_optional_request_property_is_info(tmp_path: Path) -> None:
    old, new = request_object(obj(a=STRING)), request_object(obj(a=STRING, b=STRING))
    expect(diff_docs(tmp_path, old, new), "new-optional-request-property", INFO, "POST /items")
    expect(diff_docs(tmp_path, new, old), "request-property-removed", WARNING, "POST /items")


def test_read_only_properties_do_not_count_in_requests(tmp_path: Path) -> None:
    read_only = {"type": "string", "readOnly": True}
    old, new = request_object(obj(a=STRING)), request_object(obj(("id",), a=STRING, id=read_only))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))


def test_write_only_properties_do_not_count_in_responses(tmp_path: Path) -> None:
    write_only = {"type": "string", "writeOnly": True}
    old, new = response_object(obj(a=STRING)), response_object(obj(("secret",), a=STRING, secret=write_only))
    expect_nothing(diff_docs(tmp_path, old, new))
    expect_nothing(diff_docs(tmp_path, new, old))


@covers("new-required-request-property")
def test_a_nested_property_is_named_by_its_path_and_its_pointer_is_escaped(tmp_path: Path) -> None:
    old = request_object(obj(address=obj(city=STRING)))
    new = request_object(obj(address=obj(("a/b",), city=STRING, **{"a/b": STRING})))
    expect(
        diff_docs(tmp_path, old, new),
        "new-required-request-property",
        BREAKING,
        "POST /items",
        f"{REQUEST_SCHEMA}/properties/address/properties/a~1b",
        {"property": "address.a/b"},
    )


@covers("response-required-property-removed", "response-required-property-added")
def test_removing_a_required_response_property_is_breaking(tmp_path: Path) -> None:
    old, new = response_object(obj(("a", "b"), a=STRING, b=STRING)), response_object(obj(("a",), a=STRING))
    expect(
        diff_docs(tmp_path, old, new),
        "response-required-property-removed",
        BREAKING,
        "GET /items",
        f"{RESPONSE_SCHEMA}/properties/b",
        {"status": "200", "property": "b"},
    )
    expect(diff_docs(tmp_path, new, old), "response-required-property-added", INFO, "GET /items")


@covers("response-optional-property-removed", "response-optional-property-added")
def test_removing_an_optional_response_property_is_a_warning(tmp_path: Path) -> None:
    old, new = response_object(obj(a=STRING, b=STRING)), response_object(obj(a=STRING))
    expect(diff_docs(tmp_path, old, new), "response-optional-property-removed", WARNING, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-optional-property-added", INFO, "GET /items")


@covers("response-required-property-added", "response-required-property-removed")
def test_adding_a_required_response_property_is_info(tmp_path: Path) -> None:
    old, new = response_object(obj(a=STRING)), response_object(obj(("b",), a=STRING, b=STRING))
    expect(diff_docs(tmp_path, old, new), "response-required-property-added", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-required-property-removed", BREAKING, "GET /items")


@covers("response-optional-property-added", "response-optional-property-removed")
def test_adding_an_optional_response_property_is_info(tmp_path: Path) -> None:
    old, new = response_object(obj(a=STRING)), response_object(obj(a=STRING, b=STRING))
    expect(diff_docs(tmp_path, old, new), "response-optional-property-added", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "response-optional-property-removed", WARNING, "GET /items")


PARAMETER_SCHEMA = f"{ITEMS}/get/parameters/query/filter/schema"


@covers("request-parameter-property-removed", "new-optional-request-parameter-property")
def test_removing_a_property_of_an_object_query_parameter_is_a_warning(tmp_path: Path) -> None:
    old, new = parameter_object(obj(a=STRING, b=STRING)), parameter_object(obj(a=STRING))
    expect(
        diff_docs(tmp_path, old, new),
        "request-parameter-property-removed",
        WARNING,
        "GET /items",
        f"{PARAMETER_SCHEMA}/properties/b",
        {"parameter": "filter", "in": "query", "property": "b"},
    )
    expect(diff_docs(tmp_path, new, old), "new-optional-request-parameter-property", INFO, "GET /items")


@covers("new-required-request-parameter-property", "request-parameter-property-removed")
def test_adding_a_required_property_to_an_object_query_parameter_is_breaking(tmp_path: Path) -> None:
    old, new = parameter_object(obj(a=STRING)), parameter_object(obj(("b",), a=STRING, b=STRING))
    expect(diff_docs(tmp_path, old, new), "new-required-request-parameter-property", BREAKING, "GET /items")
    expect(diff_docs(tmp_path, new, old), "request-parameter-property-removed", WARNING, "GET /items")


@covers("new-optional-request-parameter-property", "request-parameter-property-removed")
def test_adding_an_optional_property_to_an_object_query_parameter_is_info(tmp_path: Path) -> None:
    old, new = parameter_object(obj(a=STRING)), parameter_object(obj(a=STRING, b=STRING))
    expect(diff_docs(tmp_path, old, new), "new-optional-request-parameter-property", INFO, "GET /items")
    expect(diff_docs(tmp_path, new, old), "request-parameter-property-removed", WARNING, "GET /items")


@covers("request-parameter-sunset-date-too-small", "request-parameter-reactivated")
def test_deprecating_a_parameter_with_a_past_sunset_is_breaking(tmp_path: Path) -> None:
    old, new = (
        get_items(parameters=[query()]),
        get_items(parameters=[query(deprecated=True, **{"x-sunset": "2025-08-10"})]),
    )
    options = DiffOptions(today=date(2026, 1, 1))
    expect(
        diff_docs(tmp_path, old, new, options), "request-parameter-sunset-date-too-small", Level.BREAKING, "GET /items"
    )
    expect(diff_docs(tmp_path, new, old, options), "request-parameter-reactivated", INFO, "GET /items")


@covers("request-parameter-sunset-parse")
def test_deprecating_a_parameter_with_an_unreadable_sunset_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query()]), get_items(parameters=[query(deprecated=True, **{"x-sunset": "soon"})])
    expect(diff_docs(tmp_path, old, new), "request-parameter-sunset-parse", Level.BREAKING, "GET /items")


@covers("request-parameter-deprecated")
def test_deprecating_a_parameter_with_a_future_sunset_is_info(tmp_path: Path) -> None:
    old, new = (
        get_items(parameters=[query()]),
        get_items(parameters=[query(deprecated=True, **{"x-sunset": "2027-03-31"})]),
    )
    result = diff_docs(tmp_path, old, new, DiffOptions(today=date(2026, 1, 1)))
    expect(result, "request-parameter-deprecated", INFO, "GET /items")
    assert result.changes[0].args["sunset"] == "2027-03-31"


@covers("request-parameter-removed-before-sunset", "new-optional-request-parameter")
def test_removing_a_parameter_before_its_sunset_is_breaking(tmp_path: Path) -> None:
    old, new = get_items(parameters=[query(deprecated=True, **{"x-sunset": "2027-03-31"})]), get_items()
    options = DiffOptions(today=date(2026, 1, 1))
    expect(
        diff_docs(tmp_path, old, new, options), "request-parameter-removed-before-sunset", Level.BREAKING, "GET /items"
    )
    expect(diff_docs(tmp_path, new, old, options), "new-optional-request-parameter", INFO, "GET /items")
