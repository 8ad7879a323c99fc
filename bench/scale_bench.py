"""Time scheduled cycles over 10,000 unchanged sources (answered 304) with 1, 2 and 4 `monitor worker` processes.

Usage: python bench/scale_bench.py [--sources 10000] [--workers 1,2,4] [--concurrency 8] [--runs 3]

A spec host in a child process (bench/poll_bench.py's: 200 with an ETag, then 304) serves every source; a fresh
PostgreSQL database at $MONITOR_TEST_PG is migrated (procrastinate's queue included). A seeding cycle (every source
new, 4 workers) stores the first snapshots; then, for each worker count, real `monitor worker` subprocesses are
started and `--runs` ticks, each for a new slot, are run (what the periodic tick does): a cycle is the time from the
tick to the last source's job run recorded. Database cost per cycle comes from pg_stat_database deltas (transactions
committed, per source beside the issue's bar of 3; rows inserted/updated/deleted) and the server processes' CPU
(from /proc); the last line per worker count is the median of its cycles.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import poll_bench  # noqa: E402  (the spec host and the PostgreSQL database helper)

EVERY = timedelta(hours=6)
STATS = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched", "blks_hit")
STATS_FLUSH_S = 10.5
BAR_COMMITS, BAR_RATE = 3, 500  # issue 16: commits per unchanged source, sources/s with 2 workers


def write_config(path: Path, database_url: str, port: int, sources: int) -> None:
    specs = {f"spec-{i:05d}": {"url": f"http://127.0.0.1:{port}/specs/{i}.json", "every": "6h"} for i in range(sources)}
    config = {"database_url": database_url, "allow_hosts": ["127.0.0.1"], "contracts_dir": str(path.parent / "contracts"),
              "platforms": {"bench": {"specs": specs}}, "distributed": {"tick": "0 0 1 1 *"}}  # fmt: skip
    path.write_text(yaml.safe_dump(config, default_flow_style=True, width=1 << 20))


def start_workers(config: Path, count: int, concurrency: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    procs = []
    for i in range(count):
        with (logs / f"worker-{count}-{i}.log").open("wb") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "monitor", "worker", "--queue", "monitor-jobs", "--concurrency", str(concurrency),
                 "--name", f"w{i}", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT, env=env))  # fmt: skip
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def scalar(engine: Any, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def db_stats(engine: Any) -> dict[str, int]:
    from sqlalchemy import text

    # A backend flushes its counters to pg_stat_database at most once a second, and one that went idle within that
    # second only after PGSTAT_IDLE_INTERVAL (10 s, PostgreSQL 15): wait that out, or a cycle's commits are counted
    # in the next one.
    time.sleep(STATS_FLUSH_S)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        row = conn.execute(
            text(f"SELECT {', '.join(STATS)} FROM pg_stat_database WHERE datname = current_database()")
        ).one()
    return dict(zip(STATS, row, strict=True))


def postgres_cpu_s() -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip().startswith("postgres"):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total  # exited backends' CPU is lost: a lower bound when connections churn


def process_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cycle(settings: Any, engine: Any, now: datetime, sources: int) -> tuple[float, float, int]:
    """Run one tick at `now` in this process and wait until every source's run of that slot has ended."""
    from sqlalchemy import text

    from monitor.distributed.app import build_app
    from monitor.distributed.runtime import Runtime
    from monitor.distributed.tasks import tick_once
    from monitor.jobs.runner import slot_for
    from monitor.sources.fetcher import Fetcher, FetchPolicy

    slot = slot_for(now, EVERY)

    async def tick() -> int:
        app = build_app(settings)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            async with app.open_async():
                return await tick_once(Runtime(settings=settings, engine=engine, fetcher=fetcher, app=app), now)

    started = time.perf_counter()
    deferred = asyncio.run(tick())
    tick_s = time.perf_counter() - started
    assert deferred == sources, f"the tick deferred {deferred} runs, not {sources}"
    query = text("SELECT count(*) FROM jobrun WHERE slot = :slot AND status <> 'running'")
    with engine.connect() as conn:  # one connection, polled often: the cycle's end is seen within 50 ms
        while conn.execute(query, {"slot": slot}).scalar() < sources:
            conn.rollback()
            time.sleep(0.05)
    elapsed = time.perf_counter() - started
    errors = scalar(engine, "SELECT count(*) FROM jobrun WHERE slot = :slot AND status <> 'ok'", slot=slot)
    return elapsed, tick_s, errors


