"""Configured sandbox suites end to end: guard, Login with Amazon, the contract spec, rate limit, stored results, job.

The sandbox is the replica of a real Amazon model served on loopback; the LWA token endpoint is a local server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from monitor.config import Settings
from monitor.errors import BlockedHostError, InputError, SandboxError
from monitor.jobs.cycle import run_cycle
from monitor.jobs.polls import polls_for
from monitor.jobs.runner import run_job, slot_for
from monitor.jobs.scheduler import build_scheduler
from monitor.sandbox.runner import run_suite
from monitor.sandbox.suite import run_platform_suite
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store import queries
from monitor.store.models import ContractRun, JobRun
from monitor.store.session import session_scope
from tests.sandbox.test_replica import latest
from tests.sandbox.test_runner import PARTICIPATIONS, PARTICIPATIONS_LABEL, replica_of, sellers, serving

pytestmark = pytest.mark.corpus
TOKEN = "Atza|SUITE-CANARY-access-5e1b"
CLIENT_SECRET = "amzn1.oa2-cs.v1.SUITE-CANARY-secret"
REFRESH = "Atzr|SUITE-CANARY-refresh"
CANARIES = (TOKEN, CLIENT_SECRET, REFRESH)


def token_app(status: int = 200) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if status != 200 or form.get("client_secret") != CLIENT_SECRET or form.get("refresh_token") != REFRESH:
            return JSONResponse({"error": "invalid_client", "error_description": f"bad {CLIENT_SECRET}"}, 401)
        return JSONResponse({"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600})

    return Starlette(routes=[Route("/auth/o2/token", token, methods=["POST"])])


@pytest.fixture(scope="module")
def token_url() -> Iterator[str]:
    with serving(token_app()) as base:
        yield f"{base}/auth/o2/token"


def settings_for(tmp_path: Path, database_url: str, base_url: str, token_url: str, **sandbox: Any) -> Settings:
    """A platform `amazon` whose contract for `amazon/sellers` is a committed file, tested through LWA."""
    contracts = tmp_path / "contracts" / "amazon"
    contracts.mkdir(parents=True, exist_ok=True)
    (contracts / "sellers.json").write_text(json.dumps(sellers()))
    auth = {"type": "lwa", "client_id": "amzn1.application-oa2-client.test", "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH, "token_url": token_url}  # fmt: skip
    return Settings.model_validate(
        {
            "database_url": database_url,
            "contracts_dir": str(tmp_path / "contracts"),
            "allow_hosts": ["127.0.0.1"],
            "platforms": {
                "amazon": {
                    "specs": {"sellers": {"url": "http://127.0.0.1:9/sellers.json"}},
                    "sandbox": {"base_url": base_url, "auth": auth, **sandbox},
                }
            },
            "integrations": {"seller-sync": {"uses": {"amazon/sellers": [PARTICIPATIONS]}}},
        }
    )


def stored_text(engine: Engine) -> str:
    """Every row of every table as text: where a leaked secret would be found."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return "\n".join(str(row) for table in meta.sorted_tables for row in conn.execute(table.select()))


