"""The snippets of docs/pipelines.md, run against a running service: shell commands for real, Argo's metric evaluated."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml

from monitor.api.server import ApiServer
from monitor.config import Settings
from monitor.store.migrate import upgrade
from monitor.store.session import make_engine
from tests.api.conftest import TOKENS, api_settings_dict, serving
from tests.gate import factories as f

DOC = Path(__file__).resolve().parents[2] / "docs" / "pipelines.md"
CI_VARIABLES = {"GITHUB_SHA": "0a1b2c3", "CI_COMMIT_SHA": "0a1b2c3", "GIT_COMMIT": "0a1b2c3"}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def commands() -> list[str]:
    """Every `monitor gate` and `curl` line of the YAML and Groovy snippets, as the CI's shell would get it."""
    found = []
    for block in blocks("yaml") + blocks("groovy"):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("sh '") and line.endswith("'"):  # Groovy single quotes: `\\` is one backslash
                line = line[4:-1].replace("\\\\", "\\")
            line = line.removeprefix("- ")
            if line.startswith(("monitor gate ", "curl ")):
                found.append(line)
    return found


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[ApiServer, Any]]:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    upgrade(url)
    engine = make_engine(url)
    snapshot = f.polled_source(engine)
    f.contract_run(engine, {"GET /orders": "passed", "GET /orders/{orderId}": "passed"})
    with serving(Settings.model_validate(api_settings_dict(url, decision_cache="0s")), engine) as server:
        yield server, (engine, snapshot)
    engine.dispose()


def run(command: str, server: ApiServer, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | CI_VARIABLES | {
        "MONITOR_URL": server.url, "MONITOR_TOKEN": TOKENS["gate"],
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }  # fmt: skip
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=cwd, env=env, timeout=60,
                          check=False)  # fmt: skip


def test_the_doc_has_a_snippet_per_pipeline_tool() -> None:
    found = commands()
    assert sum(c.startswith("monitor gate ") for c in found) == 2  # GitHub Actions, GitLab CI
    assert sum("/api/v1/gate?" in c for c in found) == 1  # Jenkins
    assert sum("/api/v1/deployments" in c for c in found) == 3
    assert any("kind: AnalysisTemplate" in b for b in blocks("yaml"))


def test_every_shell_snippet_passes_then_blocks_on_breaking_drift(
    service: tuple[ApiServer, Any], tmp_path: Path
) -> None:
    server, (engine, snapshot) = service
    for command in commands():
        result = run(command, server, tmp_path)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    junit = ET.parse(tmp_path / "gate.xml").getroot()  # GitLab's report
    assert junit.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]
    deployments = httpx.get(f"{server.url}/api/v1/deployments", headers={"Authorization": f"Bearer {TOKENS['read']}"})
    assert sorted(d["by"] for d in deployments.json()) == ["github-actions", "gitlab-ci", "jenkins"]
    assert {d["version"] for d in deployments.json()} == {"0a1b2c3"}

    f.drift(engine, snapshot)  # a breaking change on an operation the integration uses
    for command in commands():
        if "/api/v1/deployments" in command:
            continue
        result = run(command, server, tmp_path)
        expected = 22 if command.startswith("curl ") else 1  # curl --fail-with-body on the strict 409
        assert result.returncode == expected, (command, result.stdout, result.stderr)
        if command.startswith("curl "):
            assert '"decision":"fail"' in result.stdout


def _condition(expression: str, result: dict[str, Any]) -> bool:
    """The two condition shapes the doc uses, `result.<field> == true|false`, evaluated as Argo would."""
    match = re.fullmatch(r"result\.(\w+) == (true|false)", expression)
    assert match, f"unexpected condition in the doc: {expression}"
    return result.get(match.group(1)) is (match.group(2) == "true")


def test_the_argo_rollouts_web_metric(service: tuple[ApiServer, Any]) -> None:
    server, (engine, snapshot) = service
    template = next(yaml.safe_load(b) for b in blocks("yaml") if "kind: AnalysisTemplate" in b)
    metric = template["spec"]["metrics"][0]
    web = metric["provider"]["web"]
    assert web["jsonPath"] == "{$}"

    def measure(integration: str) -> str:
        args = {"integration": integration, "environment": "production", "monitor-token": TOKENS["gate"]}
        url = re.sub(r"\{\{args\.([\w-]+)\}\}", lambda m: args[m.group(1)], web["url"])
        url = url.replace("http://monitor.monitoring.svc:8080", server.url)
        headers = {h["key"]: re.sub(r"\{\{args\.([\w-]+)\}\}", lambda m: args[m.group(1)], h["value"])
                   for h in web["headers"]}  # fmt: skip
        response = httpx.get(url, headers=headers, timeout=web["timeoutSeconds"])
        assert response.status_code == 200  # Argo counts non-2xx as an error, never as a verdict
        result = response.json()
        if _condition(metric["failureCondition"], result):
            return "Failed"
        return "Successful" if _condition(metric["successCondition"], result) else "Inconclusive"

    assert measure("order-sync") == "Successful"
    assert measure("invoice-sync") == "Inconclusive"  # never polled: unknown, the rollout pauses for a person
    f.drift(engine, snapshot)
    assert measure("order-sync") == "Failed"
