"""Needs in the service: `uses` entries in the config, contracts/<integration>.yaml, `monitor config check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.contracts import usage_for
from monitor.engine.limits import Need
from monitor.errors import ConfigError
from monitor.limits.needs import integration_needs, strictest

SOURCE = "amazon-sp-api/orders-v0"
CONFIG = """
platforms:
  amazon-sp-api:
    specs:
      orders-v0: {url: "https://example.com/ordersV0.json"}
integrations:
  order-sync:
    uses: {amazon-sp-api/orders-v0: [getOrder, {operation: getOrders, rate: 0.5/s, burst: 10}]}
  reports:
    uses:
      amazon-sp-api/orders-v0:
        - {operation: getOrders, per_day: 86400, fields: [OrderStatus]}
        - operation: GET /orders/v0/orders/{orderId}/orderItems
          per_hour: 7200
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(text + f"\ncontracts_dir: {tmp_path / 'contracts'}\n")
    return path


def test_uses_entries_keep_plain_refs_for_every_reader_and_their_needs_beside(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, CONFIG), environ={})
    assert settings.integrations["order-sync"].uses[SOURCE] == ["getOrder", "getOrders"]
    assert integration_needs(settings, "order-sync")[SOURCE] == {"getOrders": Need(0.5, 10, "0.5/s, burst 10")}
    reports = integration_needs(settings, "reports")[SOURCE]
    assert reports["getOrders"].rate == 1.0 and reports["GET /orders/v0/orders/{}/orderItems"].rate == 2.0


def test_the_diff_against_the_contract_uses_the_strictest_need_of_all_integrations(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, CONFIG), environ={})
    usage = usage_for(settings, SOURCE)
    assert usage is not None
    assert usage.needs["getOrders"] == Need(1.0, 10, "0.5/s, burst 10; 86400/day")
    assert usage.fields["getOrders"] == frozenset({"OrderStatus"})
    assert strictest(None, Need(1, None, "1/s")) == Need(1, None, "1/s")


def test_a_usage_file_in_contracts_declares_needs_too(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "order-sync.yaml").write_text("- {operation: getOrderItems, per_minute: 30}\n")
    settings = load_settings(write(tmp_path, CONFIG), environ={})
    needs = integration_needs(settings, "order-sync")[SOURCE]
    assert needs["getOrderItems"].rate == 0.5 and needs["getOrders"].rate == 0.5


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{operation: getOrders, rate: fast}",
            r"uses.amazon-sp-api/orders-v0\[0\]: `rate: fast` is not a positive rate",
        ),
        ("{operation: getOrders, burst: -1}", r"`burst: -1` is not a positive whole number"),
        ("{rate: 1/s}", r"needs `operation: <operationId or METHOD /path>`"),
        ("{operation: getOrders, rps: 2}", r"unknown key\(s\) rps"),
        ("{operation: getOrders, fields: OrderStatus}", r"`fields` must be a list"),
    ],
)
def test_bad_entries_are_refused_with_the_key_and_the_reason(tmp_path: Path, entry: str, message: str) -> None:
    text = f"integrations:\n  order-sync:\n    uses: {{amazon-sp-api/orders-v0: [{entry}]}}\n"
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), environ={})


def test_config_check_validates_entries_and_exits_2_on_a_bad_one(tmp_path: Path) -> None:
    good = subprocess.run([sys.executable, "-m", "monitor", "config", "check", str(write(tmp_path, CONFIG))],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "integration order-sync  amazon-sp-api/orders-v0: 2 operations (1 with a rate need)" in good.stdout
    bad_text = CONFIG.replace("rate: 0.5/s", "rate: soon")
    bad = subprocess.run([sys.executable, "-m", "monitor", "config", "check", str(write(tmp_path, bad_text))],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "`rate: soon` is not a positive rate" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_derived_entries_survive_a_round_trip_and_a_hand_written_bad_one_is_refused(tmp_path: Path) -> None:
    from monitor.config import Settings

    settings = load_settings(write(tmp_path, CONFIG), environ={})
    again = Settings.model_validate(settings.model_dump(mode="python"))
    assert integration_needs(again, "order-sync") == integration_needs(settings, "order-sync")
    text = "integrations:\n  x:\n    uses: {a/b: [op]}\n    use_entries: {a/b: {op: {operation: op, rate: soon}}}\n"
    with pytest.raises(ConfigError, match=r"use_entries.a/b.op: `rate: soon` is not a positive rate"):
        load_settings(write(tmp_path, text), environ={})
