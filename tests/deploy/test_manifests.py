"""The deployment files parse and name real commands, options, endpoints and config (no Docker engine here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from tests.conftest import ROOT

MANIFESTS = sorted((ROOT / "deploy").rglob("*.yaml"))
KUBERNETES = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def resolve(args: list[str]) -> Any:
    """Parse `monitor ARGS` as the CLI would (options, choices, types), without running the command."""
    from monitor.cli import app

    group = typer.main.get_command(app)
    ctx = group.make_context("monitor", list(args), resilient_parsing=False)
    while hasattr(ctx.command, "resolve_command"):  # a group (typer vendors its own click: duck typing)
        name, command, rest = ctx.command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert command is not None, f"monitor {' '.join(args)}: no such command"
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in KUBERNETES:
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc.get("spec") or {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                yield f"{path.name}:{doc['metadata']['name']}", container


def dockerfile_instruction(name: str) -> str:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip().upper().startswith(name + " ")]
    assert lines, f"the Dockerfile has no {name}"
    return lines[-1][len(name) + 1 :].strip()


@pytest.mark.parametrize("path", [*MANIFESTS, ROOT / "compose.yaml"], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs)


def test_the_resolver_refuses_what_the_cli_refuses() -> None:
    # The checks below are only worth something if a wrong command, option or choice fails here.
    for bad in (
        ["wrker"],
        ["run", "--mode", "sideways"],
        ["worker", "--concurrency", "many"],
        ["db", "upgrade", "--x"],
    ):
        with pytest.raises(typer.TyperException):  # what `main` turns into exit 2
            resolve(bad)
    assert resolve(["run", "--mode", "distributed"]).params["mode"] == "distributed"


def test_dockerfile_runs_monitor_run_as_a_non_root_user_with_a_healthz_check(tmp_path: Path) -> None:
    assert json.loads(dockerfile_instruction("ENTRYPOINT")) == ["monitor"]
    assert resolve(json.loads(dockerfile_instruction("CMD"))).command.name == "run"
    assert dockerfile_instruction("USER").split(":")[0] not in ("0", "root")
    assert dockerfile_instruction("FROM").startswith("python:3.11-slim")
    assert (ROOT / "Dockerfile").read_text().count("FROM ") >= 2, "multi-stage"
    health = dockerfile_instruction("HEALTHCHECK")
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", health)
    assert port, health
    from monitor.config import Api

    assert int(port.group(1)) == Api().port  # the default api.port the image's config uses
    assert api_answers(tmp_path, "/healthz") == 200


def api_answers(tmp_path: Path, path: str) -> int:
    """The status of GET `path` on the real API app over a migrated SQLite database (404: no such endpoint)."""
    import httpx

    from monitor.api.app import create_app
    from monitor.api.server import ApiServer
    from monitor.config import Settings
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    engine = make_engine(url)
    server = ApiServer(create_app(Settings(database_url=url), engine), host="127.0.0.1", port=0).start()
    try:
        return httpx.get(server.url + path, timeout=10).status_code
    finally:
        server.stop()
        engine.dispose()


def test_compose_services_run_real_commands_in_order() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "migrate", "api", "worker"}
    commands = {name: resolve(s["command"]).command.name for name, s in services.items() if "command" in s}
    assert commands == {"migrate": "upgrade", "api": "run", "worker": "worker"}
    assert resolve(services["api"]["command"]).params["mode"] == "distributed"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["deploy"]["replicas"] >= 2
    env = services["api"]["environment"]
    assert env["MONITOR_DATABASE_URL"].startswith("postgresql+psycopg://")
    mounted = {v.split(":")[1].split()[0] for v in services["api"]["volumes"]}
    assert env["MONITOR_CONFIG"] in mounted


def test_kubernetes_containers_run_real_commands_with_the_right_probes(tmp_path: Path) -> None:
    found = {where: resolve(c["args"]).command.name for where, c in containers()}
    assert sorted(found.values()) == ["run", "upgrade", "worker"], found
    for where, container in containers():
        for probe in ("readinessProbe", "livenessProbe"):
            if probe in container:
                assert api_answers(tmp_path, container[probe]["httpGet"]["path"]) == 200, (where, probe)
        if found[where] == "run":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert resolve(container["args"]).params["mode"] == "distributed"
    kinds = [d["kind"] for p in KUBERNETES for d in yaml.safe_load_all(p.read_text())]
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Deployment", "Job", "Secret", "Service"]


def test_shipped_configurations_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from monitor.config import load_settings

    env = {"MONITOR_DATABASE_URL": "postgresql+psycopg://monitor@db/monitor"}
    configmap = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "config.yaml").read_text())
    (tmp_path / "monitor.yaml").write_text(configmap["data"]["monitor.yaml"])
    for path in (ROOT / "deploy" / "monitor.yaml", tmp_path / "monitor.yaml"):
        settings = load_settings(path, environ=env)
        assert settings.api.host == "0.0.0.0" and settings.database_url.startswith("postgresql+psycopg://")
    assert load_settings(ROOT / "deploy" / "monitor.yaml", environ=env) == load_settings(
        tmp_path / "monitor.yaml", environ=env
    )
