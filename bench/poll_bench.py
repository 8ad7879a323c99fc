"""Time one poll cycle over 1,000 unchanged spec sources answered 304 (the brief's bar: under 5 s on two cores).

Usage: python bench/poll_bench.py [--sources 1000] [--runs 3] [--workers 8] [--database sqlite|postgresql|both]
                                  [--profile FILE]

A local host in a child process (so its CPU shows up as the machine's, and its memory not in our peak) serves
1,000 distinct spec URLs. The first poll of each URL gets a small real spec (Amazon sellers, read in place from
../shared/corpus) with an ETag; every later conditional request is answered 304. One seeding cycle stores the
snapshots and pins the contracts, then `run_cycle` is timed over the unchanged sources: median of the runs and
the process's peak RSS. PostgreSQL runs when reachable at $MONITOR_TEST_PG (the test suite's server).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import multiprocessing as mp
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SELLERS = ROOT.parent / "shared" / "corpus" / "amazon" / "sellers"
PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def serve(port_queue: Any, body_path: str) -> None:
    """The spec host (child process): 200 with an ETag for a first request, 304 for a matching conditional one."""
    body = Path(body_path).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            # A client closing a kept-alive connection (its process ends) is not an error of the host.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    port_queue.put(server.server_address[1])
    server.serve_forever()


def settings_for(database_url: str, port: int, sources: int, contracts_dir: Path) -> Any:
    from monitor.config import Settings

    specs = {f"spec-{i:04d}": {"url": f"http://127.0.0.1:{port}/specs/{i}.json", "every": "6h"} for i in range(sources)}
    return Settings.model_validate({"database_url": database_url, "allow_hosts": ["127.0.0.1"],
                                    "contracts_dir": str(contracts_dir), "platforms": {"bench": {"specs": specs}}})  # fmt: skip


def bench_database(label: str, database_url: str, port: int, args: argparse.Namespace) -> None:
    from monitor.jobs.cycle import run_cycle
    from monitor.sources.fetcher import Fetcher, FetchPolicy
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    with tempfile.TemporaryDirectory(prefix="poll-bench-") as tmp:
        settings = settings_for(database_url, port, args.sources, Path(tmp) / "contracts")
        upgrade(database_url)
        engine = make_engine(database_url)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",))) as fetcher:
            started = time.perf_counter()
            seeded = run_cycle(settings, engine, fetcher, workers=args.workers)
            seed_s = time.perf_counter() - started
            _expect(seeded, "new-version")
            times, cpu, others = [], [], []
            profiler = cProfile.Profile() if args.profile else None
            for _ in range(args.runs):
                if profiler:
                    profiler.enable()
                started, cpu_started, others_started = time.perf_counter(), time.process_time(), _others_cpu(args)
                outcomes = run_cycle(settings, engine, fetcher, workers=args.workers)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                others.append({k: v - others_started.get(k, 0.0) for k, v in _others_cpu(args).items()})
                if profiler:
                    profiler.disable()
                _expect(outcomes, "not-modified")
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<11} seed {seed_s:6.2f} s | unchanged cycle: median {statistics.median(times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)}) | {args.sources / statistics.median(times):.0f} sources/s "
          f"| our CPU {statistics.median(cpu):.2f} s | peak RSS {peak_mb:.0f} MB")  # fmt: skip
    if others and others[0]:
        spent = {k: statistics.median(o.get(k, 0.0) for o in others) for k in others[0]}
        print(f"{'':<11} CPU during a timed cycle (medians): monitor {statistics.median(cpu):.2f} s, "
              + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()))  # fmt: skip
        # The floor beside our figure: what answering the 304 costs the spec host, per source, in the same run.
        per_source = {"monitor": statistics.median(cpu), **spent}
        print(f"{'':<11} CPU per unchanged source: "
              + ", ".join(f"{k} {v / args.sources * 1000:.2f} ms" for k, v in per_source.items()))  # fmt: skip
    if profiler:
        path = f"{args.profile}.{label.split()[0]}"
        profiler.dump_stats(path)
        pstats.Stats(path).sort_stats("cumulative").print_stats(25)


def _others_cpu(args: argparse.Namespace) -> dict[str, float]:
    """CPU seconds so far of the spec host and the PostgreSQL server processes (Linux /proc; empty elsewhere)."""
    found = {"spec host": 0.0, "postgresql": 0.0}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if comm.startswith("postgres"):
            found["postgresql"] += seconds
        elif int(pid) == args.host_pid:
            found["spec host"] += seconds
    return found


def _expect(outcomes: list[Any], outcome: str) -> None:
    got = Counter(o.status if o.status != "ok" else o.counts.get("outcome") for o in outcomes)
    if got != Counter({outcome: len(outcomes)}):
        errors = [o.error for o in outcomes if o.error][:3]
        raise SystemExit(f"expected every source {outcome}, got {dict(got)}; first errors: {errors}")


def postgres_database() -> tuple[str, Any] | None:
    """A fresh database on the test server, and how to drop it; None when the server is unreachable."""
    from sqlalchemy import text

    from monitor.store.session import make_engine

    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"monitor_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgresql  skipped: {PG_ADMIN_URL.rsplit('@', 1)[-1]} unreachable ({type(exc).__name__})")
        admin.dispose()
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--profile", help="write cProfile stats of the timed cycles to FILE.<database>")
    args = parser.parse_args()

    body = min(SELLERS.glob("*.json"), key=lambda p: p.stat().st_size)
    ports: Any = mp.get_context("spawn").Queue()
    host = mp.get_context("spawn").Process(target=serve, args=(ports, str(body)), daemon=True)
    host.start()
    args.host_pid = host.pid
    port = ports.get(timeout=30)
    print(f"{args.sources} spec sources on 127.0.0.1:{port}, first poll {body.name} ({body.stat().st_size} bytes), "
          f"then 304; {args.workers} workers; {os.cpu_count()} CPUs")  # fmt: skip
    try:
        if args.database in ("sqlite", "both"):
            with tempfile.TemporaryDirectory(prefix="poll-bench-db-") as tmp:
                bench_database("sqlite", f"sqlite:///{tmp}/monitor.db", port, args)
        if args.database in ("postgresql", "both"):
            pg = postgres_database()
            if pg is not None:
                url, drop = pg
                try:
                    bench_database("postgresql", url, port, args)
                finally:
                    drop()
    finally:
        host.terminate()
        host.join(5)


if __name__ == "__main__":
    main()
