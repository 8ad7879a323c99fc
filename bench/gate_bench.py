"""Latency and throughput of GET /api/v1/gate on loopback with 10,000 stored changes (SQLite and PostgreSQL).

Usage: python bench/gate_bench.py [--database sqlite|postgresql|both] [--rate 500] [--duration 10]
                                  [--changes 10000] [--connections 32] [--decision-cache 5s] [--poll-sources 1000]
                                  [--poll-every 2s] [--polls-in-api-process] [--poll-workers 8]

The bar (issue 16): p99 under 10 ms at 500 requests/s, quiet and while the service polls. For each database a
scratch store is migrated and seeded with 20 spec sources (the used ones carry Amazon's real ordersV0 model from
../shared/corpus as contract), 10,000 changes (a quarter of them drift from the contract, levels and statuses mixed,
on the operations of the spec), 300 dated announcements, 30 sandbox contract runs and 20 waivers. The API runs as
`monitor run`'s API process runs it (uvicorn, one process) in a child process; this process drives it open-loop at
a fixed rate over keep-alive connections with a minimal HTTP/1.1 client (so the load generator costs little CPU),
measuring each request from its *scheduled* start (queueing included: no coordinated omission). Every answered
decision is also recorded in the audit trail, as in production. The same open-loop run on `/healthz` gives the
machine's own floor (a loaded shared machine shows its scheduling delays there too), and a closed-loop run finds
the maximum throughput. PostgreSQL runs when reachable at $MONITOR_TEST_PG (the test suite's server); a scratch
database is created and dropped.

Then the gate is measured again while the service polls: `monitor run` itself is started on the same store, with
`--poll-sources` more spec sources on bench/poll_bench.py's spec host (answering 304 once seeded), each polled every
`--poll-every` (2 s: more polls than the service can run on two cores, so its 8 job threads never idle, as poll
cycles back to back; a real schedule is every few hours), beside the 20 seeded sources
(their URLs refuse connections: failed polls, which the gate's answer does not depend on; the sandbox runs on
demand only, so the answer is the quiet run's). So the figure is the
real arrangement: the scheduler's polls in the service process, the status API in the child process it
supervises. The polls finished during the measurement are counted from the store. `--polls-in-api-process`
measures the arrangement before issue 16 instead, for comparison: poll cycles (run_cycle, `--poll-workers`
threads) back to back in a thread of the API's own process.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ORDERS = ROOT.parent / "shared" / "corpus" / "amazon" / "ordersV0"
PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = "mon_bench-token-not-a-secret"
SOURCES = 20
USED = 3  # the integration uses the first three sources
GATE_PATH = "/api/v1/gate?integration=order-sync&environment=production&version=1.0.0"


def config_for(url: str, port: int, decision_cache: str = "5s") -> dict[str, Any]:
    specs = {f"spec-{i:02d}": {"url": f"http://127.0.0.1:1/spec-{i:02d}.json"} for i in range(SOURCES)}
    uses = {f"amazon/spec-{i:02d}": ["getOrders", "getOrder", "getOrderItems", "GET /orders/v0/orders/{orderId}/address"]
            for i in range(USED)}  # fmt: skip
    return {
        "database_url": url,
        "api": {"host": "127.0.0.1", "port": port, "decision_cache": decision_cache,
                "tokens": [{"name": "bench", "scopes": ["gate"], "sha256": hashlib.sha256(TOKEN.encode()).hexdigest()}]},
        "platforms": {"amazon": {"specs": specs, "sandbox": {"base_url": "http://127.0.0.1:1", "is_sandbox": True}}},
        "integrations": {"order-sync": {"uses": uses, "environments": {"production": {}, "staging": {"report_only": True}}}},
    }  # fmt: skip


def seed(url: str, changes: int) -> None:
    """Fill a migrated store with the data described in the module docstring."""
    import orjson
    from sqlalchemy import insert

    from monitor.engine import load_spec_bytes
    from monitor.store import queries
    from monitor.store.models import Change, FeedEntry, Waiver, utcnow
    from monitor.store.session import make_engine, session_scope

    rng = random.Random(7)
    body = sorted(ORDERS.glob("*.json"))[-1].read_bytes()
    spec = load_spec_bytes(body, "ordersV0")
    labels = [op.label for op in spec.operations.values()]
    keys = list(spec.operations)
    now = utcnow()
    engine = make_engine(url)
    snapshots: dict[str, int] = {}
    with session_scope(engine) as session:
        for i in range(SOURCES):
            source_id = f"amazon/spec-{i:02d}"
            queries.ensure_source(session=session, source_id=source_id, platform="amazon", name=f"spec-{i:02d}",
                                  kind="spec", url=f"http://127.0.0.1:1/spec-{i:02d}.json")  # fmt: skip
            session.flush()
            snap = queries.add_snapshot(session=session, source_id=source_id, digest=queries.content_hash(spec.root),
                                        body=body, fmt=spec.format, title=spec.title, version=spec.version, now=now)  # fmt: skip
            snapshots[source_id] = snap.id or 0
            queries.set_contract(session=session, source_id=source_id, snapshot_id=snap.id or 0, by="bench",
                                 reason="", action="pin", now=now)  # fmt: skip
            queries.record_success(session=session, source_id=source_id, now=now, not_modified=True)
    rows = []
    levels = ("breaking", "warning", "info", "info", "warning")
    for n in range(changes):
        source_id = f"amazon/spec-{n % SOURCES:02d}"
        against = "contract" if n % 4 == 0 else "previous"
        # Drift is mostly gone (a live integration does not carry hundreds of breaking changes); what remains on the
        # used sources, with the announcements linked to them, makes the decision a real `fail` with ~20 reasons.
        present = against == "previous" or rng.random() < 0.05
        status = "gone" if not present else ("confirmed" if n % 10 else "flapping")
        rows.append({
            "source_id": source_id, "against": against, "fingerprint": hashlib.sha256(str(n).encode()).hexdigest(),
            "rule_id": "response-property-removed", "level": rng.choice(levels),
            "location": f"/paths/x{n}", "message": f"change {n}", "args": {"n": n},
            "operations": rng.sample(labels, k=rng.randint(1, 3)), "old_snapshot_id": snapshots[source_id],
            "new_snapshot_id": snapshots[source_id], "status": status, "seen_count": 1, "appearances": 1,
            "first_seen_at": now, "last_seen_at": now,
        })  # fmt: skip
    entries = [{
        "source_id": "amazon/spec-00", "entry_key": f"e{n}", "title": f"announcement {n}", "link": None, "summary": "",
        "content_hash": f"{n:064d}", "published_at": now, "category": rng.choice(["deprecation", "removal", "other"]),
        "severity": "low", "removal_date": (now + timedelta(days=rng.randint(-120, 120))).date(), "subject": None,
        "apis": [], "operations": [[f"amazon/spec-{n % USED if n % 30 == 0 else rng.randrange(USED, SOURCES):02d}",
                                    rng.choice(keys)]],
        "first_seen_at": now,
    } for n in range(300)]  # fmt: skip
    with session_scope(engine) as session:
        for start in range(0, len(rows), 1000):
            session.execute(insert(Change), rows[start : start + 1000])
        session.execute(insert(FeedEntry), entries)
        session.execute(insert(Waiver), [{
            "kind": "change", "target": str(n * 4 + 1), "reason": "bench", "author": "bench", "created_at": now,
            "expires_at": now + timedelta(days=30)} for n in range(20)])  # fmt: skip
    for r in range(30):
        with session_scope(engine) as session:
            run = queries.start_contract_run(session=session, suite="amazon", source_id=f"amazon/spec-{r % USED:02d}",
                                             base_url="http://127.0.0.1:1", phases=["examples"], seed=r,
                                             now=now - timedelta(minutes=30 - r))  # fmt: skip
            results = [
                {"operation": label, "status": "passed" if rng.random() > 0.05 else "failed"} for label in labels
            ]
            queries.finish_contract_run(session=session, run=run, status="passed", counts={}, error=None,
                                        results=results, now=now - timedelta(minutes=30 - r))  # fmt: skip
    engine.dispose()
    del orjson


def serve(config: str, poll: list[str] | None = None) -> None:
    """The child process: the API exactly as `monitor run` serves it (ApiServer, on the configured port).

    With `poll` (spec host port, sources, status file), poll cycles over that many unchanged sources run back to
    back in a thread of this same process, as the scheduler's polls share the service's process with the API.
    """
    import threading

    from monitor.api.app import create_app
    from monitor.api.server import ApiServer
    from monitor.config import load_settings
    from monitor.store.session import make_engine

    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    app = create_app(settings, engine)
    ApiServer(app, host=settings.api.host, port=settings.api.port, freeze_heap=True).start()  # as the service does
    if poll:
        threading.Thread(target=_poll_forever, args=(settings.database_url, engine, *poll), daemon=True).start()
    threading.Event().wait()  # until the parent terminates us


def _poll_forever(database_url: str, engine: Any, port: str, sources: str, status: str, workers: str) -> None:
    """Seed `sources` spec sources, then run unchanged cycles until killed; one line per cycle in `status`."""
    sys.path.insert(0, str(ROOT / "bench"))
    import poll_bench

    from monitor.jobs.cycle import run_cycle
    from monitor.sources.fetcher import Fetcher, FetchPolicy

    with tempfile.TemporaryDirectory() as folder:
        settings = poll_bench.settings_for(database_url, int(port), int(sources), Path(folder) / "contracts")
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher, open(status, "a") as out:
            while True:
                started = time.perf_counter()
                outcomes = run_cycle(settings, engine, fetcher, workers=int(workers))
                kinds = ",".join(sorted({str(o.counts.get("outcome", o.status)) for o in outcomes}))
                out.write(f"{time.perf_counter() - started:.3f} {kinds}\n")
                out.flush()


# -- the load generator ------------------------------------------------------------------------------------------


REQUEST = (f"GET {GATE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode()
BASELINE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # the same server's most trivial endpoint


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes = REQUEST) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def open_loop(
    port: int, rate: float, duration: float, connections: int, request: bytes = REQUEST
) -> dict[str, Any]:
    """Requests scheduled at a fixed rate; latency counts from the scheduled start, so queueing is included."""
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (scheduled := await queue.get()) is not None:
            status = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter()
    total = int(rate * duration)
    for i in range(total):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(at)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    return {"latencies": latencies, "statuses": statuses, "elapsed": elapsed}


async def closed_loop(port: int, duration: float, connections: int) -> float:
    """As fast as the server answers, `connections` requests in flight: the maximum throughput."""
    done = 0
    stop_at = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            await _exchange(reader, writer)
            done += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench(name: str, url: str, args: argparse.Namespace) -> None:
    import httpx
    import yaml

    from monitor.store.migrate import upgrade

    upgrade(url)
    started = time.perf_counter()
    seed(url, args.changes)
    print(f"[{name}] seeded {args.changes} changes in {time.perf_counter() - started:.1f}s")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "monitor.yaml"
        config.write_text(yaml.safe_dump(config_for(url, port, args.decision_cache)), encoding="utf-8")
        child = subprocess.Popen([sys.executable, __file__, "serve", str(config)])
        try:
            _wait_for(port)
            print(f"[{name}] the answer: {_answer(port)}")
            # warm-up (caches, pools) and the closed loop are capped by --duration, so a smoke run stays short
            asyncio.run(open_loop(port, rate=100, duration=min(2.0, args.duration), connections=4))
            result = asyncio.run(open_loop(port, args.rate, args.duration, args.connections))
            inside = _server_side(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
            baseline = asyncio.run(open_loop(port, args.rate, args.duration, args.connections, BASELINE))
            max_rps = asyncio.run(closed_loop(port, duration=min(5.0, args.duration), connections=8))
        finally:
            child.terminate()
            child.wait(10)
    lat = [x * 1000 for x in result["latencies"]]
    achieved = len(lat) / result["elapsed"]
    print(
        f"[{name}] {len(lat)} requests at {args.rate:.0f}/s target ({achieved:.0f}/s achieved), statuses "
        f"{result['statuses']}: p50 {statistics.median(lat):.2f} ms, p90 {percentile(lat, 0.90):.2f} ms, "
        f"p99 {percentile(lat, 0.99):.2f} ms, max {max(lat):.2f} ms; closed-loop max {max_rps:.0f} req/s"
    )
    print(f"[{name}] inside the server (route handler, from /metrics): {inside}")
    base = [x * 1000 for x in baseline["latencies"]]
    print(
        f"[{name}] baseline GET /healthz at the same rate on the same server: p50 {statistics.median(base):.2f} ms, "
        f"p90 {percentile(base, 0.90):.2f} ms, p99 {percentile(base, 0.99):.2f} ms, max {max(base):.2f} ms"
    )
    print(f"[{name}] load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.poll_sources and args.polls_in_api_process:
        bench_polls_in_api_process(name, url, args)
    elif args.poll_sources:
        bench_during_polls(name, url, args)


def bench_polls_in_api_process(name: str, url: str, args: argparse.Namespace) -> None:
    """The same open loop while poll cycles of `--poll-sources` unchanged sources run in the API's own process
    (the arrangement before `monitor run` gave the API a process of its own)."""
    import yaml

    host, spec_port = _start_spec_host()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        config, status = Path(folder) / "monitor.yaml", Path(folder) / "cycles.txt"
        config.write_text(yaml.safe_dump(config_for(url, port, args.decision_cache)), encoding="utf-8")
        poll = [str(spec_port), str(args.poll_sources), str(status), str(args.poll_workers)]
        child = subprocess.Popen([sys.executable, __file__, "serve", str(config), *poll])
        try:
            _wait_for(port)
            deadline = time.monotonic() + 600
            while len(_cycles(status)) < 2:  # the seeding cycle (every source new) and one unchanged cycle
                if time.monotonic() > deadline or child.poll() is not None:
                    raise SystemExit("the poll cycles did not start")
                time.sleep(0.5)
            asyncio.run(open_loop(port, rate=100, duration=2, connections=4))
            before = len(_cycles(status))
            result = asyncio.run(open_loop(port, args.rate, args.duration, args.connections))
            cycles = _cycles(status)[before:]
            running = len(_cycles(status)) > before or child.poll() is None
        finally:
            child.terminate()
            child.wait(10)
            host.terminate()
            host.join(5)
    lat = [x * 1000 for x in result["latencies"]]
    spent = ", ".join(f"{wall:.2f} s ({kinds})" for wall, kinds in cycles) or "none finished"
    print(
        f"[{name}] during poll cycles of {args.poll_sources} unchanged sources ({args.poll_workers} threads) in the API's "
        f"own process (before issue 16): {len(lat)} "
        f"requests, statuses {result['statuses']}: p50 {statistics.median(lat):.2f} ms, p90 "
        f"{percentile(lat, 0.90):.2f} ms, p99 {percentile(lat, 0.99):.2f} ms, max {max(lat):.2f} ms; cycles that "
        f"ended meanwhile: {spent}{'' if running else ' (the poller stopped!)'}"
    )
    print(f"[{name}] load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def bench_during_polls(name: str, url: str, args: argparse.Namespace) -> None:
    """The same open loop against `monitor run` on the store, while its scheduler polls `--poll-sources` sources."""
    import yaml

    host, spec_port = _start_spec_host()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        config, log = Path(folder) / "monitor.yaml", Path(folder) / "service.log"
        data = config_for(url, port, args.decision_cache)
        data["platforms"]["bench"] = {"specs": {
            f"poll-{i:04d}": {"url": f"http://127.0.0.1:{spec_port}/specs/{i}.json", "every": args.poll_every}
            for i in range(args.poll_sources)}}  # fmt: skip
        # No scheduled sandbox run: one against the seeded sandbox URL (nothing listens) would add reasons, and a
        # different answer would not measure the same thing as the quiet run.
        data["platforms"]["amazon"]["sandbox"]["every"] = None
        data["allow_hosts"] = ["127.0.0.1"]
        data["contracts_dir"] = str(Path(folder) / "contracts")
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        with log.open("w") as err:
            service = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)],
                                       stdout=subprocess.DEVNULL, stderr=err, cwd=folder)  # fmt: skip
        try:
            _wait_for(port, timeout_s=120)
            deadline = time.monotonic() + 600
            while _polled(url, since=None)[0] < args.poll_sources:  # every bench source seeded (its first 200)
                if time.monotonic() > deadline or service.poll() is not None:
                    raise SystemExit(f"the service did not poll its sources: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            asyncio.run(open_loop(port, rate=100, duration=2, connections=4))
            answer = _answer(port)
            since = time.time()
            result = asyncio.run(open_loop(port, args.rate, args.duration, args.connections))
            polls, outcomes = _polled(url, since=since)
            polls_s = polls / (time.time() - since)
        finally:
            service.send_signal(signal.SIGTERM)
            code = service.wait(60)
            host.terminate()
            host.join(5)
            if code != 0:
                print(f"[{name}] monitor run exited with {code}: {log.read_text()[-2000:]}")
    lat = [x * 1000 for x in result["latencies"]]
    print(
        f"[{name}] during polls of `monitor run` ({args.poll_sources} unchanged sources every {args.poll_every}, its "
        f"API in its own process): {len(lat)} requests, statuses {result['statuses']}: p50 {statistics.median(lat):.2f} "
        f"ms, p90 {percentile(lat, 0.90):.2f} ms, p99 {percentile(lat, 0.99):.2f} ms, max {max(lat):.2f} ms; "
        f"polls finished meanwhile: {polls} ({polls_s:.0f}/s; {outcomes}); the answer: {answer}"
    )
    print(f"[{name}] load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def _start_spec_host() -> tuple[Any, int]:
    """bench/poll_bench.py's spec host (304 once seeded) in a child process: the process and its port."""
    import multiprocessing as mp

    sys.path.insert(0, str(ROOT / "bench"))
    import poll_bench

    body = min(poll_bench.SELLERS.glob("*.json"), key=lambda p: p.stat().st_size)
    ports: Any = mp.get_context("spawn").Queue()
    host = mp.get_context("spawn").Process(target=poll_bench.serve, args=(ports, str(body)), daemon=True)
    host.start()
    return host, int(ports.get(timeout=30))


