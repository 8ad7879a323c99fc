"""The tick's bookkeeping on the real PostgreSQL queue: each slot deferred once, one pending job per target."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.config import load_settings
from monitor.distributed.app import TASK_RUN, build_app
from monitor.distributed.runtime import Runtime
from monitor.distributed.tasks import defer_runs, tick_once
from monitor.distributed.tick import DueRun, due_runs
from monitor.jobs.runner import slot_for
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store import queries
from monitor.store.session import session_scope
from tests.distributed.conftest import write_config

NOW = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
EVERY = timedelta(hours=6)


def queued(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT args->>'target', args->>'slot' FROM procrastinate_jobs WHERE status = 'todo'"))
        return sorted((t, s) for t, s in rows)


def test_each_slot_is_deferred_once_and_a_busy_target_waits(tmp_path: Path, pg: Engine, pg_url: str) -> None:
    specs = {f"s{i}": {"url": f"http://127.0.0.1:9/s{i}.json", "every": "6h"} for i in range(3)}
    settings = load_settings(write_config(tmp_path, pg_url, specs))
    slot, next_slot = slot_for(NOW, EVERY), slot_for(NOW + EVERY, EVERY)

    async def scenario() -> None:
        app = build_app(settings)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            async with app.open_async():
                rt = Runtime(settings=settings, engine=pg, fetcher=fetcher, app=app)
                polls = list(rt.polls.values())
                assert await tick_once(rt, NOW) == 3
                assert queued(pg) == [(f"shop/s{i}", slot) for i in range(3)]
                assert await tick_once(rt, NOW + timedelta(minutes=1)) == 0  # queued already: not deferred again

                # s0's job ran (claimed its slot, left the queue); s1 and s2 still wait.
                with pg.begin() as conn:
                    conn.execute(text("DELETE FROM procrastinate_jobs WHERE args->>'target' = 'shop/s0'"))
                with session_scope(pg) as session:
                    queries.claim_run(session=session, job="poll-specs", target="shop/s0", slot=slot)
                assert due_runs(engine=pg, polls=polls, now=NOW, task_name=TASK_RUN) == []  # ran, or pending

                # Next slot: s0 is due again; s1 and s2 wait for their pending job (no pile-up, no overlap).
                assert due_runs(engine=pg, polls=polls, now=NOW + EVERY, task_name=TASK_RUN) == [
                    DueRun("poll-specs", "shop/s0", next_slot)
                ]
                # And should a second deferral of a queued target slip through, its queueing lock refuses it.
                assert await defer_runs(rt, [DueRun("poll-specs", "shop/s1", next_slot)]) == 0
                assert queued(pg) == [("shop/s1", slot), ("shop/s2", slot)]

    asyncio.run(scenario())


def test_a_failed_poll_is_deferred_again_when_its_retry_time_comes(tmp_path: Path, pg: Engine, pg_url: str) -> None:
    import random

    from sqlmodel import select

    from monitor.jobs.retry import retry_slot, store_outcome
    from monitor.store.models import Source

    settings = load_settings(write_config(tmp_path, pg_url, {"s0": {"url": "http://127.0.0.1:9/s0.json",
                                                                    "every": "6h"}}))  # fmt: skip
    (poll,) = Runtime(settings=settings, engine=pg, fetcher=None, app=None).polls.values()  # type: ignore[arg-type]
    with session_scope(pg) as session:
        queries.ensure_source(session=session, source_id="shop/s0", platform="shop", name="s0", kind="spec",
                              url="http://127.0.0.1:9/s0.json")  # fmt: skip
        queries.claim_run(session=session, job="poll-specs", target="shop/s0", slot=slot_for(NOW, EVERY))
        queries.record_failure(session=session, source_id="shop/s0", now=NOW, error="HTTP 502")
    at = store_outcome(engine=pg, source_id="shop/s0", every=EVERY, ok=False, now=NOW, rng=random.Random(1))
    assert at is not None and timedelta(seconds=48) <= at - NOW <= timedelta(minutes=1)
    assert due_runs(engine=pg, polls=[poll], now=NOW + timedelta(seconds=30), task_name=TASK_RUN) == []
    (retry,) = due_runs(engine=pg, polls=[poll], now=NOW + timedelta(minutes=1), task_name=TASK_RUN)
    assert retry == DueRun("poll-specs", "shop/s0", retry_slot(at))  # not the 6-hour slot
    with session_scope(pg) as session:
        queries.claim_run(session=session, job="poll-specs", target="shop/s0", slot=retry.slot)
        queries.record_failure(session=session, source_id="shop/s0", now=NOW, error="HTTP 502")
    assert due_runs(engine=pg, polls=[poll], now=NOW + timedelta(minutes=1), task_name=TASK_RUN) == []  # ran once
    second = store_outcome(engine=pg, source_id="shop/s0", every=EVERY, ok=False, now=NOW + timedelta(minutes=1))
    assert second is not None and timedelta(seconds=95) <= second - NOW - timedelta(minutes=1) <= timedelta(minutes=2)
    assert store_outcome(engine=pg, source_id="shop/s0", every=EVERY, ok=True, now=NOW) is None
    with session_scope(pg) as session:
        assert session.exec(select(Source.next_retry_at)).one() is None
