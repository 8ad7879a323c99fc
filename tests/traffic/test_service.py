"""Traffic in the service: learned contracts pinned like any other, dropped captures observed once each into Change
rows (confirmed, gone, flapping, alerted, gated), usage files kept up to date, and contract-run answers observed."""

from __future__ import annotations

import copy
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.config import Settings
from monitor.engine import load_spec_bytes
from monitor.gate.decision import evaluate
from monitor.jobs import observe_traffic
from monitor.jobs.contracts import contract_status
from monitor.jobs.polls import polls_for
from monitor.jobs.runner import run_job
from monitor.reports.nightly import assemble
from monitor.sandbox.replica import build_replica
from monitor.sandbox.suite import run_platform_suite
from monitor.store import queries
from monitor.store.models import Alert, Change, ContractEvent, ObservedCapture, Source, utcnow
from monitor.store.session import session_scope
from monitor.traffic.service import learn_contract
from monitor.web.view import timeline
from tests.traffic.conftest import entry, write_har

OP = "GET /shop/orders/{orderId}"


def _answers(n: int, *, drop: str | None = None, start: int = 0) -> list[dict[str, Any]]:
    found = []
    for i in range(start, start + n):
        body = {"id": f"A{i}", "status": "Shipped", "total": 10.5}
        if drop:
            body.pop(drop)
        found.append(entry("GET", f"https://api.example/shop/orders/{1000 + i}", 200, body))
    return found


def _settings(tmp_path: Path, database_url: str, **observe: Any) -> Settings:
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    return Settings.model_validate({
        "database_url": database_url, "contracts_dir": str(tmp_path / "contracts"),
        "platforms": {"shop": {"observe": {"orders": {"folder": str(drop), "settle": "0s", **observe}}}},
        "integrations": {"erp": {"uses": {"shop/orders": [OP]}},
                         "auto": {"uses": {"shop/orders": []}}},  # what contracts/auto.yaml lists
    })  # fmt: skip


def _drop(settings: Settings, name: str, entries: list[dict[str, Any]]) -> None:
    folder = settings.platforms["shop"].observe["orders"].folder
    assert folder is not None
    path = write_har(folder / name, entries)
    os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))


def _look(settings: Settings, engine: Engine) -> dict[str, Any]:
    (poll,) = polls_for(settings, job=observe_traffic.JOB)
    run = run_job(engine=engine, job=poll.job, target=poll.source_id, slot=f"manual-{utcnow().timestamp()}",
                  fn=lambda: poll.run(settings, engine, None, poll.source_id, None))  # type: ignore[arg-type]  # fmt: skip
    assert run.is_ok, run.error
    return run.counts


def _rows(engine: Engine) -> list[Change]:
    with session_scope(engine) as session:
        rows = session.exec(select(Change).where(Change.against == "observed")).all()
        session.expunge_all()
        return list(rows)


