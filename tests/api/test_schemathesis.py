"""Our own OpenAPI, fuzzed by schemathesis (through the project's adapter) against the running API: zero failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.api.app import create_app
from monitor.sandbox.runner import run_suite
from monitor.store.migrate import upgrade
from monitor.store.session import make_engine
from tests.api.conftest import TOKENS, api_settings, seed, serving


@pytest.mark.parametrize("phases", [("examples", "coverage", "fuzzing"), ("stateful",)])
def test_schemathesis_finds_nothing_wrong_with_our_api(tmp_path: Path, phases: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed(engine)
    settings = api_settings(url)
    spec = create_app(settings, engine).openapi()
    with serving(settings, engine) as server:
        result = run_suite(spec, server.url, phases=phases, max_examples=15, seed=1, time_budget_s=120,
                           headers={"Authorization": f"Bearer {TOKENS['admin']}"})  # fmt: skip
    engine.dispose()
    problems = {label: (op.checks_failed, [f.message[:300] for f in op.failures[:2]], op.errors[:2])
                for label, op in result.operations.items() if op.status in ("failed", "error")}  # fmt: skip
    assert result.fatal is None and not result.errors, (result.fatal, result.errors)
    assert not problems, problems
    assert result.finished and not result.stopped_by_budget
    tested = {label for label, op in result.operations.items() if op.cases}
    assert "GET /api/v1/gate" in tested or phases == ("stateful",)
