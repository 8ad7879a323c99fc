"""Distributed mode on the real PostgreSQL: worker processes, the periodic tick, a worker killed mid-job."""

from __future__ import annotations

import hashlib
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.config import load_settings
from monitor.distributed.claims import DEAD_RUN_ERROR
from monitor.jobs.runner import slot_for
from monitor.store.models import Alert, Change, JobRun, SpecSnapshot
from tests.distributed.conftest import Processes, spec, wait_for, write_config
from tests.e2e.servers import running_host


def job_runs(engine: Engine) -> list[JobRun]:
    with Session(engine) as session:
        return list(session.exec(select(JobRun).where(~JobRun.slot.startswith("manual-"))).scalars())  # type: ignore[attr-defined]


def gate_answer(port: int) -> dict[str, object]:
    """The gate decision of one API process, without what differs per request (its audit id and time)."""
    reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/gate", params={"integration": "sync", "environment": "production"},
                      headers={"Authorization": "Bearer t0ken"}, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    return {k: v for k, v in reply.json().items() if k not in ("id", "evaluated_at")}


def test_three_workers_and_the_tick_run_every_slot_exactly_once(
    tmp_path: Path, pg: Engine, pg_url: str, processes: Processes
) -> None:
    every = timedelta(seconds=3)
    with running_host() as host:
        specs = {
            f"s{i}": {"url": host.serve(f"/s{i}.json", spec("/orders", f"/items{i}")), "every": "3s"} for i in range(10)
        }
        gate = {"api": {"tokens": [{"name": "ci", "scopes": ["gate"], "sha256": hashlib.sha256(b"t0ken").hexdigest()}]},
                "integrations": {"sync": {"uses": {"shop/s0": ["GET /orders"]}}}}  # fmt: skip
        # Two API + tick processes (each its own port) over one database, as behind a load balancer.
        apis = [write_config(tmp_path, pg_url, specs, name=f"api{i}", **gate) for i in range(2)]
        config = apis[0]
        for api in apis:
            processes.start("run", "--mode", "distributed", "--config", str(api))  # the tick and the API, no jobs
        for name in ("a", "b", "c"):
            processes.start(
                "worker", "--queue", "monitor-jobs", "--concurrency", "2", "--name", name, "--config", str(config)
            )
        first = wait_for(lambda: job_runs(pg), timeout_s=30, what="a first scheduled run", procs=processes)
        first_slot = datetime.fromisoformat(min(r.slot for r in first))
        watched = [first_slot + every * k for k in range(1, 5)]  # four whole slots after the start-up one
        time.sleep(max(0.0, (watched[-1] + every - datetime.now(UTC)).total_seconds()))
        last = [s.isoformat(timespec="seconds") for s in watched]
        wait_for(lambda: sum(r.slot in last and r.status != "running" for r in job_runs(pg)) >= 40, timeout_s=15,
                 what="the runs of the watched slots", procs=processes)  # fmt: skip

        answers = [gate_answer(load_settings(api).api.port) for api in apis]
    assert answers[0] == answers[1], answers  # stateless API processes: one database, one answer
    assert answers[0]["decision"] in ("pass", "warn", "fail", "unknown")

    runs = job_runs(pg)
    by_slot: dict[tuple[str, str], list[JobRun]] = {}
    for run in runs:
        by_slot.setdefault((run.target, run.slot), []).append(run)
    for slot in watched:
        key = slot_for(slot, every)
        for i in range(10):
            got = by_slot.get((f"shop/s{i}", key), [])
            assert [r.status for r in got] == ["ok"], f"shop/s{i} slot {key}: {got}\n{processes.logs()}"
    assert all(r.status in ("ok", "running") for r in runs), [r.error for r in runs if r.error]
    assert not [r for r in runs if "~" in r.slot], "no run was interrupted, so no slot was released"