def wait_registered(engine: Any, count: int) -> None:
    deadline = time.monotonic() + 120
    while scalar(engine, "SELECT count(*) FROM procrastinate_workers") < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} workers did not register within 120 s")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="cycles per worker count (new slots); the median is shown")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers and drop the database on a kill too

    from monitor.config import load_settings
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    body = min(poll_bench.SELLERS.glob("*.json"), key=lambda p: p.stat().st_size)
    ports: Any = mp.get_context("spawn").Queue()
    host = mp.get_context("spawn").Process(target=poll_bench.serve, args=(ports, str(body)), daemon=True)
    host.start()
    port = ports.get(timeout=30)
    pg = poll_bench.postgres_database()
    if pg is None:
        raise SystemExit("PostgreSQL is needed (distributed mode)")
    url, drop = pg
    print(f"{args.sources} spec sources on 127.0.0.1:{port} (first poll {body.name}, then 304); "
          f"workers of {args.concurrency} threads; {os.cpu_count()} CPUs; "
          f"PostgreSQL {url.rsplit('@', 1)[-1].split('/')[0]}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        config = Path(tmp) / "monitor.yaml"
        write_config(config, url, port, args.sources)
        settings = load_settings(config)
        upgrade(url)
        engine = make_engine(url)
        now = datetime.now(UTC)
        try:
            for label, workers, runs in [("seed (200)", 4, 1), *((f"{n} worker(s)", n, args.runs) for n in counts)]:
                procs = start_workers(config, workers, args.concurrency, Path(tmp))
                measured: list[tuple[float, float, float, float]] = []
                after = None
                try:
                    wait_registered(engine, workers)
                    for _ in range(runs):
                        cpu_workers = sum(process_cpu_s(p.pid) for p in procs)
                        # The previous cycle's closing read was taken once its counters had settled: reuse it.
                        before, cpu_before = after or db_stats(engine), postgres_cpu_s()
                        elapsed, tick_s, errors = cycle(settings, engine, now, args.sources)
                        after, cpu_after = db_stats(engine), postgres_cpu_s()
                        cpu_workers = sum(process_cpu_s(p.pid) for p in procs) - cpu_workers
                        now += EVERY  # the next cycle is the next slot
                        delta = {k: after[k] - before[k] for k in STATS}
                        measured.append((elapsed, delta["xact_commit"] / args.sources, cpu_after - cpu_before,
                                         cpu_workers))  # fmt: skip
                        print(f"{label:<12} cycle {elapsed:6.2f} s | {args.sources / elapsed:5.0f} sources/s"
                              f" | tick {tick_s:4.2f} s | errors {errors} | DB: {delta['xact_commit']} commits"
                              f" ({delta['xact_commit'] / args.sources:.2f}/source), rows ins {delta['tup_inserted']}"
                              f" upd {delta['tup_updated']} del {delta['tup_deleted']},"
                              f" server CPU >= {cpu_after - cpu_before:.2f} s, workers' CPU {cpu_workers:.2f} s",
                              flush=True)  # fmt: skip
                finally:
                    stop_workers(procs)
                if runs > 1:
                    elapsed, per_source, server_cpu, workers_cpu = (statistics.median(m[i] for m in measured)
                                                                    for i in range(4))  # fmt: skip
                    print(f"{label:<12} median of {runs}: cycle {elapsed:.2f} s, {args.sources / elapsed:.0f} sources/s"
                          f" (bar {BAR_RATE} with 2 workers), {per_source:.2f} commits/source (bar {BAR_COMMITS}),"
                          f" server CPU {server_cpu * 1000 / args.sources:.2f} ms/source,"
                          f" workers' CPU {workers_cpu * 1000 / args.sources:.2f} ms/source")  # fmt: skip
        finally:
            engine.dispose()
            drop()
            host.terminate()
            host.join(5)


if __name__ == "__main__":
    main()
