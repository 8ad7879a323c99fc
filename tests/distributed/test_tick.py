"""The tick's bookkeeping on the real PostgreSQL queue: each slot deferred once, one pending job per target."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.config import load_settings
from monitor.distributed.app import TASK_BATCH, build_app
from monitor.distributed.runtime import Runtime
from monitor.distributed.tasks import batches, tick_once
from monitor.distributed.tick import DueRun, due_runs
from monitor.jobs.runner import slot_for
from monitor.sources.fetcher import Fetcher, FetchPolicy
from monitor.store import queries
from monitor.store.session import session_scope
from tests.distributed.conftest import write_config

NOW = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
EVERY = timedelta(hours=6)


def queued(engine: Engine) -> list[tuple[str, str]]:
    """(target, slot) of every waiting run, single or inside a batch job."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT args->>'target', args->>'slot' FROM procrastinate_jobs WHERE status = 'todo' AND args ? 'target' "
            "UNION ALL SELECT r->>0, r->>1 FROM procrastinate_jobs, jsonb_array_elements(args->'runs') r "
            "WHERE status = 'todo'"
        ))  # fmt: skip
        return sorted((t, s) for t, s in rows)


def batch_jobs(engine: Engine) -> list[list[list[str]]]:
    with engine.connect() as conn:
        return sorted(r for (r,) in conn.execute(text(
            "SELECT args->'runs' FROM procrastinate_jobs WHERE task_name = :task"), {"task": TASK_BATCH}))  # fmt: skip


def test_polls_are_deferred_in_batches_of_one_job_kind_spread_when_few() -> None:
    def due(job: str, n: int) -> list[DueRun]:
        return [DueRun(job, f"shop/s{i}", "2026-11-28T06:00:00+00:00") for i in range(n)]

    sizes = [(job, len(part)) for job, part in batches(due("poll-specs", 2000) + due("poll-feeds", 3))]
    assert sizes == [("poll-specs", 50)] * 40 + [("poll-feeds", 1)] * 3
    assert [len(part) for _, part in batches(due("poll-specs", 20))] == [2] * 10  # spread: 10 jobs, not 1
    assert [len(part) for _, part in batches(due("poll-specs", 1020))] == [49] * 20 + [40]  # not 20 x 50 + 20
    assert [d.target for _, part in batches(due("poll-specs", 5)) for d in part] == [f"shop/s{i}" for i in range(5)]


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
                    conn.execute(text("""DELETE FROM procrastinate_jobs WHERE args->'runs' @> '[["shop/s0"]]'"""))
                with session_scope(pg) as session:
                    queries.claim_run(session=session, job="poll-specs", target="shop/s0", slot=slot)
                assert due_runs(engine=pg, polls=polls, now=NOW) == []  # ran, or pending

                # Next slot: s0 is due again; s1 and s2 wait for their pending job (no pile-up, no overlap).
                assert due_runs(engine=pg, polls=polls, now=NOW + EVERY) == [DueRun("poll-specs", "shop/s0", next_slot)]
                assert await tick_once(rt, NOW + EVERY) == 1
                assert queued(pg) == [("shop/s0", next_slot), ("shop/s1", slot), ("shop/s2", slot)]
                assert batch_jobs(pg) == [[["shop/s0", next_slot]], [["shop/s1", slot]], [["shop/s2", slot]]]

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
    assert due_runs(engine=pg, polls=[poll], now=NOW + timedelta(seconds=30)) == []
    (retry,) = due_runs(engine=pg, polls=[poll], now=NOW + timedelta(minutes=1))
    assert retry == DueRun("poll-specs", "shop/s0", retry_slot(at))  # not the 6-hour slot
    with session_scope(pg) as session:
        queries.claim_run(session=session, job="poll-specs", target="shop/s0", slot=retry.slot)
        queries.record_failure(session=session, source_id="shop/s0", now=NOW, error="HTTP 502")
    assert due_runs(engine=pg, polls=[poll], now=NOW + timedelta(minutes=1)) == []  # ran once
    second = store_outcome(engine=pg, source_id="shop/s0", every=EVERY, ok=False, now=NOW + timedelta(minutes=1))
    assert second is not None and timedelta(seconds=95) <= second - NOW - timedelta(minutes=1) <= timedelta(minutes=2)
    assert store_outcome(engine=pg, source_id="shop/s0", every=EVERY, ok=True, now=NOW) is None
    with session_scope(pg) as session:
        assert session.exec(select(Source.next_retry_at)).one() is None
