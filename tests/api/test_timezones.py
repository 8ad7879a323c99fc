"""Attack: times with an offset (`-08:00`) keep their instant through the API, the CLI and both databases.

SQLite has no time-zone type; before the store converted to UTC, a waiver expiring at 06:49-08:00 was stored as
06:49 and read back as 06:49 UTC, expiring eight hours early (deployments' `at` likewise)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.store.models import Deployment, Waiver, utcnow
from monitor.store.session import session_scope
from tests.api.conftest import Seeded, api_settings_dict, bearer
from tests.api.test_gate_cli import monitor

PACIFIC = timezone(timedelta(hours=-8))
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), f"{text} is not UTC"
    return moment


def _times(value: Any) -> list[str]:
    """Every ISO date-time string anywhere in a JSON document."""
    if isinstance(value, str):
        return [value] if ISO.match(value) else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return []


def test_offsets_keep_their_instant_through_the_api_and_the_store(
    client: httpx.Client, seeded: Seeded, db: Engine
) -> None:
    expires = (utcnow() + timedelta(hours=3)).replace(microsecond=0)  # 8 hours early would be in the past
    deployed = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    body = {"kind": "announcement", "target": str(seeded.entry_id), "reason": "pacific", "author": "ana",
            "expires_at": expires.astimezone(PACIFIC).isoformat()}  # fmt: skip
    assert body["expires_at"].endswith("-08:00")

    made = client.post("/api/v1/acks", json=body, headers=bearer("admin"))
    assert made.status_code == 201, made.text
    assert _instant(made.json()["expires_at"]) == expires
    listed = {w["id"]: w for w in client.get("/api/v1/acks", headers=bearer("read")).json()}
    assert made.json()["id"] in listed, "the waiver must still be in force"
    assert _instant(listed[made.json()["id"]]["expires_at"]) == expires
    assert listed[made.json()["id"]]["active"] is True

    recorded = client.post("/api/v1/deployments", headers=bearer("gate"), json={
        "integration": "order-sync", "environment": "production", "version": "9", "by": "ci",
        "at": deployed.astimezone(PACIFIC).isoformat()})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    assert _instant(recorded.json()["at"]) == deployed
    (listed_deployment,) = client.get("/api/v1/deployments", headers=bearer("read")).json()
    assert _instant(listed_deployment["at"]) == deployed

    with session_scope(db) as session:  # what the tables hold, read back by another session
        waiver = session.exec(select(Waiver).where(Waiver.reason == "pacific")).one()
        deployment = session.exec(select(Deployment).where(Deployment.version == "9")).one()
        assert waiver.expires_at == expires and waiver.expires_at.utcoffset() == timedelta(0)
        assert deployment.at == deployed and deployment.at.utcoffset() == timedelta(0)


def test_every_time_the_api_answers_is_utc(client: httpx.Client, seeded: Seeded) -> None:
    client.post("/api/v1/deployments", headers=bearer("gate"), json={
        "integration": "order-sync", "environment": "production", "version": "1", "by": "ci",
        "at": "2026-01-02T03:04:05+05:30"})  # fmt: skip
    client.get("/api/v1/gate", params={"integration": "order-sync", "environment": "production"},
               headers=bearer("gate"))  # fmt: skip
    found = []
    for path in ("status", "changes", "announcements", "runs", f"runs/{seeded.run_id}", "jobs", "contracts",
                 "acks?include_inactive=true", "decisions", "deployments"):  # fmt: skip
        answer = client.get(f"/api/v1/{path}", headers=bearer("read"))
        assert answer.status_code == 200, (path, answer.text)
        found += [(path, t) for t in _times(answer.json())]
    assert {p for p, _ in found} >= {"status", "changes", "announcements", "acks?include_inactive=true",
                                     "deployments"}  # fmt: skip
    for _path, text in found:
        _instant(text)  # every one carries a zero offset
    assert any(_instant(t) == datetime(2026, 1, 1, 21, 34, 5, tzinfo=UTC) for p, t in found if p == "deployments")


def test_offsets_keep_their_instant_through_the_cli(database_url: str, seeded: Seeded, tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump(api_settings_dict(database_url)), encoding="utf-8")
    expires = (utcnow() + timedelta(hours=3)).replace(microsecond=0)

    made = monitor(
        "ack",
        "create",
        "--announcement",
        str(seeded.entry_id),
        "--reason",
        "pacific cli",
        "--author",
        "ana",
        "--expires",
        expires.astimezone(PACIFIC).isoformat(),
        "--config",
        str(config),
    )
    assert made.returncode == 0, made.stderr
    assert f"until {expires:%Y-%m-%d %H:%M:%S} UTC" in made.stdout

    listed = monitor("ack", "list", "--format", "json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    (waiver,) = [w for w in orjson.loads(listed.stdout) if w["reason"] == "pacific cli"]
    assert _instant(waiver["expires_at"]) == expires and waiver["active"] is True
