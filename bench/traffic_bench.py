"""Learning and observing 10,000 exchanges: time and peak memory of each.

Usage: python bench/traffic_bench.py [--exchanges 10000] [--format jsonl|har]

The exchanges are the real answers of Amazon ordersV0's sandbox cases (../shared/corpus; the latest version),
replayed with 10,000 different order ids over its seven GET operations, written as one capture. Each phase runs in its
own process, so its peak resident memory (ru_maxrss) is its own: learn (two reads of the capture, genson), then
observe (one read, every answer checked against the learned contract).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"


def _cases() -> list[tuple[str, str, int, Any]]:
    """(method, path template, status, answer) of ordersV0's GET static cases."""
    folder = CORPUS / "amazon" / "ordersV0"
    latest = sorted(folder.glob("*_*.json"), key=lambda f: (f.stem.split("_", 1)[1], f))[-1]
    spec = json.loads(latest.read_text())
    found = []
    for path, item in spec["paths"].items():
        op = item.get("get")
        for code, response in (op or {}).get("responses", {}).items():
            for case in (response.get("x-amzn-api-sandbox") or {}).get("static", []):
                if "response" in case:
                    found.append(("GET", path, int(code), case["response"]))
    return found


def write_capture(target: Path, count: int) -> None:
    cases = _cases()
    entries = []
    for i in range(count):
        method, path, status, answer = cases[i % len(cases)]
        order = f"902-{1000000 + i:07d}-{(i * 7919) % 10000000:07d}"
        url = (
            "https://sellingpartnerapi-na.amazon.com"
            + path.replace("{orderId}", order)
            + "?MarketplaceIds=ATVPDKIKX0DER"
        )
        entries.append({
            "startedDateTime": f"2026-12-01T10:{(i // 60) % 60:02d}:{i % 60:02d}Z",
            "request": {"method": method, "url": url, "headers": [{"name": "x-amz-access-token", "value": "Atza|t"}]},
            "response": {"status": status, "headers": [], "content": {"mimeType": "application/json",
                                                                      "text": json.dumps(answer)}},
        })  # fmt: skip
    if target.suffix == ".jsonl":
        target.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in entries))
    else:
        target.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": entries}}))


def phase(name: str, capture: Path, contract: Path) -> dict[str, Any]:
    from monitor.engine import load_spec_bytes
    from monitor.traffic.har import read_captures
    from monitor.traffic.learn import learn
    from monitor.traffic.observe import observe

    started = time.perf_counter()
    if name == "learn":
        learned = learn(lambda: read_captures([capture]), platform="amazon", name="orders")
        contract.write_bytes(orjson.dumps(learned.document))
        result = {
            "exchanges": learned.stats.exchanges,
            "operations": sum(len(v) for v in learned.document["paths"].values()),
        }
    else:
        spec = load_spec_bytes(contract.read_bytes(), str(contract))
        observation = observe(spec, read_captures([capture]))
        result = {"exchanges": observation.exchanges, "findings": observation.result.summary}
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--exchanges", type=int, default=10_000)
    parser.add_argument("--format", choices=("jsonl", "har"), default="jsonl")
    parser.add_argument("--phase", choices=("learn", "observe"), help=argparse.SUPPRESS)
    parser.add_argument("--capture", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--contract", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.capture, args.contract)))
        return
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} not found: the benchmark replays real ordersV0 answers")
    with tempfile.TemporaryDirectory() as folder:
        capture = Path(folder) / f"capture.{args.format}"
        contract = Path(folder) / "learned.json"
        write_capture(capture, args.exchanges)
        print(f"{args.exchanges} exchanges, {capture.stat().st_size / 1e6:.1f} MB as {args.format}")
        baseline = subprocess.run([sys.executable, "-c", "import resource, monitor.traffic.observe, monitor.traffic.learn;"
                                   "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
                                  capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()  # fmt: skip
        print(f"  (a process that only imports them: {float(baseline):.1f} MB)")
        for name in ("learn", "observe"):
            out = subprocess.run([sys.executable, __file__, "--phase", name, "--capture", str(capture), "--contract",
                                  str(contract)], capture_output=True, text=True, check=True)  # fmt: skip
            print(f"{name:8} {out.stdout.strip()}")


if __name__ == "__main__":
    main()
