"""The starter captures under contracts/captures: valid HAR 1.2, no secrets, answers in the documented shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema_rs  # schemathesis's own validator, already installed
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CAPTURES = ROOT / "contracts" / "captures"
SHAPES = ROOT / "tests" / "sandbox" / "platforms"
PLATFORMS = {"shopee": "", "lazada": "/rest", "tiktok-shop": ""}  # platform -> gateway path prefix
SIGNING = {"sign", "access_token", "x-tts-access-token"}


def entries(platform: str) -> list[dict[str, Any]]:
    har = json.loads((CAPTURES / platform / "order-sync.har").read_text(encoding="utf-8"))
    assert har["log"]["version"] == "1.2" and "documented" in har["log"]["creator"]["name"]
    assert "not recorded traffic" in har["log"]["comment"].lower()
    return har["log"]["entries"]


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in spec["paths"].items():
        parts, given = template.strip("/").split("/"), path.strip("/").split("/")
        if len(parts) == len(given) and all(p.startswith("{") or p == g for p, g in zip(parts, given, strict=True)):
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not an order-sync operation")


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_capture_is_har_with_every_order_sync_operation_twice_and_no_secret(platform: str) -> None:
    spec = yaml.safe_load((SHAPES / f"{platform}-order-sync.yaml").read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    for entry in entries(platform):
        request, response = entry["request"], entry["response"]
        url = urlsplit(request["url"])
        path = url.path.removeprefix(PLATFORMS[platform])
        op = operation(spec, request["method"], path)
        seen[op["operationId"]] = seen.get(op["operationId"], 0) + 1
        for name, value in parse_qsl(url.query):
            assert name not in SIGNING or value == "***", f"{name} is not masked"
        for header in request["headers"]:
            assert header["name"].lower() not in SIGNING or header["value"] == "***"
        assert {q["name"]: q["value"] for q in request["queryString"]} == dict(parse_qsl(url.query))
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema_rs.validate(schema, json.loads(response["content"]["text"]))
    assert set(seen) == {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert all(count == 2 for count in seen.values()), seen  # two samples each: required and enums need evidence