def test_suite_tests_the_used_operations_of_the_contract_and_stores_them(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    with serving(replica_of(sellers())) as base_url:
        settings = settings_for(tmp_path, database_url, base_url, token_url)
        seen: list[str] = []
        outcome = run_platform_suite(settings, db, "amazon", on_operation=lambda _src, op: seen.append(op.label))
    assert outcome.status == "passed" and outcome.host_reason == "loopback"
    assert seen == [PARTICIPATIONS_LABEL]  # only what the integration uses, not the whole spec
    with session_scope(db) as session:
        (run,) = queries.list_contract_runs(session=session, suite="amazon")
        (status,) = queries.operation_statuses(session=session, suite="amazon")
    assert (run.status, run.source_id, run.phases, run.counts["operations"]) == (
        "passed",
        "amazon/sellers",
        ["examples"],
        1,
    )
    assert (status.operation, status.operation_id, status.status) == (PARTICIPATIONS_LABEL, PARTICIPATIONS, "passed")
    assert not any(canary in stored_text(db) for canary in CANARIES)


def test_a_planted_violation_is_stored_as_failed_with_the_check_and_a_masked_reproduction(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    planted = sellers()
    static = planted["paths"]["/sellers/v1/marketplaceParticipations"]["get"]["responses"]["200"]["x-amzn-api-sandbox"]
    static["static"][0]["response"]["payload"][0]["marketplace"]["id"] = 42  # a wrong type
    with serving(replica_of(planted)) as base_url:
        settings = settings_for(tmp_path, database_url, base_url, token_url)
        outcome = run_platform_suite(settings, db, "amazon")
    assert outcome.status == "failed"
    with session_scope(db) as session:
        (run,) = queries.list_contract_runs(session=session)
        (row,) = queries.run_results(session=session, run_id=run.id or 0)
        (status,) = queries.operation_statuses(session=session)
    assert run.status == "failed" and row.status == "failed" and status.failing_since is not None
    failure = row.failures[0]
    assert failure["check"] == "response_schema_conformance" and "42" in failure["message"]
    assert "x-amz-access-token: ***" in failure["curl"]
    assert not any(canary in stored_text(db) for canary in CANARIES)


def test_a_server_echoing_the_token_has_it_masked_everywhere_it_is_stored(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    async def broken(request: Request) -> JSONResponse:
        echoed = f"{request.headers.get('x-amz-access-token')} {CLIENT_SECRET} {REFRESH}"
        return JSONResponse({"errors": [{"code": "boom", "message": echoed}]}, 500)

    app = Starlette(routes=[Route("/sellers/v1/marketplaceParticipations", broken)])
    with serving(app) as base_url:
        outcome = run_platform_suite(settings_for(tmp_path, database_url, base_url, token_url), db, "amazon")
    assert outcome.status == "failed"
    with session_scope(db) as session:
        (row,) = queries.run_results(session=session, run_id=outcome.runs[0].run_id)
    assert any(f["check"] == "not_a_server_error" and "***" in f["response_excerpt"] for f in row.failures)
    assert not any(canary in stored_text(db) for canary in CANARIES)


@pytest.mark.parametrize(
    "base_url",
    ["https://sellingpartnerapi-na.amazon.com", "http://sandbox.example.com", "ftp://127.0.0.1/x"],
)
def test_the_production_guard_refuses_before_anything_is_sent_or_stored(
    db: Engine, database_url: str, tmp_path: Path, base_url: str
) -> None:
    settings = settings_for(tmp_path, database_url, base_url, "http://127.0.0.1:9/token")
    with pytest.raises(BlockedHostError, match="sandbox"):
        run_platform_suite(settings, db, "amazon")
    with session_scope(db) as session:
        assert session.exec(select(ContractRun)).all() == []


def test_a_refused_token_is_an_errored_run_with_a_clean_reason(db: Engine, database_url: str, tmp_path: Path) -> None:
    with serving(token_app(status=401)) as token_base, serving(replica_of(sellers())) as base_url:
        settings = settings_for(tmp_path, database_url, base_url, f"{token_base}/auth/o2/token")
        with pytest.raises(SandboxError) as raised:
            run_platform_suite(settings, db, "amazon")
    assert "401" in str(raised.value) and not any(c in str(raised.value) for c in CANARIES)
    with session_scope(db) as session:
        (run,) = queries.list_contract_runs(session=session)
    assert run.status == "error" and run.error and "401" in run.error
    assert not any(canary in stored_text(db) for canary in CANARIES)


def test_unknown_operations_are_bad_input_not_a_run_of_everything(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    settings = settings_for(tmp_path, database_url, "http://127.0.0.1:9", token_url, operations=["noSuchOperation"])
    with pytest.raises(InputError, match=r"none of sandbox\.operations"):
        run_platform_suite(settings, db, "amazon")


def test_safe_methods_only_never_sends_the_others() -> None:
    """What `allow_production` does to a run: only GET, HEAD and OPTIONS reach the host; the rest are skipped."""
    path = latest("ordersV0")
    methods: list[str] = []

    async def record(scope: Any, receive: Any, send: Any) -> None:
        methods.append(scope["method"])
        await JSONResponse({"errors": []}, 404)(scope, receive, send)

    app = Starlette(routes=[Mount("/", app=record)])
    with serving(app) as base_url:
        result = run_suite(path, base_url, allowed_methods={"GET", "HEAD", "OPTIONS"}, time_budget_s=60)
    assert methods and set(methods) == {"GET"}
    skipped = [op for op in result.operations.values() if op.skipped and "safe methods" in op.skipped]
    assert {op.label.split()[0] for op in skipped} == {"POST", "PATCH"}


def test_the_rate_limit_is_honoured() -> None:
    """Amazon's sandbox allows 5 requests per second: no one-second window ever holds more."""
    path = latest("ordersV0")
    stamps: list[float] = []
    replica = replica_of_path(path)

    async def timed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            stamps.append(time.monotonic())
        await replica(scope, receive, send)

    with serving(timed) as base_url:
        result = run_suite(path, base_url, rate_limit="5/s", time_budget_s=120)
    assert not result.failed and len(stamps) >= 12
    busiest = max(sum(1 for t in stamps if start <= t < start + 1.0) for start in stamps)
    assert busiest <= 6, busiest  # 5, plus one request of scheduling jitter at a window's edge
    assert len(stamps) <= 5 * (stamps[-1] - stamps[0]) + 6  # sustained: 5 per second after one second's burst


def replica_of_path(path: Path) -> Any:
    from monitor.engine.loaders import load_spec_bytes
    from monitor.sandbox.replica import build_replica

    return build_replica(load_spec_bytes(path.read_bytes(), path.name))


def test_scheduled_runs_go_through_the_job_mechanism_once_per_slot(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    with serving(replica_of(sellers())) as base_url:
        settings = settings_for(tmp_path, database_url, base_url, token_url, every="1h")
        (poll,) = polls_for(settings, job="contract-tests")
        assert (poll.source_id, poll.kind) == ("amazon", "sandbox")
        now = datetime(2026, 11, 28, 10, 5, tzinfo=UTC)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            scheduler = build_scheduler(settings, db, fetcher, now=now)
            assert "contract-tests:amazon" in {job.id for job in scheduler.get_jobs()}
            claim = {"engine": db, "job": poll.job, "target": poll.source_id, "slot": slot_for(now, poll.every),
                     "fn": partial(poll.run, settings, db, fetcher, poll.source_id, now), "secrets": poll.secrets}  # fmt: skip
            first = run_job(**claim)
            again = run_job(**claim)  # the same slot: one run per sandbox and slot
            (manual,) = run_cycle(settings, db, fetcher, job="contract-tests")  # `monitor check` runs it too
    assert first is not None and first.status == "ok" and first.counts["passed"] == 1
    assert first.counts["status"] == "passed" and again is None and manual.status == "ok"
    with session_scope(db) as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "contract-tests")).all()
        contract_runs = queries.list_contract_runs(session=session)
    assert len(runs) == 2 and {r.status for r in runs} == {"ok"} and len(contract_runs) == 2


def test_on_demand_suites_are_not_scheduled(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, database_url, "http://127.0.0.1:9", "http://127.0.0.1:9/t", every=None)
    assert polls_for(settings, job="contract-tests") == []


def test_fuzzing_is_opt_in_and_recorded_on_the_run(
    db: Engine, database_url: str, tmp_path: Path, token_url: str
) -> None:
    with serving(replica_of(sellers())) as base_url:
        examples = run_platform_suite(settings_for(tmp_path, database_url, base_url, token_url), db, "amazon")
        fuzzed = run_platform_suite(
            settings_for(tmp_path, database_url, base_url, token_url, phases=["examples", "fuzzing"], max_examples=5),
            db,
            "amazon",
        )
    cases = [run.result.operations[PARTICIPATIONS_LABEL].cases for run in (*examples.runs, *fuzzed.runs) if run.result]
    assert cases[1] > cases[0]  # the fuzzing phase generated requests of its own
    with session_scope(db) as session:
        runs = queries.list_contract_runs(session=session)
    assert [r.phases for r in runs] == [["examples", "fuzzing"], ["examples"]]