def test_learned_contract_is_pinned_and_widened_like_any_contract(
    tmp_path: Path, db: Engine, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    first = learn_contract(settings=settings, engine=db, paths=[write_har(tmp_path / "a.har", _answers(3))],
                           platform="shop", name="orders", base_url=None, by="alice", integration="erp")  # fmt: skip
    assert first.created and first.operations == [OP] and first.path == tmp_path / "contracts" / "shop" / "orders.json"
    assert yaml.safe_load((tmp_path / "contracts" / "erp.yaml").read_text())["operations"] == [
        {"operation": OP, "fields": ["id", "status", "total"]}
    ]
    second = learn_contract(settings=settings, engine=db, paths=[write_har(tmp_path / "b.har", [
        entry("POST", "https://api.example/shop/orders", 201, {"id": "B"}), *_answers(1, drop="total")])],
        platform="shop", name="orders", base_url=None, by="bob")  # fmt: skip
    assert not second.created
    assert "POST /shop/orders: new operation" in second.widened
    assert any("property total became optional" in w for w in second.widened)
    with session_scope(db) as session:
        events = queries.contract_events(session=session, source_id="shop/orders")
        assert [(e.action, e.by) for e in events] == [("pin", "alice"), ("accept", "bob")]
        assert session.get(Source, "shop/orders").kind == "traffic"  # type: ignore[union-attr]
        contract = queries.get_contract(session=session, source_id="shop/orders")
        assert contract is not None and contract.snapshot_id == second.snapshot_id
        assert session.exec(select(ContractEvent)).first() is not None


def test_a_published_contract_is_never_replaced_by_learning(tmp_path: Path, db: Engine, database_url: str) -> None:
    settings = _settings(tmp_path, database_url)
    published = tmp_path / "contracts" / "shop" / "orders.yaml"
    published.parent.mkdir(parents=True)
    published.write_text("openapi: 3.0.3\ninfo: {title: shop, version: '1'}\npaths: {}\n")
    from monitor.errors import InputError

    with pytest.raises(InputError, match="published contract"):
        learn_contract(settings=settings, engine=db, paths=[write_har(tmp_path / "a.har", _answers(1))],
                       platform="shop", name="orders", base_url=None, by="alice")  # fmt: skip


def test_dropped_captures_are_observed_once_confirmed_gone_and_flapping(tmp_path: Path, db: Engine,
                                                                        database_url: str) -> None:  # fmt: skip
    settings = _settings(tmp_path, database_url, confirm_after=2, integration="auto")
    learn_contract(settings=settings, engine=db, paths=[write_har(tmp_path / "a.har", _answers(4))], platform="shop",
                   name="orders", base_url=None, by="alice")  # fmt: skip

    _drop(settings, "1.har", _answers(4, drop="status"))
    (settings.platforms["shop"].observe["orders"].folder / "broken.har").write_text("{not json")  # type: ignore[operator]
    counts = _look(settings, db)
    assert (counts["files"], counts["errors"], counts["breaking"]) == (1, 1, 1)
    (row,) = _rows(db)
    assert (row.rule_id, row.status, row.args["count"], row.args["total"]) == (
        "observed-response-property-missing",
        "pending",
        4,
        4,
    )
    assert _look(settings, db) == {"files": 0, "exchanges": 0, "errors": 0, "breaking": 0}  # each file once
    with session_scope(db) as session:
        decision = evaluate(session=session, settings=settings, integration="erp", environment="production")
        assert decision.decision == "pass"  # pending: not confirmed yet

    _drop(settings, "2.har", _answers(2, drop="status", start=10))
    _look(settings, db)
    (row,) = _rows(db)
    assert (row.status, row.args["count"], row.args["total"]) == ("confirmed", 6, 6)
    assert "missing in 6 of 6 answers" in row.message
    with session_scope(db) as session:
        decision = evaluate(session=session, settings=settings, integration="erp", environment="production")
        assert decision.decision == "fail" and "observed in real answers" in decision.reasons[0].message
        # the same for an integration whose operations are only what traffic showed it calling
        decision = evaluate(session=session, settings=settings, integration="auto", environment="production")
        assert decision.decision == "fail", decision.reasons
        titles = [a.title for a in session.exec(select(Alert)).all()]
        assert any(t.startswith("Observed drift:") for t in titles)
    with session_scope(db) as session:  # the nightly report's drift table has it too
        now = utcnow()
        report = assemble(session=session, settings=settings, until=now, since=now - timedelta(days=1), day=now.date())
        assert {"source": "shop/orders (observed in traffic)", "breaking": 1, "warning": 0, "info": 0} in report.drift
        items = timeline(session=session, today=now.date())  # and the dashboard's timeline
        assert any(i.detail.endswith("drift observed in real answers") for i in items)
    (status,) = contract_status(settings=settings, engine=db)  # a spec-less, learned contract is listed too
    assert status.source_id == "shop/orders" and status.contract is not None and status.drift["breaking"] == 1

    _drop(settings, "3.har", _answers(2, start=20))  # the operation answers well again
    _look(settings, db)
    assert _rows(db)[0].status == "gone"
    _drop(settings, "4.har", _answers(1, drop="status", start=30))
    _look(settings, db)
    assert _rows(db)[0].status == "flapping"
    with session_scope(db) as session:
        captures = session.exec(select(ObservedCapture).order_by(ObservedCapture.name)).all()
        assert [(c.name, c.error is not None) for c in captures] == [
            ("1.har", False),
            ("2.har", False),
            ("3.har", False),
            ("4.har", False),
            ("broken.har", True),
        ]
    usage = yaml.safe_load((tmp_path / "contracts" / "auto.yaml").read_text())["operations"]
    assert usage[0]["operation"] == OP and "status" in usage[0]["fields"]


@pytest.mark.corpus
def test_the_answers_of_a_contract_run_are_observed(tmp_path: Path, db: Engine, database_url: str) -> None:
    from tests.sandbox.test_runner import sellers, serving

    contract = sellers()
    drifted = copy.deepcopy(contract)
    case = drifted["paths"]["/sellers/v1/marketplaceParticipations"]["get"]["responses"]["200"]["x-amzn-api-sandbox"]
    case["static"][0]["response"]["payload"][0].pop("participation")
    folder = tmp_path / "contracts" / "amazon"
    folder.mkdir(parents=True)
    (folder / "sellers.json").write_text(json.dumps(contract))
    with serving(build_replica(load_spec_bytes(json.dumps(drifted).encode(), "drifted.json"))) as base:
        settings = Settings.model_validate({
            "database_url": database_url, "contracts_dir": str(tmp_path / "contracts"), "allow_hosts": ["127.0.0.1"],
            "platforms": {"amazon": {
                "specs": {"sellers": {"url": "http://127.0.0.1:9/sellers.json"}},
                "sandbox": {"base_url": base, "is_sandbox": True, "operations": ["getMarketplaceParticipations"],
                            "auth": {"type": "header", "header": "x-amz-access-token", "value": "Atza|RUN-CANARY"}},
                "observe": {"sellers": {"contract_runs": True}}}},
        })  # fmt: skip
        run_platform_suite(settings, db, "amazon")
    rows = _rows(db)
    assert [(r.rule_id, r.args["property"]) for r in rows] == [
        ("observed-response-property-missing", "payload[].participation")
    ]
    with session_scope(db) as session:
        (capture,) = session.exec(select(ObservedCapture)).all()
        assert capture.origin == "contract-run" and capture.exchanges >= 1
    assert "RUN-CANARY" not in repr([r.args for r in rows]) + repr([r.message for r in rows])


def test_a_committed_learned_contract_file_is_adopted_like_a_spec_sources(tmp_path: Path, db: Engine,
                                                                          database_url: str) -> None:  # fmt: skip
    from monitor.jobs.contracts import sync_contract_files

    settings = _settings(tmp_path, database_url)
    learn_contract(settings=settings, engine=db, paths=[write_har(tmp_path / "a.har", _answers(2))], platform="shop",
                   name="orders", base_url=None, by="alice")  # fmt: skip
    assert sync_contract_files(settings=settings, engine=db) == []  # file and store agree
    path = tmp_path / "contracts" / "shop" / "orders.json"
    document = json.loads(path.read_text())
    document["info"]["version"] = "edited by hand"
    path.write_text(json.dumps(document))
    assert sync_contract_files(settings=settings, engine=db) == ["shop/orders"]
    with session_scope(db) as session:
        (event,) = [
            e for e in queries.contract_events(session=session, source_id="shop/orders") if e.by.startswith("file")
        ]
        assert event.action == "pin"
