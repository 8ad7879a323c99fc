"""What a new user meets in the first hour: `monitor check`'s verdict, operations shown as the spec writes them,
`--format json` on every listing, help without Typer's type labels, errors without pydantic's prefix, and an empty
configuration refused.

The flow runs the simulated Acme marketplace of `monitor demo` (its clock moved by the test, no waiting) through
`monitor check` three times: 1.0.0 (pinned as the contract), 2.0.0 (the deprecation announced), 3.0.0 (breaking).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from sqlmodel import Session, select

from monitor.cli import app, main
from monitor.demo.config import INTEGRATION, SOURCE_ID, demo_config
from monitor.demo.marketplace import Marketplace
from monitor.demo.serving import serve_in_thread
from monitor.store.models import Alert
from monitor.store.session import make_engine

STEP = timedelta(seconds=20)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


def cli(*args: str | Path) -> Outcome:
    """`monitor ARGS` in this process (a subprocess per command would cost a second of start-up each)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    return Outcome(int(exited.value.code or 0), out.getvalue(), err.getvalue())


@dataclass
class Acme:
    config: Path
    database_url: str
    checks: list[Outcome] = field(default_factory=list)  # `monitor check` at 1.0.0, 2.0.0, 3.0.0
    gate_at_v2: Outcome | None = None


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Acme]:
    workdir = tmp_path_factory.mktemp("acme")
    clock = FakeClock()
    market = Marketplace(step=STEP, clock=clock)
    market.begin()
    server = serve_in_thread(market.app(), lifespan="off", log_level="error")
    try:
        data = demo_config(workdir=workdir, api_port=0, marketplace_url=server.url, poll_every=timedelta(minutes=5),
                           token_sha256="0" * 64)  # fmt: skip
        del data["platforms"]["acme"]["sandbox"]  # contract runs are tested elsewhere; here they would only cost time
        config = workdir / "monitor.yaml"
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        acme = Acme(config, data["database_url"])
        for version in range(3):
            clock.now = version * STEP.total_seconds()
            acme.checks.append(cli("check", "--config", config))
            if version == 1:
                acme.gate_at_v2 = cli("gate", "-i", INTEGRATION, "-e", "prod", "--format", "json", "--config", config)
        yield acme
    finally:
        server.stop()


# -- monitor check: what matters, and a verdict ---------------------------------------------------------------------


def test_check_ends_with_a_verdict_and_counts_in_words(acme: Acme) -> None:
    first = acme.checks[0]
    assert first.code == 0, first.err
    lines = first.out.splitlines()
    assert (
        lines[-2]
        == "2 sources polled, 0 failed; 0 breaking changes upstream, 0 breaking drift changes on used operations"
    )
    assert lines[-1] == "verdict: OK: nothing breaks the integrations"
    assert "1 new entry" in first.out and "entr(y/ies)" not in first.out and "(s)" not in first.out


