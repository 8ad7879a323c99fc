"""Our sandbox runner against schemathesis's own `st run`, on the same spec, the same replica, the same settings.

Usage: python bench/st_overhead.py [--model ordersV0] [--runs 5]

A real Amazon model (read in place from ../shared/corpus) is served by `monitor sandbox serve` in a child process.
Both tools get the same document (its sandbox cases already turned into examples, `with_sandbox_examples`) and the
same engine settings (examples phase only, fill-missing, seed 0, one worker): `st run` through a schemathesis.toml,
ours through `monitor test SPEC --base-url` (which builds that config in code). Each run is a fresh process, timed
from start to exit, with its own peak RSS (wait4); the figure is the median of the runs, and the overhead is ours
against `st run`. The target is within 10%.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "amazon"
BIN = Path(sys.executable).parent

ST_CONFIG = """
color = false
seed = 0
workers = 1

[generation]
max-examples = 20

[phases.examples]
enabled = true
fill-missing = true
extra-data-sources = {{ responses = false }}

[phases.coverage]
enabled = false

[phases.fuzzing]
enabled = false

[phases.stateful]
enabled = false
"""


def latest(model: str) -> Path:
    folder = CORPUS / model
    if not folder.is_dir():
        sys.exit(f"no model {model!r} in {CORPUS} (the corpus lives beside the project as ../shared/corpus)")
    return sorted(folder.glob("*.json"), key=lambda p: p.name.split("_", 1)[-1])[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MB, exit code, stdout) of one fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="ordersV0", help="an Amazon model folder in the corpus")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from monitor.sandbox.runner import load_document, with_sandbox_examples

    source = latest(args.model)
    port = free_port()
    replica = subprocess.Popen([str(BIN / "monitor"), "sandbox", "serve", str(source), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("the replica did not start")
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory(prefix="st-bench-") as tmp:
            work = Path(tmp)
            prepared = work / f"{args.model}.json"
            prepared.write_text(json.dumps(with_sandbox_examples(load_document(source))))
            (work / "schemathesis.toml").write_text(ST_CONFIG.format())
            tools = {
                "st run": [str(BIN / "st"), "--config-file", str(work / "schemathesis.toml"), "run", str(prepared),
                           "--url", url],
                "monitor test": [str(BIN / "monitor"), "test", str(source), "--base-url", url, "--format", "json"],
            }  # fmt: skip
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in tools}
            cases: dict[str, str] = {}
            for _ in range(args.runs):
                for name, cmd in tools.items():  # interleaved, so drift in the machine's load hits both alike
                    seconds, rss, code, out = timed(cmd, work)
                    if code not in (0, 1):
                        sys.exit(f"{name} exited {code}")
                    samples[name].append((seconds, rss))
                    if name == "monitor test":
                        cases[name] = str(sum(op["cases"] for op in json.loads(out)))
        engine_times = in_process(source, url, args.runs)
    finally:
        replica.terminate()
        replica.wait(10)

    print(f"model: {source.relative_to(CORPUS.parent)}  runs: {args.runs}  (each a fresh process, median)")
    print(f"{'tool':<14} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12}")
    medians = {}
    for name, runs in samples.items():
        times = [s for s, _ in runs]
        medians[name] = statistics.median(times)
        print(
            f"{name:<14} {medians[name]:>9.3f} {min(times):>7.3f} {max(times):>7.3f} {max(r for _, r in runs):>12.1f}"
        )
    overhead = (medians["monitor test"] - medians["st run"]) / medians["st run"] * 100
    print(f"cases sent by monitor test: {cases.get('monitor test', '?')}")
    print(f"overhead of monitor test against st run: {overhead:+.1f}% (target: within 10%)")
    bare, ours = (statistics.median(engine_times[k]) for k in ("schemathesis engine", "run_suite"))
    print(
        f"in one process (imports warm): schemathesis engine alone {bare:.3f} s, our run_suite {ours:.3f} s, "
        f"overhead {(ours - bare) / bare * 100:+.1f}%"
    )


def in_process(source: Path, url: str, runs: int) -> dict[str, list[float]]:
    """The adapter's own cost: the bare engine over our config against `run_suite` (folding, masking, examples)."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    from monitor.sandbox.runner import _config_dict, load_document, run_suite, with_sandbox_examples

    document = load_document(source)
    times: dict[str, list[float]] = {"schemathesis engine": [], "run_suite": []}
    for _ in range(runs + 1):  # the first round warms imports and caches and is not counted
        with tempfile.TemporaryDirectory() as private:
            started = time.perf_counter()
            config = SchemathesisConfig.from_dict(_config_dict(url, ["examples"], 20, 0, {}, None, 10.0, private))
            schema = schemathesis.openapi.from_dict(with_sandbox_examples(document), config=config)
            for _event in schemathesis.engine.from_schema(schema).execute():
                pass
            bare = time.perf_counter() - started
        started = time.perf_counter()
        run_suite(document, url)
        ours = time.perf_counter() - started
        if _ > 0:
            times["schemathesis engine"].append(bare)
            times["run_suite"].append(ours)
    return times


if __name__ == "__main__":
    main()
