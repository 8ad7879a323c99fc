"""The alerts and reports keys: required silence end, valid cron and time zone, unique webhook names."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("alerts:\n  silences:\n    - {match: {source: a/b}}\n", "alerts.silences.0.ends_at: Field required"),
        ("alerts:\n  silences:\n    - {match: {}, ends_at: '2026-12-01T00:00:00'}\n", "give a time zone"),
        ("reports:\n  nightly: {cron: '0 25 * * *'}\n", "is not a 5-field cron expression"),
        ("reports:\n  nightly: {timezone: Mars/Olympus}\n", "is not a time zone"),
        ("alerts:\n  webhooks: [{name: a, url: 'http://x'}, {name: a, url: 'http://y'}]\n", "must be unique"),
        ("alerts:\n  group_wiat: 30s\n", "unknown key (did you mean `group_wait`?)"),
    ],
)
def test_bad_alert_settings_are_one_clear_line(tmp_path: Path, yaml: str, message: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_defaults_follow_alertmanager(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("reports:\n  nightly: {}\n")
    settings = load_settings(path, environ={})
    alerts = settings.alerts
    assert (alerts.group_wait.total_seconds(), alerts.group_interval.total_seconds(),
            alerts.repeat_interval.total_seconds()) == (30, 300, 4 * 3600)  # fmt: skip
    assert settings.reports.nightly is not None and (settings.reports.nightly.cron, settings.reports.nightly.timezone) \
        == ("0 2 * * *", "UTC")  # fmt: skip