def test_check_counts_breaking_changes_and_breaking_drift_per_source(acme: Acme) -> None:
    third = acme.checks[2]
    assert third.code == 0, third.err  # breaking drift is news, not a failed check: exit 3 stays for failures
    row = next(line for line in third.out.splitlines() if SOURCE_ID in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[:3] == [SOURCE_ID, "spec", "new-version"]
    breaking, drift = int(cells[3]), int(cells[4])
    assert breaking >= 2 and drift >= 2  # createdAfter required, buyerEmail removed (both used by order-sync)
    assert third.out.splitlines()[-1] == (
        f"verdict: BREAKING: breaking drift on used operations of {SOURCE_ID} "
        "(monitor changes --against contract --level breaking)"
    )
    by_source = {item["source"]: item for item in cli("check", "--format", "json", "--config", acme.config).json()}
    assert by_source[SOURCE_ID]["breaking_drift"] == drift
    assert by_source["acme/news"]["breaking_drift"] is None and by_source["acme/news"]["status"] == "ok"


def test_check_says_when_breaking_changes_miss_the_used_operations() -> None:
    from monitor.cli.service import verdict
    from monitor.jobs.cycle import CycleOutcome

    spec = CycleOutcome("shop/orders", "spec", "ok", {"outcome": "new-version", "upstream_breaking": 1})
    failed = CycleOutcome("shop/news", "feed", "error", "GET http://x/feed: HTTP 503")
    assert verdict([spec], {"shop/orders": 0}) == (
        "verdict: OK: nothing breaks the integrations (1 breaking change upstream, none on used operations)"
    )
    assert verdict([spec, failed], {"shop/orders": 0}) == (
        "verdict: INCOMPLETE: 1 source could not be checked: shop/news"
    )


# -- operations as the spec writes them --------------------------------------------------------------------------


def test_announcements_link_operations_as_the_spec_writes_them(acme: Acme) -> None:
    entries = cli("announcements", "--format", "json", "--config", acme.config).json()
    linked = {tuple(op) for e in entries for op in e["operations"]}
    assert (SOURCE_ID, "GET /orders/{orderId}") in linked
    assert not [op for op in linked if "{}" in op[1]]
    table = cli("announcements", "--config", acme.config).out
    assert "{orderId}" in table and "{}" not in table


def test_gate_reasons_and_alerts_name_operations_as_written(acme: Acme) -> None:
    assert acme.gate_at_v2 is not None
    answer = acme.gate_at_v2.json() if acme.gate_at_v2.code == 0 else json.loads(acme.gate_at_v2.out)
    announced = [r for r in answer["reasons"] if r["kind"] == "announcement"]
    assert announced and "GET /orders/{orderId}" in announced[0]["message"], answer["reasons"]
    assert "(in 10 days)" in announced[0]["message"]  # not "10 day(s)"
    assert not [r for r in answer["reasons"] if "{}" in r["message"]]
    engine = make_engine(acme.database_url)
    try:
        with Session(engine) as session:
            texts = [f"{a.title}\n{a.text}" for a in session.exec(select(Alert)).all()]
    finally:
        engine.dispose()
    assert any("GET /orders/{orderId}" in t for t in texts)
    assert not [t for t in texts if "/{}" in t]


# -- every listing takes --format json ----------------------------------------------------------------------------

# Every command that lists what the store or the configuration holds, with the arguments it needs.
LISTINGS: dict[str, list[str]] = {
    "changes": [],
    "announcements": [],
    "runs": [],
    "check": [],
    "contracts status": [],
    "sandbox results": [],
    "ack list": [],
    "alerts list": [],
    "alerts silences": [],
    "config check": [],
    "rules": [],
    "limits": [],
}
# The other commands, each with why `--format json` is not for it (a new command must be placed in one list).
NOT_LISTINGS: dict[str, str] = {
    "diff": "a report with its own formats (json among them)",
    "gate": "a decision with its own formats (json among them)",
    "test": "a run with its own formats (json among them)",
    "report": "a report: markdown, html or slack blocks",
    "version": "one line",
    "db upgrade": "an action",
    "run": "the service (its --once table is `check`'s)",
    "demo": "the demo service",
    "worker": "a worker process",
    "contracts pin": "an action",
    "contracts accept": "an action",
    "sandbox serve": "a server",
    "ack create": "an action",
    "ack revoke": "an action",
    "token create": "prints a secret once, for a human",
    "alerts silence": "an action",
    "alerts deliver": "an action",
    "contracts learn": "an action (it prints what it learned and widened)",
    "observe": "a report with its own formats (json among them)",
    "record": "a proxy server",
}


def commands() -> dict[str, Any]:
    """Every command of the CLI by its full name (`alerts silences`), as click sees them."""
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(typer.main.get_command(app), "")
    return found


def test_every_command_is_either_a_listing_or_says_why_not() -> None:
    names = set(commands())
    assert names == set(LISTINGS) | set(NOT_LISTINGS), names ^ (set(LISTINGS) | set(NOT_LISTINGS))
    for name in LISTINGS:
        (option,) = [p for p in commands()[name].params if p.name == "format"]
        assert "json" in [str(c) for c in option.type_descriptor.choices], name


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_every_listing_prints_json(acme: Acme, name: str) -> None:
    args = [*name.split(), *LISTINGS[name], "--format", "json"]
    if name != "rules":
        args += ["--config", str(acme.config)]
    result = cli(*args)
    assert result.code == 0, result.err
    assert isinstance(json.loads(result.out), list | dict), name


# -- help and errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(LISTINGS) | set(NOT_LISTINGS)))
def test_help_shows_no_python_type_labels(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = cli(*name.split(), "--help")
    assert result.code == 0, result.err
    assert "Usage: " in result.out and name.split()[-1] in result.out
    for label in ("<bool>", "<str>", "<int>", "<path>", "<float>"):
        assert label not in result.out, (name, label)


def test_errors_have_no_pydantic_prefix(tmp_path: Path) -> None:
    bad_choice = cli("diff", "a.json", "b.json", "--fail-on", "sometimes")
    assert bad_choice.code == 2
    assert bad_choice.err == (
        "error: Invalid value for '--fail-on': 'sometimes' is not one of 'breaking', 'warning', 'info'.\n"
    )
    config = tmp_path / "monitor.yaml"
    config.write_text("platforms:\n  shop:\n    specs:\n      orders: {url: 'https://x.example/o.json', every: 5q}\n")
    bad_value = cli("config", "check", config)
    assert bad_value.code == 2
    assert (
        bad_value.err
        == f"error: {config}: platforms.shop.specs.orders.every: '5q' is not a duration such as 30s, 15m, 6h or 1d\n"
    )


@pytest.mark.parametrize("content", ["", "# nothing yet\n", "platforms: {}\n", "database_url: sqlite:///{tmp}/m.db\n"])
@pytest.mark.parametrize("command", [["config", "check"], ["check"], ["run"]], ids=" ".join)
def test_a_configuration_without_platforms_is_an_error(tmp_path: Path, content: str, command: list[str]) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        content.replace("{tmp}", str(tmp_path))
    )  # before: `config check` passed, `check` polled nothing, `run` ran
    result = cli(*command, "--config", config)
    assert result.code == 2
    assert (
        result.err == f"error: {config}: no platforms configured: add a `platforms:` section (see config/README.md)\n"
    )
    assert not (tmp_path / "m.db").exists() and not list(tmp_path.glob("*.db"))


def test_counts_elsewhere_read_as_english(acme: Acme, tmp_path: Path) -> None:
    watched = cli("config", "check", "--config", acme.config)
    assert f"integration {INTEGRATION}  {SOURCE_ID}: 3 operations" in watched.out, watched.out
    specs = Path(__file__).resolve().parents[2] / "monitor" / "demo" / "specs"
    old, new = specs / "v1.yaml", specs / "v3.yaml"
    changes = json.loads(cli("diff", old, new, "--format", "json").out)  # exit 1: breaking, by design
    ids = [c["id"] for c in changes["changes"]]
    once = next(i for i in ids if ids.count(i) == 1)
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(f"- rule: {once}\n  reason: known\n  expires: 2999-01-01\n")
    assert "1 change ignored by the ignore file" in cli("diff", old, new, "--ignore", ignore).out
