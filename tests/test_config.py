"""Configuration: the shipped file, ${VAR} placeholders, overrides and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_settings, parse_duration
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_is_valid_and_watches_real_sources() -> None:
    settings = load_settings(ROOT / "config/monitor.yaml", environ={})
    specs = {f"{p}/{n}" for p, n, _ in settings.spec_sources()}
    feeds = {f"{p}/{n}" for p, n, _ in settings.feed_sources()}
    assert "amazon-sp-api/orders-v0" in specs and "bol-com/retailer-v10" in specs and "etsy/open-api-v3" in specs
    assert {"amazon-sp-api/changelog", "ebay/api-deprecation", "shopify/changelog", "walmart/changelog"} <= feeds
    assert settings.integrations["order-sync"].environments["staging"].report_only is True


def test_missing_placeholder_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    cfg = tmp_path / "m.yaml"
    cfg.write_text("alerts:\n  slack: {token: '${NOPE_TOKEN}'}\n")
    with pytest.raises(ConfigError, match=r"alerts.slack.token: environment variable NOPE_TOKEN is not set"):
        load_settings(cfg, environ={})


def test_secret_from_environment_is_not_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANARY_TOKEN", "xoxb-canary-123")
    cfg = tmp_path / "m.yaml"
    cfg.write_text("alerts:\n  slack: {token: '${CANARY_TOKEN}'}\n")
    settings = load_settings(cfg, environ={})
    assert settings.alerts.slack is not None
    assert settings.alerts.slack.token.get_secret_value() == "xoxb-canary-123"
    assert "xoxb-canary-123" not in repr(settings)


def test_database_url_override_and_driver_normalised(tmp_path: Path) -> None:
    cfg = tmp_path / "m.yaml"
    cfg.write_text("database_url: sqlite:///x.db\n")
    settings = load_settings(cfg, environ={"MONITOR_DATABASE_URL": "postgresql://u@127.0.0.1/test"})
    assert settings.database_url == "postgresql+psycopg://u@127.0.0.1/test"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "platforms:\n  amazon:\n    specs:\n      o: {url: x, evry: 6h}\n",
            r"platforms.amazon.specs.o.evry: unknown key \(did you mean `every`\?\)",
        ),
        (
            "platforms:\n  amazon:\n    specs:\n      o: {url: x, every: soon}\n",
            "platforms.amazon.specs.o.every: .*not a duration",
        ),
        ("api: {port: 99999}\n", "api.port: "),
        ("databse_url: x\n", r"databse_url: unknown key \(did you mean `database_url`\?\)"),
        ("platforms: [\n", r"m.yaml:\d+:\d+: invalid YAML"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_invalid_config_names_file_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "m.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, environ={})


def test_missing_explicit_file_is_an_error_but_default_is_optional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.yaml", environ={})
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).platforms == {}


def test_durations() -> None:
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration(30) == timedelta(seconds=30)
    with pytest.raises(ValueError):
        parse_duration("6 weeks")


def test_config_check_command(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "monitor", "config", "check"]
    ok = subprocess.run([*run, str(ROOT / "config/monitor.yaml")], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "spec  amazon-sp-api/orders-v0  every 6:00:00" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("platforms:\n  x:\n    feeds:\n      f: {url: u, kind: rss}\n")
    proc = subprocess.run([*run, str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {bad}: platforms.x.feeds.f.kind:") and proc.stderr.count("\n") == 1
