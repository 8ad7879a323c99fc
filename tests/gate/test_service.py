"""The gate service: one evaluation shared by concurrent requests, reuse for a moment, every answer recorded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from monitor.gate import UnknownTarget
from monitor.gate.records import list_decisions
from monitor.gate.service import GateService
from monitor.store.session import session_scope
from tests.gate import factories as f


class CountingService(GateService):
    evaluations = 0

    def evaluate(self, integration: str, environment: str) -> dict[str, object]:
        self.evaluations += 1
        return super().evaluate(integration, environment)


def test_concurrent_requests_share_one_evaluation_and_all_are_recorded(db: Engine) -> None:
    f.polled_source(db)
    service = CountingService(f.settings(), db, fresh_for=timedelta(seconds=60))

    async def burst() -> list[dict[str, object]]:
        return await asyncio.gather(*(service.decide("order-sync", "production") for _ in range(20)))

    answers = asyncio.run(burst())
    assert service.evaluations == 1 and {a["decision"] for a in answers} == {"pass"}
    for n, answer in enumerate(answers):
        service.answer(answer, f"v{n}")
    service.recorder.flush()
    with session_scope(db) as session:
        assert len(list_decisions(session=session, limit=100)) == 20
    service.recorder.close()


def test_an_expired_decision_is_answered_while_it_refreshes_and_invalidate_forces_a_new_one(db: Engine) -> None:
    snap = f.polled_source(db)
    service = CountingService(f.settings(), db, fresh_for=timedelta(seconds=1))

    async def scenario() -> list[str]:
        seen = [str((await service.decide("order-sync", "production"))["decision"])]
        f.drift(db, snap)  # the data changes under a cached decision
        await asyncio.sleep(1.2)  # expired, within the grace period: old answer now, refresh in the background
        seen.append(str((await service.decide("order-sync", "production"))["decision"]))
        while service._inflight:  # the background refresh finishing
            await asyncio.sleep(0.01)
        seen.append(str((await service.decide("order-sync", "production"))["decision"]))
        return seen

    assert asyncio.run(scenario()) == ["pass", "pass", "fail"]
    assert service.evaluations == 2
    service.invalidate()
    asyncio.run(service.decide("order-sync", "production"))
    assert service.evaluations == 3


def test_unknown_names_are_refused_before_any_database_work(db: Engine) -> None:
    service = CountingService(f.settings(), db, fresh_for=timedelta(seconds=5))
    with pytest.raises(UnknownTarget):
        asyncio.run(service.decide("nope", "production"))
    assert service.evaluations == 0
