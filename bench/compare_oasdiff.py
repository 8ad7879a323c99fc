"""Our findings beside oasdiff's on the OpenAPI 3 corpus pairs, and the oasdiff-fixtures summary.

Usage (from the project root):
    python bench/compare_oasdiff.py [--oasdiff PATH] [--markdown] [--details] [--json OUT] [--platform NAME ...]

For each OpenAPI 3 pair of the corpus (Etsy, eBay, Walmart, bol.com OpenAPI 3 -> OpenAPI 3, the merged SP-API
perf pair, Stripe) it runs `oasdiff changelog -f json OLD NEW` and our engine in-process, and prints the
breaking/warning/info counts of each side and how many of oasdiff's breaking findings we match (a breaking
change of ours on the same operation; rule ids may differ). `--details` lists, per pair, oasdiff's breaking
findings we do not match and the operations where only we report breaking. The fixtures summary uses the
allow-list of tests/corpus/test_oasdiff_fixtures.py.

oasdiff lives outside the project: `--oasdiff`, else $OASDIFF, else PATH, else ../shared/tools/oasdiff-setup.sh
(which installs it under ~/.cache/oasdiff and prints its path). The corpus is read in place (../shared/corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.engine import DiffResult, SpecError, diff, load_spec  # noqa: E402
from monitor.engine.model import Level, operation_key  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402
from tests.corpus.corpus_pairs import manifest_pairs  # noqa: E402

SETUP = ROOT.parent / "shared" / "tools" / "oasdiff-setup.sh"
OASDIFF_LEVELS = {3: "breaking", 2: "warning", 1: "info"}  # oasdiff's JSON: ERR=3, WARN=2, INFO=1


@dataclass
class Row:
    platform: str
    name: str
    old: Path
    new: Path
    oasdiff: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)
    oasdiff_error: str = ""
    ours_error: str = ""
    matched: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    only_ours: list[str] = field(default_factory=list)  # "rule-id OPERATION" breaking where oasdiff has none
    seconds: tuple[float, float] = (0.0, 0.0)  # oasdiff (process), ours (in-process load + diff)

    @property
    def oasdiff_breaking(self) -> int:
        return self.oasdiff["breaking"]


def find_oasdiff(explicit: str | None) -> str:
    for candidate in (explicit, os.environ.get("OASDIFF"), shutil.which("oasdiff")):
        if candidate:
            return candidate
    if SETUP.is_file():
        out = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]
    raise SystemExit("oasdiff not found: pass --oasdiff, set $OASDIFF, or run ../shared/tools/oasdiff-setup.sh")


def corpus_pairs(platforms: list[str]) -> list[Row]:
    """The OpenAPI 3 -> OpenAPI 3 pairs of the corpus (oasdiff reads Swagger 2.0 only superficially)."""
    rows = []
    if "perf" in platforms:
        rows.append(Row("perf", "spapi-all old->new", CORPUS / "perf/spapi-all.old.oas3.json",
                        CORPUS / "perf/spapi-all.new.oas3.json"))  # fmt: skip
    wanted = tuple(p for p in ("etsy", "bolcom", "ebay", "walmart", "stripe") if p in platforms)
    for pair in manifest_pairs(CORPUS, wanted):
        if pair.old and pair.new and pair.new_format.startswith("openapi 3") and pair.old_format != "swagger 2.0":
            rows.append(Row(pair.platform, pair.id, CORPUS / pair.old, CORPUS / pair.new))
    return rows


def _key(method: str, path: str) -> str:
    return operation_key(method, path)


def run_oasdiff(binary: str, row: Row) -> list[dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.run(
        [binary, "changelog", "-f", "json", str(row.old), str(row.new)], capture_output=True, text=True
    )
    row.seconds = (time.perf_counter() - started, row.seconds[1])
    if proc.returncode != 0:
        row.oasdiff_error = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:120]
        return []
    findings = json.loads(proc.stdout or "[]") or []
    row.oasdiff.update(OASDIFF_LEVELS.get(f.get("level"), "info") for f in findings)
    return findings


def run_ours(row: Row) -> DiffResult | None:
    started = time.perf_counter()
    try:
        result = diff(load_spec(row.old), load_spec(row.new))
    except SpecError as exc:
        row.ours_error = str(exc).replace(str(CORPUS) + "/", "")[:120]
        return None
    finally:
        row.seconds = (row.seconds[0], time.perf_counter() - started)
    row.ours.update(result.summary)
    return result


def compare(row: Row, theirs: list[dict[str, Any]], ours: DiffResult | None) -> None:
    our_breaking_ops: dict[str, list[str]] = {}
    if ours is not None:
        for change in ours.changes:
            if change.level is Level.BREAKING:
                for label in change.operations:
                    method, _, path = label.partition(" ")
                    our_breaking_ops.setdefault(_key(method, path), []).append(change.id)
    their_ops = set()
    for finding in theirs:
        if finding.get("level") != 3:
            continue
        if not finding.get("operation"):
            row.unmatched.append(finding)
            continue
        key = _key(finding["operation"], finding["path"])
        their_ops.add(key)
        if key in our_breaking_ops:
            row.matched += 1
        else:
            row.unmatched.append(finding)
    for key, ids in sorted(our_breaking_ops.items()):
        if key not in their_ops:
            row.only_ours.extend(f"{rule} {key}" for rule in sorted(set(ids)))


def fixture_summary() -> dict[str, Any]:
    from tests.corpus.test_oasdiff_fixtures import ENGINE_GAPS, REFUSED, classify, load_verdicts

    labels = {"matched": "matched (breaking on the same operation)", "allowed": "allow-listed (deliberate difference)",
              "unmatched": "unmatched (engine gaps, strict xfail)", "stale": "stale allow-list entries"}  # fmt: skip
    totals: Counter[str] = Counter()
    for pair in load_verdicts(CORPUS):
        breaking = sum(f["level"] == "breaking" for f in pair["verdicts"])
        totals["pairs"] += 1
        totals["oasdiff breaking findings"] += breaking
        try:
            sorted_ = classify(CORPUS, pair)
        except SpecError:
            totals["pairs the engine fails on (SpecError, engine bug)"] += 1
            totals["breaking findings in those pairs"] += breaking
            continue
        for kind, found in sorted_.items():
            totals[labels[kind]] += len(found)
    totals["pairs in ENGINE_GAPS (xfail)"] = len(ENGINE_GAPS)
    totals["pairs in REFUSED"] = len(REFUSED)
    return dict(totals)


def _counts(c: Counter[str], error: str) -> str:
    return "refused" if error else f"{c['breaking']}/{c['warning']}/{c['info']}"


def print_table(rows: list[Row], markdown: bool) -> None:
    header = ["pair", "oasdiff B/W/I", "ours B/W/I", "oasdiff B matched", "only ours B (ops)", "oasdiff s", "ours s"]
    lines = []
    for r in rows:
        match = "-" if r.ours_error or r.oasdiff_error else f"{r.matched}/{r.oasdiff_breaking}"
        lines.append([f"{r.platform} {r.name.removeprefix(r.platform + '/')}",
                      "error" if r.oasdiff_error else _counts(r.oasdiff, ""), _counts(r.ours, r.ours_error), match,
                      str(len({x.split(' ', 1)[1] for x in r.only_ours})), f"{r.seconds[0]:.2f}", f"{r.seconds[1]:.2f}"])  # fmt: skip
    ok = [r for r in rows if not r.ours_error and not r.oasdiff_error]
    total_o, total_u = Counter(), Counter()
    for r in ok:
        total_o.update(r.oasdiff)
        total_u.update(r.ours)
    lines.append([f"total ({len(ok)} pairs both read)", _counts(total_o, ""), _counts(total_u, ""),
                  f"{sum(r.matched for r in ok)}/{sum(r.oasdiff_breaking for r in ok)}",
                  str(sum(len({x.split(' ', 1)[1] for x in r.only_ours}) for r in ok)),
                  f"{sum(r.seconds[0] for r in rows):.1f}", f"{sum(r.seconds[1] for r in rows):.1f}"])  # fmt: skip
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]
        for line in [header, *lines]:
            print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
    for r in rows:
        if r.ours_error or r.oasdiff_error:
            print(f"  {r.platform} {r.name}: ours: {r.ours_error or 'ok'}; oasdiff: {r.oasdiff_error or 'ok'}")


def print_details(rows: list[Row]) -> None:
    for r in rows:
        if not r.unmatched and not r.only_ours:
            continue
        print(f"\n## {r.platform} {r.name}")
        for rule, n in Counter(f["id"] for f in r.unmatched).most_common():
            example = next(f for f in r.unmatched if f["id"] == rule)
            print(f"  oasdiff only: {n} x {rule}  e.g. {example.get('operation')} {example.get('path')}: "
                  f"{example['text'][:160]}")  # fmt: skip
        for rule, n in Counter(x.split(" ", 1)[0] for x in r.only_ours).most_common():
            example = next(x for x in r.only_ours if x.startswith(rule + " "))
            print(f"  ours only:    {n} x {rule}  e.g. {example.split(' ', 1)[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oasdiff", help="path of the oasdiff binary")
    parser.add_argument("--platform", nargs="*", default=["etsy", "ebay", "walmart", "bolcom", "perf", "stripe"])
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--details", action="store_true", help="list unmatched findings per pair")
    parser.add_argument("--no-fixtures", action="store_true", help="skip the oasdiff-fixtures summary")
    parser.add_argument("--json", type=Path, help="also write every row as JSON here")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is not at {CORPUS}")
    binary = find_oasdiff(args.oasdiff)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# {version}; corpus {CORPUS}")
    rows = corpus_pairs(args.platform)
    for row in rows:
        theirs = run_oasdiff(binary, row)
        compare(row, theirs, run_ours(row))
    print_table(rows, args.markdown)
    if args.details:
        print_details(rows)
    if not args.no_fixtures:
        print("\n# oasdiff-fixtures (tests/corpus/test_oasdiff_fixtures.py)")
        for key, value in fixture_summary().items():
            print(f"  {key}: {value}")
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "old": str(r.old), "new": str(r.new)} for r in rows],
                                        indent=1, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
