"""`monitor config check` lists where each contract's traffic is observed from, in text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.traffic.conftest import run_cli, write_config


def test_config_check_lists_observe_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drop = tmp_path / "drop"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", (
        "platforms:\n"
        "  shopee:\n"
        f"    observe:\n      order-sync: {{folder: {drop}, every: 5m, confirm_after: 2}}\n"
        "  lazada:\n"
        "    observe:\n      order-sync: {contract_runs: true}\n"
    ))  # fmt: skip
    code, out, err = run_cli(["config", "check", str(config)], capsys)
    assert code == 0, err
    assert f"observe shopee/order-sync  folder {drop} every 0:05:00  confirm after 2 observations" in out
    assert "observe lazada/order-sync  contract-test answers  confirm after 1 observation" in out
    code, out, _ = run_cli(["config", "check", str(config), "--format", "json"], capsys)
    observed = {o["contract"]: o for o in json.loads(out)["observe"]}
    assert observed["shopee/order-sync"]["folder"] == str(drop) and observed["lazada/order-sync"]["contract_runs"]
