"""Signed suites stored on SQLite and PostgreSQL: a right key passes; a refused one is stored as an authentication
error on the run and its operations, never as a contract failure; the gate sees an error, not drift; no key stored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.errors import InputError
from monitor.sandbox.suite import run_platform_suite, suite_sources
from monitor.store.models import ContractRun, OperationResult
from monitor.store.session import session_scope
from tests.sandbox.platforms.signed_sandbox import Seen, shopee_app
from tests.sandbox.test_runner import serving
from tests.sandbox.test_suite import stored_text

FIXTURES = Path(__file__).resolve().parent / "platforms"
KEY = "shpk-SUITE-CANARY-91ab"
TOKEN = "shp-access-SUITE-CANARY-22cd"


@pytest.fixture(scope="module")
def shopee() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    with serving(shopee_app("2001887", KEY, "14701711", "unused-refresh", TOKEN, "unused-rotated", seen)) as base:
        yield base, seen


def settings_for(tmp_path: Path, database_url: str, base_url: str, **auth: Any) -> Settings:
    (tmp_path / "contracts" / "shopee").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "shopee-order-sync.yaml", tmp_path / "contracts" / "shopee" / "order-sync.yaml")
    return Settings.model_validate({
        "database_url": database_url,
        "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"shopee": {"sandbox": {"base_url": base_url, "specs": ["order-sync"], "rate_limit": "50/s",
            "auth": {"type": "shopee", "partner_id": "2001887", "shop_id": "14701711", **auth}}}},
    })  # fmt: skip


def test_a_right_key_passes_every_operation(db: Engine, database_url: str, tmp_path: Path,
                                            shopee: tuple[str, Seen]) -> None:  # fmt: skip
    base, _ = shopee
    settings = settings_for(tmp_path, database_url, base, partner_key=KEY, access_token=TOKEN)
    outcome = run_platform_suite(settings, db, "shopee")
    assert outcome.status == "passed" and outcome.host_reason == "loopback"
    assert outcome.counts()["passed"] == 5
    assert KEY not in stored_text(db) and TOKEN not in stored_text(db)


def test_a_refused_key_is_an_authentication_error_not_a_contract_failure(
    db: Engine, database_url: str, tmp_path: Path, shopee: tuple[str, Seen]
) -> None:
    base, seen = shopee
    settings = settings_for(tmp_path, database_url, base, partner_key="not-the-key-CANARY", access_token=TOKEN)
    outcome = run_platform_suite(settings, db, "shopee")
    assert outcome.status == "error"
    assert "error_sign" in seen.refused
    with session_scope(db) as session:
        run = session.exec(select(ContractRun).order_by(ContractRun.id.desc())).first()  # type: ignore[union-attr]
        assert run is not None and run.status == "error"
        assert run.error and "authentication failed: Shopee refused the credentials" in run.error
        rows = session.exec(select(OperationResult).where(OperationResult.run_id == run.id)).all()
        assert rows and {row.status for row in rows} == {"error"}  # never "failed"
    text = stored_text(db)
    assert "not-the-key-CANARY" not in text and TOKEN not in text


def test_a_spec_less_platform_names_its_contract_file_and_nothing_else(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "sqlite://", "http://127.0.0.1:1", partner_key=KEY, access_token=TOKEN)
    assert suite_sources(settings, "shopee") == ["shopee/order-sync"]  # no spec source: the contract file suffices
    (tmp_path / "contracts" / "shopee" / "order-sync.yaml").unlink()
    with pytest.raises(InputError, match="no contract file: order-sync"):
        suite_sources(settings, "shopee")
