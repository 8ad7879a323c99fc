"""Every endpoint against every credential (none, bad, read, gate, admin), and what the main ones answer."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from monitor.store.models import utcnow
from tests.api.conftest import TOKENS, Seeded, bearer, serving

RANK = {"read": 0, "gate": 1, "admin": 2}
LATER = (utcnow() + timedelta(days=5)).isoformat()

# (method, path, required scope or None for open, JSON body, status when admitted)
ENDPOINTS = [
    ("GET", "/api/v1/gate?integration=order-sync&environment=production", "gate", None, 200),
    ("GET", "/api/v1/status", "read", None, 200),
    ("GET", "/api/v1/changes", "read", None, 200),
    ("GET", "/api/v1/changes/{change_id}", "read", None, 200),
    ("GET", "/api/v1/announcements", "read", None, 200),
    ("GET", "/api/v1/announcements/{entry_id}", "read", None, 200),
    ("GET", "/api/v1/runs", "read", None, 200),
    ("GET", "/api/v1/runs/{run_id}", "read", None, 200),
    ("GET", "/api/v1/jobs", "read", None, 200),
    ("GET", "/api/v1/contracts", "read", None, 200),
    ("GET", "/api/v1/acks", "read", None, 200),
    ("POST", "/api/v1/acks", "admin", {"kind": "change", "target": "{change_id}", "reason": "r", "author": "a",
                                       "expires_at": LATER}, 201),
    ("DELETE", "/api/v1/acks/{waiver_id}", "admin", None, 200),
    ("GET", "/api/v1/decisions", "read", None, 200),
    ("GET", "/api/v1/deployments", "read", None, 200),
    ("POST", "/api/v1/deployments", "gate", {"integration": "order-sync", "environment": "production",
                                             "version": "1.0", "by": "ci"}, 201),
    ("GET", "/healthz", None, None, 200),
    ("GET", "/readyz", None, None, 200),
    ("GET", "/metrics", None, None, 200),
    ("GET", "/docs", None, None, 200),
    ("GET", "/openapi.json", None, None, 200),
]  # fmt: skip


def _fill(value: object, seeded: Seeded) -> object:
    if isinstance(value, str):
        return value.format(**seeded.__dict__)
    if isinstance(value, dict):
        return {k: _fill(v, seeded) for k, v in value.items()}
    return value


def test_every_endpoint_against_every_scope(client: httpx.Client, seeded: Seeded) -> None:
    # One table, one database set-up: each endpoint with no token, a bad one, and each scope.
    for method, path, scope, body, ok in ENDPOINTS:
        url = str(_fill(path, seeded))
        for presented in (None, "bad", "read", "gate", "admin"):
            response = client.request(method, url, headers=bearer(presented), json=_fill(body, seeded))
            if scope is None:
                expected = ok
            elif presented is None or presented == "bad":
                expected = 401
            else:
                expected = ok if RANK[presented] >= RANK[scope] else 403
            assert response.status_code == expected, (method, path, presented, response.text)
            if expected in (401, 403):
                assert response.json()["error"] in ("unauthorized", "forbidden")
                assert "token" in response.json()["message"]
            if expected == 401:
                assert response.headers["WWW-Authenticate"] == "Bearer"
            for token in TOKENS.values():  # no response ever carries a token
                assert token not in response.text


def test_gate_answers_200_on_fail_and_409_only_when_strict(client: httpx.Client, seeded: Seeded) -> None:
    headers = bearer("gate")
    response = client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production",
                                                  "version": "1.4.0"}, headers=headers)  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["decision"], body["deployable"], body["version"]) == ("fail", False, "1.4.0")
    assert body["reasons"][0]["ref_id"] == str(seeded.change_id) and body["id"] is None
    strict = client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production",
                                                "strict": "true"}, headers=headers)  # fmt: skip
    assert strict.status_code == 409 and strict.json()["decision"] == "fail"
    staging = client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "staging",
                                                 "strict": "true"}, headers=headers)  # fmt: skip
    assert staging.status_code == 200 and staging.json()["deployable"] is True  # report-only never blocks
    decisions = client.get("/api/v1/decisions", headers=bearer("read")).json()
    assert [d["environment"] for d in decisions] == ["staging", "production", "production"]
    assert decisions[1]["reasons"][0]["ref_id"] == str(seeded.change_id)  # the batch writer kept the reasons
    assert decisions[1]["version"] is None and decisions[2]["version"] == "1.4.0"


def test_unknown_integration_is_a_404_json_error(client: httpx.Client, seeded: Seeded) -> None:
    response = client.get("/api/v1/gate", params={"integration": "nope", "environment": "production"},
                          headers=bearer("gate"))  # fmt: skip
    assert response.status_code == 404
    assert response.json()["error"] == "not_found" and "nope" in response.json()["message"]


def test_acks_create_list_revoke_change_the_decision(client: httpx.Client, seeded: Seeded) -> None:
    admin = bearer("admin")
    params = {"integration": "order-sync", "environment": "production"}
    assert client.get("/api/v1/gate", params=params, headers=admin).json()["decision"] == "fail"
    created = client.post("/api/v1/acks", headers=admin, json={
        "kind": "change", "target": str(seeded.change_id), "reason": "fixed in 1.5", "author": "ana",
        "expires_at": LATER, "integration": "order-sync"})  # fmt: skip
    assert created.status_code == 201 and created.json()["active"] is True
    answer = client.get("/api/v1/gate", params=params, headers=admin).json()
    assert answer["decision"] == "pass" and answer["waived"][0]["waiver_id"] == created.json()["id"]
    listed = client.get("/api/v1/acks", headers=admin).json()
    assert created.json()["id"] in [w["id"] for w in listed]
    revoked = client.delete(f"/api/v1/acks/{created.json()['id']}", headers=admin)
    assert revoked.json()["revoked_by"] == "token:admin-token" and revoked.json()["active"] is False
    assert client.get("/api/v1/gate", params=params, headers=admin).json()["decision"] == "fail"


def test_an_ack_without_expiry_or_with_a_past_one_is_refused(client: httpx.Client, seeded: Seeded) -> None:
    admin = bearer("admin")
    base = {"kind": "change", "target": str(seeded.change_id), "reason": "r", "author": "a"}
    assert client.post("/api/v1/acks", headers=admin, json=base).status_code == 422
    past = client.post("/api/v1/acks", headers=admin, json={**base, "expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 409 and "not in the future" in past.json()["message"]
    missing = client.post("/api/v1/acks", headers=admin, json={**base, "target": "99999", "expires_at": LATER})
    assert missing.status_code == 404 and "no change" in missing.json()["message"]
    assert (
        client.post(
            "/api/v1/acks", headers=admin, json={**base, "target": "getOrders", "expires_at": LATER}
        ).status_code
        == 422
    )
    assert client.delete("/api/v1/acks/999999", headers=admin).status_code == 404


def test_deployments_are_recorded_with_the_decision_they_saw(client: httpx.Client, seeded: Seeded) -> None:
    gate = bearer("gate")
    client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production"}, headers=gate)
    made = client.post("/api/v1/deployments", headers=gate, json={"integration": "order-sync",
                       "environment": "production", "version": "2.1", "by": "ci"})  # fmt: skip
    latest = client.get("/api/v1/decisions", headers=gate).json()[0]
    assert made.status_code == 201 and made.json()["decision_id"] == latest["id"]
    unknown = client.post("/api/v1/deployments", headers=gate, json={"integration": "x", "environment": "y",
                          "version": "1", "by": "ci"})  # fmt: skip
    assert unknown.status_code == 404
    assert client.get("/api/v1/deployments", headers=gate).json()[0]["version"] == "2.1"


def test_a_decision_is_reused_for_a_moment_but_every_answer_is_recorded(client: httpx.Client, seeded: Seeded) -> None:
    params = {"integration": "order-sync", "environment": "production"}
    first = client.get("/api/v1/gate", params={**params, "version": "1"}, headers=bearer("gate")).json()
    second = client.get("/api/v1/gate", params={**params, "version": "2"}, headers=bearer("gate")).json()
    assert first["evaluated_at"] == second["evaluated_at"] and second["version"] == "2"
    versions = [d["version"] for d in client.get("/api/v1/decisions", headers=bearer("read")).json()]
    assert versions == ["2", "1"]


def test_metrics_count_decisions_and_expose_store_state(client: httpx.Client, seeded: Seeded) -> None:
    client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production"},
               headers=bearer("gate"))  # fmt: skip
    text = client.get("/metrics").text
    assert 'monitor_gate_decisions_total{decision="fail",environment="production",integration="order-sync"} 1.0' in text
    assert 'monitor_drift_changes{level="breaking",source="shop/orders"} 1.0' in text
    assert "monitor_waivers_active 1.0" in text


def test_status_lists_sources_and_sandboxes(client: httpx.Client, seeded: Seeded) -> None:
    body = client.get("/api/v1/status", headers=bearer("read")).json()
    orders = next(s for s in body["sources"] if s["id"] == "shop/orders")
    assert orders["healthy"] is True and orders["configured"] is True
    assert body["sandboxes"][0] == {**body["sandboxes"][0], "platform": "shop", "last_run_id": seeded.run_id,
                                    "last_status": "passed", "failing_operations": 0}  # fmt: skip


def test_the_database_going_away_gives_503_and_readyz_says_so(settings: object, db: Engine) -> None:
    from monitor.store.session import make_engine

    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    with serving(settings, dead) as server, httpx.Client(base_url=server.url) as client:  # type: ignore[arg-type]
        gate = client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production"},
                          headers=bearer("gate"))  # fmt: skip
        assert gate.status_code == 503 and gate.json()["error"] == "unavailable"
        assert "nobody" not in gate.text
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    dead.dispose()