def test_a_worker_killed_mid_job_is_retried_elsewhere_without_doubling_its_changes(
    tmp_path: Path, pg: Engine, pg_url: str, processes: Processes
) -> None:
    from monitor.jobs.cycle import run_cycle
    from monitor.sources.fetcher import Fetcher, FetchPolicy
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    with running_host() as host:
        url = host.serve("/orders.json", spec("/orders", "/orders/{id}", "/items"))
        config = write_config(tmp_path, pg_url, {"orders": {"url": url, "every": "1h"}})
        settings = load_settings(config)
        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
        upgrade(reference_url)
        reference = make_engine(reference_url)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            for engine in (pg, reference):  # version 1 in both; then version 2 once in the reference
                assert [o.status for o in run_cycle(settings, engine, fetcher)] == ["ok"]
            host.serve("/orders.json", spec("/orders", version="2"))  # two operations removed
            assert [o.status for o in run_cycle(settings, reference, fetcher)] == ["ok"]
        host.serve("/orders.json", spec("/orders", version="2"), mode="slow")  # 1.5 s: time to kill the worker

        victim = processes.start("worker", "--concurrency", "2", "--name", "victim", "--config", str(config))
        running = wait_for(lambda: [r for r in job_runs(pg) if r.status == "running"], timeout_s=30,
                           what="the victim to start the scheduled poll", procs=processes)  # fmt: skip
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        slot = running[0].slot
        assert slot == slot_for(running[0].started_at, timedelta(hours=1))
        processes.start("worker", "--concurrency", "2", "--name", "rescuer", "--config", str(config))
        wait_for(lambda: [r for r in job_runs(pg) if r.slot == slot and r.status == "ok"], timeout_s=40,
                 what="the rescuer to run the slot again", procs=processes)  # fmt: skip

    runs = sorted(job_runs(pg), key=lambda r: r.id or 0)
    assert [(r.slot, r.status, r.error) for r in runs] == [
        (f"{slot}~{running[0].id}", "error", DEAD_RUN_ERROR),
        (slot, "ok", None),
    ]
    assert runs[1].counts.get("upstream_changes"), runs[1].counts

    def changes(engine: Engine) -> list[tuple[str, str, str, int, int]]:
        with Session(engine) as session:
            rows = session.exec(select(Change)).scalars()  # type: ignore[call-overload]
            return sorted((c.against, c.rule_id, c.fingerprint, c.seen_count, c.appearances) for c in rows)

    def alerts(engine: Engine) -> list[tuple[str, str, str]]:
        with Session(engine) as session:
            return sorted((a.kind, a.state, a.title) for a in session.exec(select(Alert)).scalars())  # type: ignore[call-overload]

    expected = changes(reference)
    assert expected, "version 2 removes operations: the reference run records changes"
    assert changes(pg) == expected  # each change once, seen once: the dead attempt left nothing behind
    assert alerts(reference), "changes are alerted through the outbox, in the poll's transaction"
    assert alerts(pg) == alerts(reference)  # so no alert is queued (and so sent) twice either
    with Session(pg) as session:
        assert len(list(session.exec(select(SpecSnapshot)).scalars())) == 2  # type: ignore[call-overload]
    reference.dispose()


