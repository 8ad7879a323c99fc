"""Every documented rate or burst change between consecutive Amazon versions in the corpus is found, and no other.

The expected list is computed here from the files themselves, by a reader written independently of
monitor/engine/limits.py (a regex over the raw description, no shared code), so the test holds whatever the
corpus contains: each model folder's versions in commit order (timestamps from the manifest), consecutive valid
files compared, each operation's documented rate and burst before and after. The engine's diff must report
exactly those changes, with the right direction and figures, and nothing where only the wording moved.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from monitor.engine import diff, load_spec
from monitor.engine.model import operation_key
from tests.conftest import CORPUS, require_corpus

pytestmark = pytest.mark.corpus

LIMIT_RULES = {
    "operation-rate-limit-decreased", "operation-rate-limit-increased", "operation-burst-decreased",
    "operation-burst-increased", "operation-rate-limit-removed", "operation-rate-limit-added",
}  # fmt: skip
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
FIGURE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")


def reference_limit(description: str) -> tuple[float | None, int | None] | None:
    """(rate, burst) of the usage-plan table, read by the simplest means: the row after the header's separator."""
    text = description.replace("\\n", "\n")
    match = re.search(r"^\|[^\n]*Rate \(requests per second\)[^\n]*\n\|[ -|]*\n((?:\|[^\n]*\n?)+)", text, re.M)
    if match is None:
        return None
    header = text[match.start() : text.index("\n", match.start())]
    columns = [c.strip() for c in header.strip().strip("|").split("|")]
    rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in match.group(1).strip().split("\n")]
    if columns[0] == "Plan type":
        rows = [r for r in rows if r[0] == "Default"] or rows
        rows = [r[1:] for r in rows]
    rate_text, burst_text = rows[0][0], rows[0][1]
    rate = float(rate_text) if FIGURE.match(rate_text) else None
    burst = int(float(burst_text)) if FIGURE.match(burst_text) else None
    return None if rate is None and burst is None else (rate, burst)


def _limits(path: Path) -> dict[str, tuple[float | None, int | None] | None] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None  # the two versions published as invalid JSON are not versions anyone could load
    found: dict[str, tuple[float | None, int | None] | None] = {}
    for p, item in (doc.get("paths") or {}).items():
        for method, op in item.items():
            if method in METHODS and isinstance(op, dict):
                found[operation_key(method, p)] = reference_limit(op.get("description") or "")
    return found


@cache
def timelines() -> dict[str, list[str]]:
    """Per model folder, its JSON versions in commit order (the manifest gives each file's commit time)."""
    manifest = json.loads((CORPUS / "amazon" / "manifest.json").read_text(encoding="utf-8"))
    when: dict[str, str] = {}
    for pair in manifest["pairs"]:
        if pair["old_file"]:
            when[pair["old_file"]] = pair["old_commit_date"]
        if pair["new_file"] and pair["new_file"].endswith(".json"):
            when[pair["new_file"]] = pair["commit_date"]
    folders: dict[str, list[str]] = defaultdict(list)
    for file in when:
        folders[file.split("/", 1)[0]].append(file)
    from datetime import datetime

    return {k: sorted(v, key=lambda f: datetime.fromisoformat(when[f])) for k, v in sorted(folders.items())}


