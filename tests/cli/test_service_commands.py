"""The service commands run for real (subprocesses) against a local spec host, on SQLite and PostgreSQL.

`monitor check`, `monitor run` (once, stopped by SIGTERM, killed and restarted), `monitor db upgrade`,
`monitor contracts status|pin|accept`, and the listings `changes`, `announcements`, `runs` in JSON and text.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from monitor.store.models import Change, ContractEvent, JobRun, SpecSnapshot
from monitor.store.session import session_scope
from tests.cli.inprocess import run_monitor
from tests.conftest import require_corpus
from tests.jobs.spec_host import PLATFORM, V1, V2, SpecHost, orders_version, running_spec_host, write_config

A, B, C = (f"{PLATFORM}/{name}" for name in ("orders-a", "orders-b", "orders-c"))


@pytest.fixture
def host() -> Iterator[SpecHost]:
    with running_spec_host() as h:
        yield h


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_CONFIG"}
    return {**env, "MONITOR_DATABASE_URL": database_url, "USER": "alice"}


def monitor(config: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=120, env=_env(database_url), cwd=config.parent)  # fmt: skip


def monitor_here(config: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process: for the long sequences of short commands (a process each cost ~1.5 s)."""
    return run_monitor([*args, "--config", str(config)], env=_env(database_url), cwd=config.parent)


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_check_prints_a_table_and_exits_3_when_a_source_failed(
    db: Engine, database_url: str, host: SpecHost, tmp_path: Path
) -> None:
    specs = {"orders-a": host.serve("/a.json", orders_version(V1)), "orders-b": host.fail("/b.json")}
    config = write_config(tmp_path, "sqlite:///ignored.db", specs)  # MONITOR_DATABASE_URL wins

    failed = monitor(config, database_url, "check")
    assert failed.returncode == 3, failed.stderr
    assert "Traceback" not in failed.stderr
    lines = failed.stdout.splitlines()
    assert any(A in line and "new-version" in line for line in lines)
    assert any(B in line and "error" in line and "HTTP 404" in line for line in lines)
    assert lines[-2].startswith("2 sources polled, 1 failed; ")
    assert lines[-1] == f"verdict: INCOMPLETE: 1 source could not be checked: {B}"

    host.serve("/b.json", orders_version(V1))
    fixed = monitor(config, database_url, "check", "--source", B)
    assert fixed.returncode == 0, fixed.stderr
    assert B in fixed.stdout and A not in fixed.stdout and "new-version" in fixed.stdout

    unknown = monitor(config, database_url, "check", "--source", f"{PLATFORM}/nope")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(f"error: {PLATFORM}/nope: no such source") and unknown.stderr.count("\n") == 1


