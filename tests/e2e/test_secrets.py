"""A secret in a source URL never reaches the database, the logs or the CLI output."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.config import Settings, load_settings
from monitor.jobs.cycle import run_cycle
from monitor.sources.fetcher import Fetcher, FetchPolicy
from tests.conftest import require_corpus
from tests.e2e.servers import running_host

CANARY = "canary-7f3a9c1e2b"


def _dump(engine: Engine) -> str:
    tables = ["source", "specsnapshot", "change", "feedentry", "jobrun", "contract", "contractevent"]
    with engine.connect() as conn:
        return "\n".join(repr(row) for t in tables for row in conn.execute(text(f'SELECT * FROM "{t}"')))


def test_canary_token_in_source_urls_is_never_stored_or_logged(
    db: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = (require_corpus() / "amazon/sellers").glob("*.json").__next__().read_bytes()
    with running_host() as host:
        good = host.serve("/sellers.json", body) + f"?access_token={CANARY}"
        bad = host.serve("/broken.json", b"oops", status=500) + f"?api_key={CANARY}"
        feed = host.serve("/feed.rss", b"<html>not a feed</html>") + f"?token={CANARY}"
        config = {"allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "c"), "database_url": database_url,
                  "platforms": {"p": {"specs": {"good": {"url": good}, "bad": {"url": bad}},
                                      "feeds": {"feed": {"url": feed}}}}}  # fmt: skip
        settings = Settings.model_validate(config)
        caplog.set_level(logging.DEBUG)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0)) as fetcher:
            outcomes = run_cycle(settings, db, fetcher)
        assert sorted(o.status for o in outcomes) == ["error", "error", "ok"]
        config_file = tmp_path / "monitor.yaml"
        config_file.write_text(yaml.safe_dump(config))
        cli = [sys.executable, "-m", "monitor"]
        outputs = [
            subprocess.run([*cli, *args, "--config", str(config_file)], capture_output=True, text=True, timeout=120)
            for args in (["check"], ["runs", "--format", "json"], ["changes", "--format", "json"], ["config", "check"])
        ]
    assert CANARY not in _dump(db)
    assert CANARY not in caplog.text
    for proc in outputs:
        assert CANARY not in proc.stdout + proc.stderr, proc.args
    assert "***" in _dump(db)  # masked, not dropped: the source URLs are still recognisable


SPEC = b'{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}'


def test_a_secret_from_the_environment_is_masked_whatever_the_parameter_is_called(
    db: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: `${VAR}` marks a value secret; it travels as `?c=` or as a path segment, names no rule would catch."""
    secret = "env-canary-41d7e09a"
    monkeypatch.setenv("SPEC_KEY", secret)
    with running_host() as host:
        good = host.serve(f"/k/{secret}/spec.json", SPEC).replace(secret, "${SPEC_KEY}")
        bad = host.serve("/broken.json", b"oops", status=500) + "?c=${SPEC_KEY}"
        config = {"allow_hosts": ["127.0.0.1"], "contracts_dir": str(tmp_path / "c"), "database_url": database_url,
                  "platforms": {"p": {"specs": {"good": {"url": good}, "bad": {"url": bad}}}}}  # fmt: skip
        config_file = tmp_path / "monitor.yaml"
        config_file.write_text(yaml.safe_dump(config))
        settings = load_settings(config_file)
        caplog.set_level(logging.DEBUG)
        with Fetcher(FetchPolicy(allow_hosts=("127.0.0.1",), retries=0)) as fetcher:
            outcomes = run_cycle(settings, db, fetcher)
        assert sorted(o.status for o in outcomes) == ["error", "ok"]
        cli = [sys.executable, "-m", "monitor"]
        outputs = [
            subprocess.run([*cli, *args, "--config", str(config_file)], capture_output=True, text=True, timeout=120)
            for args in (["config", "check"],)
        ]
    assert secret not in _dump(db) and "/k/***/spec.json" in _dump(db) and "c=***" in _dump(db)
    assert secret not in caplog.text
    assert secret not in " ".join(o.error or "" for o in outcomes)
    for proc in outputs:
        assert proc.returncode in (0, 3), proc.stderr
        assert secret not in proc.stdout + proc.stderr, proc.args