def _answer(port: int) -> str:
    """The gate's answer in brief, to show that both measurements answer the same decision."""
    import httpx

    first = httpx.get(f"http://127.0.0.1:{port}{GATE_PATH}", headers={"Authorization": f"Bearer {TOKEN}"})
    answer = first.json()
    return (f"{answer['decision']} with {len(answer['reasons'])} reasons ({len(answer['waived'])} waived), "
            f"{len(first.content)} bytes")  # fmt: skip


def _polled(url: str, *, since: float | None) -> tuple[int, str]:
    """Bench sources polled successfully at least once (since=None), or polls of them finished since `since` with
    their outcomes."""
    from datetime import UTC, datetime

    from sqlalchemy import DateTime, bindparam, text

    from monitor.store.session import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if since is None:
                query = "SELECT count(*) FROM source WHERE id LIKE 'bench/%' AND last_success_at IS NOT NULL"
                return int(conn.execute(text(query)).scalar_one()), ""
            query = text(
                "SELECT status, count(*) FROM jobrun WHERE target LIKE 'bench/%' AND finished_at >= :since "
                "GROUP BY status"
            ).bindparams(bindparam("since", type_=DateTime(timezone=True)))
            rows = conn.execute(query, {"since": datetime.fromtimestamp(since, UTC)}).all()
    finally:
        engine.dispose()
    return sum(n for _, n in rows), ", ".join(f"{n} {status}" for status, n in sorted(rows))