def test_db_upgrade_and_run_once(database_url: str, host: SpecHost, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if database_url.startswith("sqlite") else database_url
    config = write_config(tmp_path, url, {"orders-a": host.serve("/a.json", orders_version(V1))})
    upgraded = monitor(config, url, "db", "upgrade")
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout
    once = monitor(config, url, "run", "--once", "poll-specs")
    assert once.returncode == 0, once.stderr
    assert A in once.stdout and "new-version" in once.stdout
    assert monitor(config, url, "run", "--once", "poll-feeds").stdout.endswith(
        "verdict: OK: nothing breaks the integrations\n"
    )
    bad = monitor(config, url, "run", "--once", "poll-everything")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown job 'poll-everything'")
    if database_url.startswith("postgresql"):  # the shared test database: leave it as the fixture expects
        return
    runs = as_json(monitor(config, url, "runs", "--format", "json", "--job", "poll-specs"))
    assert [(r["target"], r["status"]) for r in runs] == [(A, "ok")]


def test_contracts_pin_accept_status_and_the_listings(
    db: Engine, database_url: str, host: SpecHost, tmp_path: Path
) -> None:
    # The real eBay deprecation feed rides along, for the announcements listing.
    feed = host.serve("/ebay.rss", require_corpus() / "feeds" / "ebay" / "api-deprecation.rss.partial.xml")
    config = write_config(tmp_path, database_url, {"orders-a": host.serve("/a.json", orders_version(V1))},
                          feeds={"deprecations": feed})  # fmt: skip
    before = monitor_here(config, database_url, "contracts", "pin", A)
    assert before.returncode == 2 and "no version polled yet" in before.stderr
    assert monitor_here(config, database_url, "check").returncode == 0  # the first poll pins V1 as the contract
    host.serve("/a.json", orders_version(V2))
    assert monitor_here(config, database_url, "check").returncode == 0

    (status,) = as_json(monitor_here(config, database_url, "contracts", "status", "--format", "json"))
    assert status["source"] == A and status["pinned_by"] == "monitor (first poll)"
    assert status["contract"]["id"] != status["current"]["id"]
    assert status["drift"] == {"breaking": 1, "warning": 0, "info": 8}
    datetime.fromisoformat(status["pinned_at"])  # ISO, with its zone
    assert status["pinned_at"].endswith("+00:00")

    text = monitor_here(config, database_url, "contracts", "status")
    assert text.returncode == 0 and A in text.stdout

    no_reason = monitor_here(config, database_url, "contracts", "accept", A)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    accepted = monitor_here(
        config, database_url, "contracts", "accept", A, "--reason", "order-sync adapted to v2023-02-08"
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "drift now: 9 gone" in accepted.stdout
    (status,) = as_json(monitor_here(config, database_url, "contracts", "status", "--format", "json"))
    assert status["contract"]["id"] == status["current"]["id"] and status["pinned_by"] == "alice"
    assert status["drift"] == {"breaking": 0, "warning": 0, "info": 0}
    again = monitor_here(config, database_url, "contracts", "accept", A, "--reason", "twice")
    assert again.returncode == 2 and "already the contract" in again.stderr

    # Accept an older stored version explicitly: the drift comes back, then pin the current one again.
    old_id = int(as_json(monitor_here(config, database_url, "changes", "--format", "json", "--against", "previous"))[0]
                 ["old_snapshot_id"])  # fmt: skip
    back = monitor_here(
        config, database_url, "contracts", "accept", A, "--snapshot", str(old_id), "--reason", "rollback"
    )
    assert back.returncode == 0, back.stderr
    (status,) = as_json(monitor_here(config, database_url, "contracts", "status", "--format", "json"))
    assert status["contract"]["id"] == old_id and status["drift"]["breaking"] == 1
    assert monitor_here(config, database_url, "contracts", "pin", A, "--reason", "current").returncode == 0
    unknown = monitor_here(config, database_url, "contracts", "pin", f"{PLATFORM}/nope")
    assert unknown.returncode == 2 and "no such spec source" in unknown.stderr
    with session_scope(db) as session:
        events = session.exec(select(ContractEvent).order_by(col(ContractEvent.id))).all()
        assert [(e.action, e.by) for e in events] == [("pin", "monitor (first poll)"), ("accept", "alice"),
                                                     ("accept", "alice"), ("pin", "alice")]  # fmt: skip
        assert events[1].reason == "order-sync adapted to v2023-02-08"

    upstream = as_json(monitor_here(config, database_url, "changes", "--format", "json", "--against", "previous"))
    assert len(upstream) == 9 and {c["source"] for c in upstream} == {A}
    assert {"id", "level", "operations", "location", "message", "first_seen_at", "last_seen_at"} <= set(upstream[0])
    (breaking,) = as_json(monitor_here(config, database_url, "changes", "--format", "json", "--level", "breaking",
                                  "--against", "previous"))  # fmt: skip
    assert breaking["id"] == "api-path-removed-without-deprecation"
    assert breaking["operations"] == ["POST /orders/v0/orders/{orderId}/shipmentConfirmation"]
    listed = monitor_here(config, database_url, "changes", "--level", "breaking")
    assert listed.returncode == 0 and "api-path-removed-without-deprecation" in listed.stdout

    runs = as_json(monitor_here(config, database_url, "runs", "--format", "json", "--job", "poll-specs"))
    assert [r["counts"]["outcome"] for r in runs] == ["new-version", "new-version"]  # newest first
    assert all(r["target"] == A and r["status"] == "ok" and r["duration_s"] >= 0 for r in runs)
    assert {r["job"] for r in as_json(monitor_here(config, database_url, "runs", "--format", "json"))} == {
        "poll-specs", "poll-feeds"}  # fmt: skip
    entries = as_json(monitor_here(config, database_url, "announcements", "--format", "json"))
    assert entries and {e["source"] for e in entries} == {f"{PLATFORM}/deprecations"}
    assert {"title", "link", "category", "severity", "removal_date", "operations", "first_seen_at"} <= set(entries[0])
    assert all(datetime.fromisoformat(e["first_seen_at"]).tzinfo is not None for e in entries)
    assert monitor_here(config, database_url, "announcements").returncode == 0


def test_run_killed_mid_cycle_and_restarted_loses_and_doubles_nothing(
    db: Engine, database_url: str, host: SpecHost, tmp_path: Path
) -> None:
    specs = {name: host.serve(f"/{name}.json", orders_version(V1)) for name in ("orders-a", "orders-b", "orders-c")}
    host.hang("/orders-c.json")  # orders-c's poll is in flight when the process is killed
    config = write_config(tmp_path, database_url, specs, every="1d")

    service = _start(config, database_url)
    try:
        _wait_for(lambda: _statuses(db) == {A: ["ok"], B: ["ok"], C: ["running"]}, service)
    finally:
        service.kill()  # SIGKILL: no handler, no cleanup
        service.communicate(timeout=10)

    host.serve("/orders-c.json", orders_version(V1))  # the host answers again
    restarted = _start(config, database_url)
    try:
        _wait_for(lambda: _statuses(db).get(C) == ["error", "ok"], restarted)
        restarted.send_signal(signal.SIGTERM)
        _, err = restarted.communicate(timeout=30)
    finally:
        if restarted.poll() is None:
            restarted.kill()
            restarted.communicate(timeout=10)
    assert restarted.returncode == 0, err
    assert "Traceback" not in err and "received SIGTERM" in err

    statuses = _statuses(db)
    # orders-a and orders-b ran in today's slot before the kill: the restart skipped them.
    assert statuses == {A: ["ok"], B: ["ok"], C: ["error", "ok"]}
    with session_scope(db) as session:
        interrupted, rerun = session.exec(select(JobRun).where(JobRun.target == C).order_by(col(JobRun.id))).all()
        assert interrupted.error is not None and interrupted.error.startswith("interrupted")
        assert interrupted.slot == f"{rerun.slot}~{interrupted.id}"  # the slot given back, its history kept
        for source_id in (A, B, C):
            snapshots = session.exec(select(func.count()).select_from(SpecSnapshot)
                                     .where(SpecSnapshot.source_id == source_id)).one()  # fmt: skip
            assert snapshots == 1
        assert session.exec(select(func.count()).select_from(Change)).one() == 0


def _start(config: Path, database_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], env=_env(database_url),
                            cwd=config.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _statuses(engine: Engine) -> dict[str, list[str]]:
    with session_scope(engine) as session:
        rows = session.exec(select(JobRun).order_by(col(JobRun.id))).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.target, []).append(row.status)
    return found


def _wait_for(predicate: Callable[[], bool], process: subprocess.Popen[str], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if process.poll() is not None:
            pytest.fail(f"the service exited early ({process.returncode}): {process.communicate()[1][-2000:]}")
        assert time.monotonic() < deadline, "timed out waiting for the service"
        time.sleep(0.1)