def expected_changes(old: dict[str, Any], new: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(rule, operation key, old figure, new figure) for every documented figure that differs."""
    out = set()
    for key in old.keys() & new.keys():  # an operation added or removed is its own finding, not a limit change
        a, b = old[key], new[key]
        if a is None and b is not None:
            out.add(("operation-rate-limit-added", key, "", ""))
        elif a is not None and b is None:
            out.add(("operation-rate-limit-removed", key, "", ""))
        elif a is not None and b is not None:
            if a[0] is not None and b[0] is not None and a[0] != b[0]:
                rule = "operation-rate-limit-decreased" if b[0] < a[0] else "operation-rate-limit-increased"
                out.add((rule, key, f"{a[0]:g}", f"{b[0]:g}"))
            if a[1] is not None and b[1] is not None and a[1] != b[1]:
                rule = "operation-burst-decreased" if b[1] < a[1] else "operation-burst-increased"
                out.add((rule, key, str(a[1]), str(b[1])))
    return out


def consecutive_pairs() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        return []
    pairs = []
    for files in timelines().values():
        valid = [f for f in files if _limits(CORPUS / "amazon" / f) is not None]
        pairs += list(itertools.pairwise(valid))
    return pairs


def _found(old: str, new: str) -> set[tuple[str, str, str, str]]:
    result = diff(load_spec(CORPUS / "amazon" / old), load_spec(CORPUS / "amazon" / new))
    out = set()
    for change in result.changes:
        if change.id not in LIMIT_RULES:
            continue
        figures = ("", "")
        if "old" in change.args and "new" in change.args:
            figures = (f"{float(change.args['old']):g}", f"{float(change.args['new']):g}")
        for label in change.operations:
            method, path = label.split(" ", 1)
            out.add((change.id, operation_key(method, path), *figures))
    return out


def test_every_documented_limit_change_in_the_amazon_history_is_found_and_nothing_else() -> None:
    require_corpus()
    pairs = consecutive_pairs()
    assert len(pairs) >= 186  # every manifest pair's files are in a timeline
    expected_total = 0
    missing: list[Any] = []
    extra: list[Any] = []
    with_changes = 0
    for old, new in pairs:
        old_limits, new_limits = _limits(CORPUS / "amazon" / old), _limits(CORPUS / "amazon" / new)
        assert old_limits is not None and new_limits is not None
        expected = expected_changes(old_limits, new_limits)
        if not expected and old_limits == new_limits and _same_descriptions(old, new):
            continue  # nothing in any description moved: the engine's raw-equality shortcut covers these
        found = _found(old, new)
        missing += [(new, e) for e in expected - found]
        extra += [(new, f) for f in found - expected]
        expected_total += len(expected)
        with_changes += bool(expected)
    assert not missing, f"documented limit changes not found: {missing[:10]}"
    assert not extra, f"limit findings where no figure changed: {extra[:10]}"
    assert with_changes >= 12 and expected_total >= 100  # the history has dozens of limit changes, not a handful


@cache
def _descriptions(file: str) -> dict[str, str]:
    doc = json.loads((CORPUS / "amazon" / file).read_text(encoding="utf-8"))
    return {f"{m} {p}": op.get("description") or "" for p, item in (doc.get("paths") or {}).items()
            for m, op in item.items() if m in METHODS and isinstance(op, dict)}  # fmt: skip


def _same_descriptions(old: str, new: str) -> bool:
    return _descriptions(old) == _descriptions(new)


def test_orders_v0_15d2d98d_cuts_get_orders_from_1_to_0_0167_per_second() -> None:
    require_corpus()
    found = _found("ordersV0/7c7d355d_2021-04-15.json", "ordersV0/15d2d98d_2022-05-18.json")
    assert ("operation-rate-limit-decreased", "GET /orders/v0/orders", "1", "0.0167") in found


def test_product_pricing_v0_fd8ba3ae_cuts_get_pricing_from_10_to_0_5_per_second() -> None:
    require_corpus()
    files = timelines()["productPricingV0"]
    new = next(f for f in files if "fd8ba3ae" in f)
    old = files[files.index(new) - 1]
    result = diff(load_spec(CORPUS / "amazon" / old), load_spec(CORPUS / "amazon" / new))
    cut = [
        c
        for c in result.changes
        if c.id == "operation-rate-limit-decreased" and "GET /products/pricing/v0/price" in c.operations
    ]
    assert cut and cut[0].args["old"] == "10" and cut[0].args["new"] == "0.5"
    assert "864,000 -> 43,200 calls a day" in cut[0].message


def test_a_description_reworded_around_an_unchanged_table_is_not_a_limit_change() -> None:
    """Real pairs whose descriptions changed but whose figures did not: none may report a limit finding."""
    require_corpus()
    quiet = []
    for old, new in consecutive_pairs():
        if _same_descriptions(old, new):
            continue
        if expected_changes(_limits(CORPUS / "amazon" / old) or {}, _limits(CORPUS / "amazon" / new) or {}):
            continue
        quiet.append((old, new))
        if len(quiet) == 5:
            break
    assert quiet, "the corpus has pairs with reworded descriptions and unchanged limits"
    for old, new in quiet:
        assert _found(old, new) == set(), (old, new)
