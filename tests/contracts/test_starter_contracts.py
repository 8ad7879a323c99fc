"""The starter contracts under contracts/<platform>/order-sync.json: learned from the captures, named by the config."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.engine import load_spec
from monitor.engine.model import operation_key
from monitor.traffic.har import exchanges_of_entries, read_captures
from monitor.traffic.learn import learn
from monitor.traffic.observe import observe

ROOT = Path(__file__).resolve().parent.parent.parent
PLATFORMS = {"shopee": None, "lazada": "https://api.lazada.sg/rest", "tiktok-shop": None}  # platform -> --base-url


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_starter_contract_is_what_learning_its_capture_gives_and_says_so(platform: str) -> None:
    committed = json.loads((ROOT / "contracts" / platform / "order-sync.json").read_text(encoding="utf-8"))
    capture = ROOT / "contracts" / "captures" / platform / "order-sync.har"
    learned = learn(lambda: read_captures([capture]), platform=platform, name="order-sync",
                    base_url=PLATFORMS[platform], sources=[capture.name]).document  # fmt: skip
    # The same operations, parameters and answers: only the time stamps of the run differ.
    assert committed["paths"] == learned["paths"]
    assert committed.get("components") == learned.get("components")
    provenance = committed["x-monitor-learned"]
    assert provenance["from"] == ["order-sync.har"] and provenance["exchanges"] == 10
    assert "not from recorded traffic" in provenance["note"] and "examples" in provenance["note"]


def test_every_operation_the_example_integration_uses_is_in_its_starter_contract() -> None:
    settings = load_settings(ROOT / "config" / "monitor.yaml")
    uses = settings.integrations["sea-order-sync"].uses
    for platform in PLATFORMS:
        spec = load_spec(ROOT / "contracts" / platform / "order-sync.json")
        refs = uses[f"{platform}/order-sync"]
        assert refs, platform
        for ref in refs:
            label = ref if isinstance(ref, str) else ref["operation"]
            method, _, path = label.partition(" ")
            assert operation_key(method, path) in spec.operations, f"{platform}: {label}"


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_answers_that_drift_from_the_starter_contract_are_observed_as_breaking(platform: str) -> None:
    spec = load_spec(ROOT / "contracts" / platform / "order-sync.json")
    har = json.loads((ROOT / "contracts" / "captures" / platform / "order-sync.har").read_text(encoding="utf-8"))
    entries = har["log"]["entries"]
    assert not observe(spec, exchanges_of_entries(entries, "as-documented")).breaking

    drifted = copy.deepcopy(entries[0])
    body = json.loads(drifted["response"]["content"]["text"])
    scalars = [k for k, v in body.items() if isinstance(v, str | int) and not isinstance(v, bool)]
    retyped, gone = scalars[0], next(k for k in body if k != scalars[0])
    body[retyped] = 7 if isinstance(body[retyped], str) else "seven"  # a string became a number, or the reverse
    del body[gone]  # present in every documented answer, so required in the learned contract
    drifted["response"]["content"]["text"] = json.dumps(body)
    found = observe(spec, exchanges_of_entries([drifted, *entries[1:]], "drifted"))
    by_rule = {c.id: c.message for c in found.result.changes}
    assert found.breaking, found.result
    assert retyped in by_rule["observed-response-property-type-changed"]
    assert gone in by_rule["observed-response-property-missing"]