def _cycles(status: Path) -> list[tuple[float, str]]:
    """(wall seconds, outcomes) of each poll cycle the child finished, the seeding one first."""
    if not status.exists():
        return []
    lines = [line.split() for line in status.read_text().splitlines() if line.strip()]
    return [(float(w), k) for w, k in lines]


def _server_side(metrics: str) -> str:
    """The share of gate answers the handler produced within 2.5, 10 and 25 ms (its histogram's buckets)."""
    buckets: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("monitor_gate_evaluation_seconds_bucket"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = float(line.rsplit(" ", 1)[1])
    total = buckets.get("+Inf", 0.0) or 1.0
    return ", ".join(
        f"{buckets.get(le, 0) / total:.1%} within {float(le) * 1000:g} ms" for le in ("0.0025", "0.01", "0.025")
    )


def _wait_for(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the API did not start")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3:] or None)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--decision-cache", default="5s", help="api.decision_cache; 0s evaluates on every request")
    parser.add_argument(
        "--poll-sources",
        type=int,
        default=1000,
        help="measure again while `monitor run` polls this many more unchanged sources (0: skip)",
    )
    parser.add_argument(
        "--poll-every",
        default="2s",
        help="their polling interval in that service (2s: more than it can poll here, so back to back)",
    )
    parser.add_argument(
        "--polls-in-api-process",
        action="store_true",
        help="instead, poll cycles back to back in the API's own process (before issue 16)",
    )
    parser.add_argument(
        "--poll-workers", type=int, default=8, help="threads of those poll cycles (run_cycle's; `monitor run` has 8)"
    )
    args = parser.parse_args()
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            bench("sqlite", f"sqlite:///{folder}/bench.db", args)
    if args.database in ("postgresql", "both"):
        from sqlalchemy import text

        from monitor.store.session import make_engine

        name = f"monitor_gate_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            print(f"[postgresql] skipped: {PG_ADMIN_URL} not reachable ({type(exc).__name__})")
            return
        try:
            bench("postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
