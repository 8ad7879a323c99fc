"""The README and docs stay true: every shell command they show runs, every figure is the code's, every example loads.

Fenced `sh`/`bash` blocks of README.md, config/README.md and docs/*.md are read as a shell would (continuation lines
joined, comments dropped). Each command either runs here - in a temporary folder, against the simulated marketplace
of `monitor demo` on 127.0.0.1 and a status API started by the test, with `.venv/bin/monitor` being this venv's - or
is in SKIPPED with the reason it cannot run on a test machine (and which test covers it instead). A new command in
the docs fails `test_every_doc_command_runs_or_is_skipped_for_a_reason` until it is one or the other.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor.api.app import create_app
from monitor.api.server import ApiServer
from monitor.config import load_settings
from monitor.demo.config import USES
from monitor.demo.marketplace import FEED_PATH, SPEC_PATH, VERSIONS, Marketplace
from monitor.demo.serving import serve_in_thread
from monitor.gate.tokens import new_token, token_hash
from monitor.store.session import make_engine
from tests.cli.inprocess import run_monitor
from tests.conftest import CORPUS, require_corpus

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "config" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
STEP = timedelta(seconds=20)

# Commands that cannot run here, each with the reason and what covers it instead (matched from the start).
SKIPPED: dict[str, str] = {
    "python3 -m venv": "installs the project from the network; .ci/run does exactly this from scratch on every run",
    ".venv/bin/python -m pytest": "the test suite itself",
    "python -m pytest": "a part of the test suite itself",
    ".venv/bin/monitor demo": "runs until Ctrl-C; tests/demo/test_demo.py runs `monitor demo` and reads its banner",
    "monitor demo": "runs until Ctrl-C; tests/demo/test_demo.py runs `monitor demo` and reads its banner",
    ".venv/bin/monitor run --mode distributed": "runs until stopped; tests/distributed/test_workers.py runs it",
    ".venv/bin/monitor run": "runs until stopped; tests/cli/test_service_commands.py starts, stops and restarts it",
    ".venv/bin/monitor worker": "runs until stopped; tests/distributed/test_workers.py runs workers on PostgreSQL",
    "export MONITOR_DATABASE_URL=postgresql+psycopg://monitor:...@db/monitor": "a placeholder server and password",
    "export MONITOR_TOKEN=...": "a placeholder; the test sets MONITOR_TOKEN to a token of its API",
    "docker": "needs Docker; tests/deploy/test_manifests.py checks the Dockerfile and compose.yaml it uses",
    "POSTGRES_PASSWORD=... docker compose": "needs Docker; tests/deploy/test_manifests.py checks compose.yaml",
    "kubectl": "needs a Kubernetes cluster; tests/deploy/test_manifests.py checks the manifests it applies",
    "../shared/tools/oasdiff-setup.sh": "downloads oasdiff outside the project",
    "python bench/": "run by test_every_bench_command_runs with tiny sizes",
    "monitor record": "a proxy to a live platform, runs until Ctrl-C; tests/traffic/test_record.py runs it as a process",
    ".venv/bin/monitor record": "a proxy to a live platform, runs until Ctrl-C; tests/traffic/test_record.py runs it",
    "monitor contracts learn --har shopee.har": "learns what `monitor record` captured from a live platform; "
    "tests/traffic/test_replica_roundtrip.py learns a capture recorded in front of the replica",
    ".venv/bin/monitor contracts learn --har shopee.har": "learns what `monitor record` captured from a live platform; "
    "tests/traffic/test_replica_roundtrip.py learns a capture recorded in front of the replica",
    "monitor diff contracts/shopee/orders.json other.json": "names the contract learned from a live capture; "
    "tests/traffic/test_replica_roundtrip.py diffs a learned contract with the published spec",
    "monitor observe --har today.har": "observes a live capture; tests/traffic/test_observe.py runs `monitor observe`",
    ".venv/bin/monitor observe --har today.har": "observes a live capture; tests/traffic/test_observe.py runs it",
}
# A synopsis (`monitor ack create ... --url URL`) shows a form, not a command: its forms run from other lines.
SYNOPSIS = re.compile(r"\.\.\.(?!@)|\bURL\b")


@dataclass(frozen=True)
class DocCommand:
    doc: str
    text: str

    @property
    def skip_reason(self) -> str | None:
        for prefix, reason in SKIPPED.items():
            if self.text == prefix or self.text.startswith(prefix if prefix.endswith((" ", "/")) else prefix + " "):
                return reason
        if SYNOPSIS.search(self.text):
            return "a synopsis: `...` or URL stand for arguments; its forms run from other lines"
        return None


def fenced(doc: Path, languages: tuple[str, ...] = ("sh", "bash")) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    return [body for lang, body in re.findall(r"```(\w*)\n(.*?)```", text, flags=re.DOTALL) if lang in languages]


def logical_lines(block: str) -> list[str]:
    """Lines as the shell reads them: `\\` continuations and synopsis lines indented under `[` joined, comments gone."""
    lines: list[str] = []
    pending = ""
    for raw in block.splitlines():
        line = re.sub(r"\s+#\s.*$", "", raw).rstrip()  # `  # why` comments (a `#` inside a URL stays)
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if lines and not pending and re.match(r"\s+\[", line):
            lines[-1] += " " + line.strip()
            continue
        pending += (" " if pending else "") + line.strip().removesuffix("\\").strip()
        if not line.endswith("\\"):
            lines.append(pending)
            pending = ""
    return lines


def without_options_shown_optional(command: str) -> str:
    """`monitor ack list [--all] [--format json]` runs as `monitor ack list`."""
    return re.sub(r"\s*\[[^\]]*\]", "", command).strip()


def doc_commands() -> list[DocCommand]:
    return [DocCommand(str(doc.relative_to(ROOT)), line) for doc in DOCS for block in fenced(doc)
            for line in logical_lines(block)]  # fmt: skip


def test_every_doc_command_runs_or_is_skipped_for_a_reason() -> None:
    found = doc_commands()
    assert len(found) >= 40, found  # the reader above still finds the blocks
    runnable = [c for c in found if c.skip_reason is None]
    assert all(c.text.split()[0] in ("monitor", ".venv/bin/monitor", "curl") for c in runnable), runnable
    assert len(runnable) >= 30, runnable


def test_the_doc_reader_reads_like_a_shell() -> None:
    block = 'a --x \\\n  --y  # why\n# a comment\nmonitor gate --i x [--version V]\n             [--dry-run]\ncurl "http://h/#frag"\n'
    assert logical_lines(block) == [
        "a --x --y",
        "monitor gate --i x [--version V] [--dry-run]",
        'curl "http://h/#frag"',
    ]
    assert without_options_shown_optional("monitor ack list [--all] [--format json]") == "monitor ack list"


# -- the walkthrough: every runnable command, in the order the docs give them --------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    """A folder laid out as the docs assume (`.venv/`, `config/monitor.yaml`), the marketplace and the status API."""

    workdir: Path
    config: Path
    api_url: str
    token: str
    replica_port: int
    spec_file: Path
    env: dict[str, str]
    background: list[subprocess.Popen[str]] = field(default_factory=list)

    def substitute(self, command: str) -> str:
        """Placeholders of the docs, replaced by what exists here (each stands for a value the reader supplies)."""
        command = without_options_shown_optional(command)
        command = command.replace("../shared/corpus/", f"{CORPUS}/")  # the corpus beside the project, not beside us
        command = re.sub(r"http://127\.0\.0\.1:(8080|8765)", self.api_url, command)  # the service's address
        command = command.replace("DEMO/", "config/")  # the folder `monitor demo --workdir` prints
        command = re.sub(r"\bSPEC\b|\bspec\.json\b", str(self.spec_file), command)  # "a spec file"
        command = command.replace("8081", str(self.replica_port))  # a free port instead of a fixed one
        # an expiry date in the docs ages; a waiver expiring in the past is refused, so it moves a year ahead
        next_year = (date.today() + timedelta(days=365)).isoformat()
        command = re.sub(r"--expires \d{4}-\d{2}-\d{2}", f"--expires {next_year}", command)
        return command

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """`monitor ...` in this process (a process per command would cost seconds each); anything else in bash."""
        args = shlex.split(command)
        if args[0] not in ("monitor", ".venv/bin/monitor"):
            return subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=self.workdir,
                                  env=self.env, timeout=120, check=False)  # fmt: skip
        return run_monitor(args[1:], env=self.env, cwd=self.workdir)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("docs")
    (workdir / ".venv").symlink_to(VENV_BIN.parent)
    clock = FakeClock()
    market = Marketplace(step=STEP, clock=clock)
    market.begin()
    marketplace = serve_in_thread(market.app(), lifespan="off", log_level="error")
    token = new_token()
    spec = {"url": marketplace.url + SPEC_PATH, "every": "5m"}
    sandbox = {"base_url": marketplace.url, "is_sandbox": True, "rate_limit": "100/s", "max_examples": 2,
               "every": None, "time_budget": "30s"}  # fmt: skip
    config = {
        "database_url": f"sqlite:///{workdir / 'monitor.db'}",
        "contracts_dir": str(workdir / "contracts"),
        "allow_hosts": ["127.0.0.1"],
        "api": {"host": "127.0.0.1", "port": 0, "tokens": [{"name": "docs", "scopes": ["admin"], "sha256": token_hash(token)}]},
        "platforms": {
            "acme": {"specs": {"orders": spec}, "feeds": {"news": {"url": marketplace.url + FEED_PATH, "every": "5m"}}},
            "amazon-sp-api": {"specs": {"orders-v0": spec}, "sandbox": sandbox},  # the names README's lines use
        },
        "integrations": {"order-sync": {"uses": {"acme/orders": USES, "amazon-sp-api/orders-v0": USES},
                                        "environments": {"prod": {}, "production": {}}}},
    }  # fmt: skip
    config_path = workdir / "config" / "monitor.yaml"
    config_path.parent.mkdir()
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    spec_file = workdir / "spec.yaml"
    shutil.copyfile(ROOT / "monitor" / "demo" / "specs" / VERSIONS[0], spec_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"PATH": f"{VENV_BIN}{os.pathsep}{env['PATH']}", "MONITOR_TOKEN": token, "USER": "docs", "COLUMNS": "200"}
    settings = load_settings(config_path, environ={})
    engine = make_engine(settings.database_url)
    api = None
    w = World(workdir, config_path, "", token, free_port(), spec_file, env)
    try:
        for version in range(3):  # 1.0.0 pinned as the contract, 2.0.0 announced the removal, 3.0.0 breaks
            clock.now = version * STEP.total_seconds()
            assert w.run("monitor check").returncode == 0
        api = ApiServer(create_app(settings, engine), host="127.0.0.1", port=0).start()
        w.api_url = api.url
        yield w
    finally:
        for proc in w.background:
            proc.terminate()
            proc.communicate(timeout=10)  # waits, and closes its pipes
        if api is not None:
            api.stop()
        engine.dispose()
        marketplace.stop()


def expected_codes(command: str) -> set[int]:
    """Exit 1 is a finding for the commands that judge (a failing gate, breaking changes, failing contracts)."""
    if re.match(r"(\.venv/bin/)?monitor (gate|diff|test)\b", command):
        return {0, 1}
    return {0}


def wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


# schemathesis (not our code) uses `random` inside Hypothesis strategies; `monitor test` runs it in this process
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
def test_every_runnable_doc_command_succeeds(world: World) -> None:
    ran: list[str] = []
    for command in doc_commands():
        if command.skip_reason is not None:
            continue
        if "../shared/corpus/" in command.text and not CORPUS.is_dir():
            require_corpus()  # skips on a laptop without the corpus, fails under CI=true
        text = world.substitute(command.text)
        if text.endswith("ack revoke 7"):  # the waiver id: the last one created above
            text = text.removesuffix("7") + str(last_waiver(world))
        if "--change 412" in text:  # a change id
            text = text.replace("--change 412", f"--change {newest_change(world)}")
        if " sandbox serve " in f" {text}":  # a server: started, and stopped when the walkthrough ends
            proc = subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=world.workdir, env=world.env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
            world.background.append(proc)
            wait_for_port(world.replica_port, proc)
            ran.append(text)
            continue
        result = world.run(text)
        assert result.returncode in expected_codes(text), f"{command.doc}: {text}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, f"{command.doc}: {text}\n{result.stderr}"
        ran.append(text)
    assert (world.workdir / "report.xml").is_file()  # `monitor test amazon-sp-api --junit report.xml`
    assert any(t.startswith("curl ") for t in ran) and any(" --url " in t for t in ran)


def last_waiver(world: World) -> int:
    import json

    listed = world.run("monitor ack list --all --format json")
    return max(int(w["id"]) for w in json.loads(listed.stdout))


def newest_change(world: World) -> int:
    """The newest breaking drift, else (once the docs' `contracts accept` lines moved the contracts) any change."""
    import json

    for listing in ("monitor changes --against contract --level breaking --format json", "monitor changes -f json"):
        found = json.loads(world.run(listing).stdout)
        if found:
            return int(found[0]["change_id"])
    raise AssertionError("no stored change to waive")


def test_the_shipped_configuration_is_valid_and_watches_something() -> None:
    result = subprocess.run([str(VENV_BIN / "monitor"), "config", "check", "--format", "json",
                             "--config", str(ROOT / "config" / "monitor.yaml")], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "amazon-sp-api/orders-v0" in result.stdout


# -- figures and examples ---------------------------------------------------------------------------------------


def test_the_rule_count_in_the_readme_is_the_catalogue_size() -> None:
    from monitor.engine.diff import rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (count,) = re.findall(r"\*\*Rule catalogue\*\*: (\d[\d,]*) rules", readme)
    assert int(count.replace(",", "")) == len(rules()), "README: the rule count is `len(rules())`"


def test_config_readme_describes_every_top_level_key_and_its_examples_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.config import Settings
    from monitor.engine import load_ignore, load_usage

    text = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    assert "product brief" not in text
    for key in Settings.model_fields:
        assert f"| `{key}` |" in text, f"config/README.md does not describe `{key}`"
    blocks = fenced(ROOT / "config" / "README.md", ("yaml",))
    assert len(blocks) == 3
    config, usage, ignore = (tmp_path / name for name in ("monitor.yaml", "usage.yaml", "ignore.yaml"))
    for path, block in zip((config, usage, ignore), blocks, strict=True):
        path.write_text(block, encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("TICKETS_TOKEN", "t")
    settings = load_settings(config, environ={})
    assert settings.integrations["order-sync"].environments["staging"].report_only
    assert load_usage(usage).operations and load_ignore(ignore)


def test_the_distributed_tick_examples_tick_when_the_docs_say() -> None:
    from croniter import croniter

    rows = re.findall(r"^\| `([^`]+)`(?: \(default\))? \| (.+?) \|$", (ROOT / "docs" / "deploy.md").read_text(), re.M)
    ticks = {cron: times for cron, times in rows if re.fullmatch(r"[\d*/ ,-]+", cron)}
    assert len(ticks) == 4, rows
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for cron, said in ticks.items():
        shown = re.findall(r"\d\d:\d\d:\d\d", said)
        it = croniter(cron, start)
        assert [it.get_next(datetime).strftime("%H:%M:%S") for _ in shown] == shown, cron


# -- bench commands, with the venv's Python and tiny sizes -------------------------------------------------------

# Appended to each documented command (argparse keeps the last value), so it runs in seconds; why each is tiny.
TINY: dict[str, list[str]] = {
    "diff_bench.py": ["--runs", "1", "--no-oasdiff"],  # one run per pair; oasdiff is outside the project
    "poll_bench.py": ["--runs", "1", "--sources", "5", "--database", "sqlite"],
    "gate_bench.py": [
        "--database",
        "sqlite",
        "--duration",
        "1",
        "--changes",
        "50",
        "--rate",
        "20",
        "--connections",
        "2",
        "--poll-sources",  # `monitor run` seeds 20 sources, not a thousand, before the during-polls measurement
        "20",
    ],
    "announcement_accuracy.py": [],  # reads the corpus's entries once: already quick
    "scale_bench.py": ["--sources", "20", "--workers", "1", "--runs", "2"],
    "st_overhead.py": ["--runs", "1"],
    "traffic_bench.py": ["--exchanges", "200"],  # learning and observing 200 exchanges, not 10,000
    "compare_oasdiff.py": ["--platform", "etsy", "--no-fixtures"],  # one platform's pairs; needs oasdiff (below)
}
NOT_RUN: dict[str, str] = {}  # a script the docs show but no test can run goes here, with the reason


def installed_oasdiff() -> str | None:
    """oasdiff as ../shared/tools/oasdiff-setup.sh leaves it (the test never downloads it)."""
    candidates = [os.environ.get("OASDIFF"), shutil.which("oasdiff"),
                  *map(str, sorted((Path.home() / ".cache" / "oasdiff").glob("**/oasdiff")))]  # fmt: skip
    return next((c for c in candidates if c and os.access(c, os.X_OK) and Path(c).is_file()), None)


def bench_commands() -> list[str]:
    """Per script, its longest documented form (`gate_bench.py --database both` over `gate_bench.py`): the documented
    flags are parsed for real, and each script costs one run."""
    found: dict[str, str] = {}
    for doc in DOCS:
        for command in re.findall(r"python3? (bench/\w+\.py(?: --[\w-]+(?: \w+)?)*)", doc.read_text(encoding="utf-8")):
            script = command.split()[0]
            if len(command) > len(found.get(script, "")):
                found[script] = command
    return sorted(found.values())


def test_every_bench_script_documented_is_run_or_says_why_not() -> None:
    scripts = {c.split()[0].removeprefix("bench/") for c in bench_commands()}
    assert scripts == set(TINY) | set(NOT_RUN), scripts ^ (set(TINY) | set(NOT_RUN))
    assert scripts == {p.name for p in (ROOT / "bench").glob("*.py")}, "a bench script the docs do not show"


@pytest.mark.parametrize("command", [c for c in bench_commands() if c.split()[0].removeprefix("bench/") in TINY])
def test_every_bench_command_runs(command: str) -> None:
    script = command.split()[0].removeprefix("bench/")
    if script in ("diff_bench.py", "announcement_accuracy.py", "st_overhead.py"):
        require_corpus()
    if script == "scale_bench.py" or "postgresql" in command or "both" in command:
        pg = subprocess.run([sys.executable, "-c", "from tests.conftest import _postgres_available as a; "
                             "raise SystemExit(0 if a() else 1)"], cwd=ROOT, capture_output=True, timeout=60)  # fmt: skip
        if pg.returncode != 0 and os.environ.get("CI") != "true":
            pytest.skip("PostgreSQL is not reachable")
    args = [sys.executable, *command.split(), *TINY[script]]
    if script == "compare_oasdiff.py":
        require_corpus()
        oasdiff = installed_oasdiff()
        if oasdiff is None:
            pytest.skip("oasdiff is not installed (../shared/tools/oasdiff-setup.sh installs it outside the project)")
        args += ["--oasdiff", oasdiff]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert result.stdout.strip(), args
    if script == "announcement_accuracy.py":  # deterministic over the corpus: the README's figures are its output
        category = re.search(r"category accuracy:\s+(\d+/\d+)", result.stdout)
        facts = re.search(r"fact removal dates found:\s+(\d+/\d+)", result.stdout)
        assert category and facts, result.stdout
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert f"category {category[1]}, removal dates {facts[1]} of the dated facts" in readme
