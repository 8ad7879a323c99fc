"""The service polls real Amazon versions replayed by a local host: snapshots, changes, drift, flapping, 304s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.errors import FetchError, FetchTimeout, ResponseTooLarge, SpecRejected
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.sources.specs import poll_spec
from monitor.store import queries
from monitor.store.models import Change, Contract, Source, SpecSnapshot
from monitor.store.session import session_scope
from tests.conftest import require_corpus
from tests.e2e.servers import Host

AMAZON = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "amazon"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def version(model: str, prefix: str) -> bytes:
    require_corpus()
    (path,) = (AMAZON / model).glob(f"{prefix}_*.json")
    return path.read_bytes()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), read_timeout_s=0.5, deadline_s=5.0, retries=1,
                         backoff_base_s=0.01, max_bytes=2 * 1024 * 1024)  # fmt: skip
    with Fetcher(policy) as f:
        yield f


def settings_for(tmp_path: Path, url: str, uses: list[str] | None = None, **spec: Any) -> Settings:
    data: dict[str, Any] = {
        "allow_hosts": ["127.0.0.1"],
        "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"amazon-sp-api": {"specs": {"orders-v0": {"url": url, **spec}}}},
    }
    if uses is not None:
        data["integrations"] = {"order-sync": {"uses": {"amazon-sp-api/orders-v0": uses}}}
    return Settings.model_validate(data)


def poll(settings: Settings, engine: Engine, fetcher: Fetcher, at: datetime) -> Any:
    (platform, name, source), *_ = settings.spec_sources()
    return poll_spec(
        settings=settings, engine=engine, fetcher=fetcher, platform=platform, name=name, source=source, now=at
    )


def changes(engine: Engine, against: str) -> list[Change]:
    with session_scope(engine) as session:
        return list(queries.list_changes(session=session, against=against, include_gone=True))


def test_versions_are_snapshotted_once_and_304s_cost_nothing(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))
    settings = settings_for(tmp_path, url)
    first = poll(settings, db, fetcher, T0)
    assert first.outcome == "new-version"
    for i in range(3):
        assert poll(settings, db, fetcher, T0 + timedelta(hours=i + 1)).outcome == "not-modified"
    assert host.not_modified == 3
    host.serve("/ordersV0.json", version("ordersV0", "07110543"))  # approvals operations removed
    second = poll(settings, db, fetcher, T0 + timedelta(hours=5))
    assert second.outcome == "new-version" and second.upstream_changes > 0
    with session_scope(db) as session:
        assert session.exec(select(func.count()).select_from(SpecSnapshot)).one() == 2
        source = session.get(Source, "amazon-sp-api/orders-v0")
        assert source is not None and source.polls == 5 and source.not_modified == 3 and source.last_error is None
        contract = session.get(Contract, "amazon-sp-api/orders-v0")
        assert contract is not None and contract.snapshot_id == first.snapshot_id  # the first poll pinned it
    removed = {c.operations[0] for c in changes(db, "previous") if c.rule_id.startswith("api-path-removed")}
    assert "GET /orders/v0/orders/{orderId}/approvals" in removed
    drift = [c for c in changes(db, "contract") if c.level == "breaking"]
    assert drift and all(c.status == "confirmed" for c in drift)
    assert (tmp_path / "contracts" / "amazon-sp-api" / "orders-v0.json").read_bytes() == version("ordersV0", "cdda8717")


def test_drift_is_restricted_to_the_operations_integrations_use(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))
    settings = settings_for(tmp_path, url, uses=["getOrders"])
    poll(settings, db, fetcher, T0)
    host.serve("/ordersV0.json", version("ordersV0", "07110543"))
    poll(settings, db, fetcher, T0 + timedelta(hours=1))
    drift = changes(db, "contract")
    assert drift, "getOrders lost its ItemApprovalStatus/Types parameters and properties"
    assert all(c.operations == ["GET /orders/v0/orders"] for c in drift)
    assert any(c.rule_id == "request-parameter-removed" for c in drift)
    upstream_ops = {op for c in changes(db, "previous") for op in c.operations}
    assert "GET /orders/v0/orders/{orderId}/approvals" in upstream_ops  # upstream history stays complete


def test_flapping_operation_is_recognised_not_reported_anew(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    # GET /finances/v0/transactions: added 2023-11-08, removed 2023-11-14, added 2025-12-29, removed 2026-01-08
    url = host.serve("/financesV0.json", b"")
    data = {"allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "c"),
            "platforms": {"amazon-sp-api": {"specs": {"finances-v0": {"url": url}}}}}  # fmt: skip
    settings = Settings.model_validate(data)
    for i, commit in enumerate(["4b3b97a8", "5266d378", "b54be3d1", "5a7829c7", "58a7f1f1"]):
        host.serve("/financesV0.json", version("financesV0", commit))
        poll(settings, db, fetcher, T0 + timedelta(days=i))
    rows = [c for c in changes(db, "previous") if "GET /finances/v0/transactions" in c.operations]
    added = [c for c in rows if c.rule_id == "endpoint-added"]
    removed = [c for c in rows if c.rule_id.startswith("api-") and "removed" in c.rule_id]
    assert len(added) == 1 and added[0].appearances == 2 and added[0].status == "flapping"
    assert len(removed) == 1 and removed[0].appearances == 2 and removed[0].status == "flapping"


def test_confirm_after_needs_consecutive_polls(db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path) -> None:
    url = host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))
    settings = settings_for(tmp_path, url, confirm_after=3)
    poll(settings, db, fetcher, T0)
    host.serve("/ordersV0.json", version("ordersV0", "07110543"))
    poll(settings, db, fetcher, T0 + timedelta(hours=1))
    assert {c.status for c in changes(db, "contract")} == {"pending"}
    poll(settings, db, fetcher, T0 + timedelta(hours=2))  # 304: seen a second time
    assert {c.status for c in changes(db, "contract")} == {"pending"}
    poll(settings, db, fetcher, T0 + timedelta(hours=3))
    assert {c.status for c in changes(db, "contract")} == {"confirmed"}
    host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))  # upstream went back: the drift is gone
    poll(settings, db, fetcher, T0 + timedelta(hours=4))
    assert {c.status for c in changes(db, "contract")} == {"gone"}


@pytest.mark.parametrize(
    ("mode", "body", "status", "error"),
    [
        ("normal", b'{"openapi": "3.0.0", "paths": {"/a": }', 200, SpecRejected),  # broken JSON
        ("normal", b"<html>maintenance</html>", 200, SpecRejected),
        ("normal", b"oops", 500, FetchError),
        ("huge", b"", 200, ResponseTooLarge),
        ("slow", b"{}", 200, FetchTimeout),
        ("redirect-loop", b"", 200, FetchError),
    ],
)
def test_hostile_responses_are_recorded_and_lose_nothing(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path, mode: str, body: bytes, status: int, error: type
) -> None:
    url = host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))
    settings = settings_for(tmp_path, url)
    poll(settings, db, fetcher, T0)
    host.serve("/ordersV0.json", body, status=status, mode=mode)
    with pytest.raises(error):
        poll(settings, db, fetcher, T0 + timedelta(hours=1))
    with session_scope(db) as session:
        source = session.get(Source, "amazon-sp-api/orders-v0")
        assert source is not None and source.consecutive_failures == 1 and source.last_error
        assert "\n" not in source.last_error
        assert session.exec(select(func.count()).select_from(SpecSnapshot)).one() == 1
        assert source.content_hash is not None  # the last good version is still current
    host.serve("/ordersV0.json", version("ordersV0", "cdda8717"))
    assert poll(settings, db, fetcher, T0 + timedelta(hours=2)).outcome in ("unchanged", "not-modified")


def test_contract_file_in_the_repository_wins(db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path) -> None:
    pinned = tmp_path / "contracts" / "amazon-sp-api" / "orders-v0.json"
    pinned.parent.mkdir(parents=True)
    pinned.write_bytes(version("ordersV0", "cdda8717"))
    url = host.serve("/ordersV0.json", version("ordersV0", "07110543"))
    poll(settings_for(tmp_path, url), db, fetcher, T0)
    assert any(c.level == "breaking" for c in changes(db, "contract"))


def test_a_newly_committed_contract_file_takes_effect_without_an_upstream_change(
    db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path
) -> None:
    from monitor.jobs.contracts import sync_contract_files

    url = host.serve("/ordersV0.json", version("ordersV0", "07110543"))
    settings = settings_for(tmp_path, url)
    poll(settings, db, fetcher, T0)  # first poll pins the current version: no drift
    assert [c for c in changes(db, "contract") if c.status != "gone"] == []
    pinned = tmp_path / "contracts" / "amazon-sp-api" / "orders-v0.json"
    pinned.write_bytes(version("ordersV0", "cdda8717"))  # the team pins an older version (git pull + deploy)
    assert sync_contract_files(settings=settings, engine=db) == ["amazon-sp-api/orders-v0"]
    assert any(c.level == "breaking" and c.status == "confirmed" for c in changes(db, "contract"))
    assert sync_contract_files(settings=settings, engine=db) == []  # nothing moved the second time


def test_the_running_service_watches_contract_files(db: Engine, host: Host, fetcher: Fetcher, tmp_path: Path) -> None:
    """The scheduler's sync-contracts job: a changed file is adopted, an unchanged one is not even parsed."""
    import os

    from monitor.engine.errors import EngineError
    from monitor.jobs.contracts import ContractFileWatch
    from monitor.jobs.scheduler import build_scheduler

    url = host.serve("/ordersV0.json", version("ordersV0", "07110543"))
    settings = settings_for(tmp_path, url)
    poll(settings, db, fetcher, T0)
    assert "sync-contracts" in {job.id for job in build_scheduler(settings, db, fetcher).get_jobs()}
    watch = ContractFileWatch(settings, db)
    assert watch() == []  # the file the first poll wrote is the contract already
    pinned = tmp_path / "contracts" / "amazon-sp-api" / "orders-v0.json"
    pinned.write_bytes(version("ordersV0", "cdda8717"))
    os.utime(pinned, ns=(1, 1))  # a different modification time even on a coarse clock
    assert watch() == ["amazon-sp-api/orders-v0"]
    assert any(c.level == "breaking" and c.status == "confirmed" for c in changes(db, "contract"))
    pinned.write_text("{ not json")  # a broken file is reported (the scheduler logs one line) and retried
    with pytest.raises(EngineError):
        watch()
    with pytest.raises(EngineError):
        watch()