def test_a_worker_killed_mid_batch_leaves_its_finished_slots_done_and_the_retry_runs_the_rest_once(
    tmp_path: Path, pg: Engine, pg_url: str, processes: Processes
) -> None:
    import asyncio

    from monitor.distributed.app import TASK_BATCH, build_app
    from monitor.jobs.cycle import run_cycle
    from monitor.sources.fetcher import Fetcher, FetchPolicy
    from monitor.store.migrate import upgrade
    from monitor.store.models import Source
    from monitor.store.session import make_engine

    v1, v2 = spec("/orders", "/orders/{id}", "/items"), spec("/orders", version="2")
    with running_host() as host:
        # One batch of four: a changes (fast), b is unchanged (a 304), c changes slowly (the kill lands there),
        # d changes but is never reached by the first worker.
        urls = {name: host.serve(f"/{name}.json", v1) for name in "abcd"}
        config = write_config(tmp_path, pg_url, {name: {"url": url, "every": "1h"} for name, url in urls.items()})
        settings = load_settings(config)
        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
        upgrade(reference_url)
        reference = make_engine(reference_url)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            for engine in (pg, reference):
                assert [o.status for o in run_cycle(settings, engine, fetcher)] == ["ok"] * 4
            for name in "acd":
                host.serve(f"/{name}.json", v2)
            assert [o.status for o in run_cycle(settings, reference, fetcher)] == ["ok"] * 4
        host.serve("/c.json", v2, mode="slow")  # 1.5 s: time to kill the worker while it polls c

        slot = slot_for(datetime.now(UTC), timedelta(hours=1))
        targets = [f"shop/{name}" for name in "abcd"]

        async def defer_batch() -> None:  # what the tick defers for four due sources of one job, as one batch
            app = build_app(settings)
            async with app.open_async():
                await app.tasks[TASK_BATCH].defer_async(job="poll-specs", runs=[[t, slot] for t in targets])

        asyncio.run(defer_batch())
        requests_before = host.requests
        victim = processes.start("worker", "--concurrency", "1", "--name", "victim", "--config", str(config))
        wait_for(lambda: host.requests >= requests_before + 3, timeout_s=30,
                 what="the victim to reach c, the batch's third source", procs=processes)  # fmt: skip
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        processes.start("worker", "--concurrency", "2", "--name", "rescuer", "--config", str(config))
        wait_for(lambda: [r for r in job_runs(pg) if r.target == "shop/d" and r.status == "ok"], timeout_s=40,
                 what="the rescuer to run the rest of the batch", procs=processes)  # fmt: skip

    runs = sorted(job_runs(pg), key=lambda r: r.id or 0)
    by_target = {t: [(r.slot.split("~")[0], r.status, r.error) for r in runs if r.target == t] for t in targets}
    dead, done = (slot, "error", DEAD_RUN_ERROR), (slot, "ok", None)
    assert by_target == {"shop/a": [done], "shop/b": [dead, done], "shop/c": [dead, done], "shop/d": [dead, done]}, (
        processes.logs()
    )
    assert all(r.slot == f"{slot}~{r.id}" for r in runs if r.status == "error")  # history kept under <slot>~<id>
    outcomes = {r.target: r.counts.get("outcome") for r in runs if r.status == "ok"}
    assert outcomes == {"shop/a": "new-version", "shop/b": "not-modified", "shop/c": "new-version",
                        "shop/d": "new-version"}  # a ran once, before the kill: its end was written at once  # fmt: skip

    def changes(engine: Engine) -> list[tuple[str, str, str, str, int, int]]:
        with Session(engine) as session:
            rows = session.exec(select(Change)).scalars()  # type: ignore[call-overload]
            return sorted((c.source_id, c.against, c.rule_id, c.fingerprint, c.seen_count, c.appearances)
                          for c in rows)  # fmt: skip

    def alerts(engine: Engine) -> list[tuple[str, str, str]]:
        with Session(engine) as session:
            return sorted((a.kind, a.state, a.title) for a in session.exec(select(Alert)).scalars())  # type: ignore[call-overload]

    assert changes(reference) and alerts(reference)
    assert changes(pg) == changes(reference)  # each change of a, c and d once, seen once
    assert alerts(pg) == alerts(reference)  # and each alert queued once
    with Session(pg) as session:
        assert len(list(session.exec(select(SpecSnapshot)).scalars())) == 7  # type: ignore[call-overload]
        b = session.get(Source, "shop/b")
        assert b is not None and (b.polls, b.not_modified) == (2, 1)  # its lost 304 end took its counters along
    reference.dispose()
