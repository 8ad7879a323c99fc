"""HEAD is answered wherever GET is (the dashboard at `/`, health, the API): same status and headers, no body."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Seeded, bearer


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/api/v1/status", "/reports/latest"])
def test_head_answers_as_get_without_a_body(client: httpx.Client, seeded: Seeded, path: str) -> None:
    got = client.get(path, headers=bearer("read"))
    head = client.head(path, headers=bearer("read"))
    assert head.status_code == got.status_code != 405, (path, head.status_code, got.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "content-length" in got.headers and path != "/":  # the dashboard renders the time of the request
        assert head.headers["content-length"] == got.headers["content-length"]


def test_head_keeps_the_access_rules_and_other_methods_stay_refused(client: httpx.Client, seeded: Seeded) -> None:
    assert client.head("/").status_code == client.get("/").status_code == 401  # the dashboard needs a token
    assert client.head("/api/v1/status").status_code == 401
    assert client.request("DELETE", "/healthz").status_code == 405
