"""Relative paths in a configuration file are relative to that file, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_paths_written_in_the_file_are_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc" / "monitor"
    folder.mkdir(parents=True)
    config = folder / "monitor.yaml"
    config.write_text("database_url: sqlite:///data/monitor.db?timeout=5\ncontracts_dir: ../contracts\n")
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    settings = load_settings(Path("../../etc/monitor/monitor.yaml"), environ={})
    assert settings.database_url.startswith("sqlite:////") and settings.database_url.endswith("?timeout=5")
    assert (
        Path(settings.database_url.removeprefix("sqlite:///").split("?")[0]).resolve()
        == (folder / "data" / "monitor.db").resolve()
    )
    assert settings.contracts_dir.resolve() == (tmp_path / "etc" / "contracts").resolve()


def test_absolute_paths_memory_databases_and_absent_keys_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "sub" / "m.yaml"
    config.parent.mkdir()
    config.write_text(f"database_url: sqlite:///{tmp_path}/abs.db\n")
    settings = load_settings(config, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path}/abs.db"
    assert settings.contracts_dir == Path("contracts")  # the documented default, relative to where it runs
    config.write_text("database_url: 'sqlite://'\n")
    assert load_settings(config, environ={}).database_url == "sqlite://"
    config.write_text("database_url: 'sqlite:///:memory:'\n")
    assert load_settings(config, environ={}).database_url == "sqlite:///:memory:"
    # The environment override is not written in the file: relative to the working directory, as before.
    assert load_settings(config, environ={"MONITOR_DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite:///x.db"


def test_the_shipped_config_names_the_same_files_from_any_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(ROOT / "config" / "monitor.yaml", environ={})
    assert settings.contracts_dir.resolve() == (ROOT / "contracts").resolve()
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    assert db.resolve() == (ROOT / "monitor.db").resolve()
    assert "contracts_dir: ../contracts" in (ROOT / "config" / "monitor.yaml").read_text()
