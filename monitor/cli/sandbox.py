"""`monitor sandbox serve` and `monitor test`: the replica sandbox and contract test runs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

if TYPE_CHECKING:
    from rich.table import Table

    from monitor.sandbox.runner import SuiteResult

import typer

from monitor.cli.app import EXIT_FINDING, EXIT_UNKNOWN, ConfigOption, ListFormat, app
from monitor.cli.common import new_table, one_line, print_table, store, utc, when, write_json

sandbox_app = typer.Typer(
    help="Sandboxes: stored contract test results, and a local replica served from a spec's sandbox cases.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("results")
def sandbox_results(
    suite: Annotated[str | None, typer.Argument(help="Only this suite (platform).")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
    config: ConfigOption = None,
) -> None:
    """Latest contract test status per operation: failing since, last pass, flaky (what the gate reads)."""
    from monitor.store import queries
    from monitor.store.session import session_scope

    _, engine = store(config)
    with session_scope(engine) as session:
        statuses = queries.operation_statuses(session=session, suite=suite)
    if format is ListFormat.json:
        write_json([{"suite": s.suite, "source": s.source_id, "operation": s.operation, "operation_id": s.operation_id,
                     "status": s.status, "at": utc(s.at), "run_id": s.run_id, "failing_since": utc(s.failing_since),
                     "last_passed_at": utc(s.last_passed_at), "flaky": s.flaky, "recent": list(s.recent)}
                    for s in statuses])  # fmt: skip
        return
    table = new_table("Operation", "Suite", "Spec", "Status", "At", "Failing since", "Last pass", "Flaky", "Recent")
    for s in statuses:
        table.add_row(s.operation, s.suite, s.source_id, s.status, when(s.at), when(s.failing_since),
                      when(s.last_passed_at), "flaky" if s.flaky else "", " ".join(r[0] for r in s.recent))  # fmt: skip
    print_table(table)


@sandbox_app.command("serve")
def sandbox_serve(
    spec: Annotated[Path, typer.Argument(help="The spec whose x-amzn-api-sandbox cases and examples to serve.")],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8081,
    allow_external_refs: Annotated[
        bool, typer.Option(help="Follow $refs to other files inside the spec's own folder.")
    ] = False,
    rate_limit: Annotated[
        str | None, typer.Option(help="Answer with `x-amzn-RateLimit-Limit: VALUE` (requests per second), e.g. 0.1.")
    ] = None,
) -> None:
    """Serve SPEC's static sandbox cases (most specific match; 400 when none) until SIGINT/SIGTERM."""
    import uvicorn

    from monitor.engine import load_spec
    from monitor.errors import InputError
    from monitor.sandbox.replica import build_replica

    try:
        replica = build_replica(load_spec(spec, allow_external_refs=allow_external_refs), rate_limit=rate_limit)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    sys.stderr.write(f"sandbox replica of {spec} on http://{host}:{port}\n")
    uvicorn.run(replica, host=host, port=port, log_level="warning")


class TestFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("test")
def test_command(
    target: Annotated[
        str, typer.Argument(help="A suite (a platform with a sandbox in the config), or a spec file with --base-url.")
    ],
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Test the spec file TARGET against this API (no config, no store).")
    ] = None,
    operation: Annotated[
        list[str] | None, typer.Option("--operation", help="operationId or `METHOD /path` to test; repeatable.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")] = None,
    format: Annotated[TestFormat, typer.Option("--format", "-f", help="Output format.")] = TestFormat.text,
    time_budget: Annotated[
        float | None, typer.Option(help="Wall-clock budget in seconds (a suite's default: its time_budget).", min=0)
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run a sandbox suite now and store its results, or replay a spec's examples against --base-url.

    Exit 0 all passed, 1 contract failures, 2 bad input or a host the production guard refuses, 3 errors.
    """
    if base_url is None:
        results = _run_suite_now(target, operation, time_budget, config)
    else:
        results = [(target, _run_spec_now(Path(target), base_url, operation, time_budget or 300.0))]
    if junit is not None:
        junit.write_text(junit_xml(results), encoding="utf-8")
    if format is TestFormat.json:
        from dataclasses import asdict

        write_json([{"spec": name, "label": op.label, "status": op.status, **asdict(op)}
                    for name, result in results for op in result.operations.values()])  # fmt: skip
    else:
        print_table(_results_table(results))
    problems = [p for _, r in results for p in ([r.fatal] if r.fatal else []) + r.errors]
    for problem in problems[:5]:
        sys.stderr.write(f"error: {one_line(problem)}\n")
    if (
        problems
        or any(not r.finished or r.stopped_by_budget for _, r in results)
        or any(op.status == "error" for _, r in results for op in r.operations.values())
    ):
        raise typer.Exit(EXIT_UNKNOWN)
    if any(r.failed for _, r in results):
        raise typer.Exit(EXIT_FINDING)


def _run_spec_now(spec: Path, base_url: str, operation: list[str] | None, time_budget: float) -> SuiteResult:
    from monitor.errors import InputError
    from monitor.sandbox.runner import load_document, run_suite

    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    if operation:  # checked against our own reading of the spec (which also reports a malformed one as bad input)
        from monitor.engine import load_spec

        loaded = load_spec(spec)
        known = {op.label for op in loaded.operations.values()} | {
            op.operation_id for op in loaded.operations.values() if op.operation_id
        }
        unknown = sorted(set(operation) - known)
        if unknown:
            raise InputError(f"{spec}: no such operation: {', '.join(unknown)}")
    try:  # without the diff engine: it is not needed to run, and costs start-up time
        document = load_document(spec)
    except OSError as exc:
        raise InputError(f"{spec}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(str(exc) if str(spec) in str(exc) else f"{spec}: {exc}") from None
    return run_suite(document, base_url, operations=operation or None, time_budget_s=time_budget)


def _run_suite_now(
    suite: str, operation: list[str] | None, time_budget: float | None, config: Path | None
) -> list[tuple[str, SuiteResult]]:
    """The configured suite, run now with a progress bar on stderr, stored like a scheduled run."""
    from datetime import timedelta

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from monitor.config import load_settings
    from monitor.sandbox.suite import run_platform_suite, sandbox_of
    from monitor.store.migrate import upgrade
    from monitor.store.session import make_engine

    settings = load_settings(config)
    sandbox = sandbox_of(settings, suite)  # an unknown suite is bad input before the database is touched
    changes: dict[str, object] = {}
    if operation:
        changes["operations"] = operation
    if time_budget is not None:
        changes["time_budget"] = timedelta(seconds=time_budget)
    if changes:
        platforms = dict(settings.platforms)
        platforms[suite] = platforms[suite].model_copy(update={"sandbox": sandbox.model_copy(update=changes)})
        settings = settings.model_copy(update={"platforms": platforms})
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} operations tested"),
               TimeElapsedColumn())  # fmt: skip
    try:
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"testing {suite}", total=None)
            outcome = run_platform_suite(
                settings, engine, suite,
                on_operation=lambda source, op: progress.update(task, advance=1, description=f"{source} {op.label}"),
            )  # fmt: skip
    finally:
        engine.dispose()
    runs = "run " if len(outcome.runs) == 1 else "runs "
    sys.stderr.write(f"{suite}: host allowed as {outcome.host_reason}; stored as {runs}"
                     f"{', '.join(str(r.run_id) for r in outcome.runs)}\n")  # fmt: skip
    return [(run.source_id, run.result) for run in outcome.runs if run.result is not None]


def _results_table(results: list[tuple[str, SuiteResult]]) -> Table:
    table = new_table("operation", "spec", "status", "cases", "passed", "failed", "first failure")
    for name, result in results:
        for op in result.operations.values():
            first = (
                op.errors[0]
                if op.errors
                else (f"{op.failures[0].check}: {op.failures[0].title}" if op.failures else "")
            )
            table.add_row(op.label, name, op.status, str(op.cases), str(sum(op.checks_passed.values())),
                          str(sum(op.checks_failed.values())), one_line(first) or (op.skipped or ""))  # fmt: skip
    return table


def junit_xml(results: list[tuple[str, SuiteResult]]) -> str:
    """One testsuite per spec, one testcase per operation: its first failure as <failure>, its first error as <error>."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites")
    for name, result in results:
        _junit_suite(root, name, result)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _junit_suite(root: Any, name: str, result: SuiteResult) -> None:
    import xml.etree.ElementTree as ET

    ops = list(result.operations.values())
    suite = ET.SubElement(
        root,
        "testsuite",
        name=name,
        tests=str(len(ops)),
        failures=str(sum(op.status == "failed" for op in ops)),
        errors=str(sum(op.status == "error" for op in ops) + (1 if result.fatal else 0)),
        skipped=str(sum(op.status == "skipped" for op in ops)),
        time=f"{result.elapsed_s:.3f}",
    )
    for op in ops:
        case = ET.SubElement(suite, "testcase", classname=name, name=op.label)
        if op.errors:
            ET.SubElement(case, "error", message=one_line(op.errors[0])[:500]).text = "\n".join(op.errors)
        elif op.failures or op.checks_failed:
            first = op.failures[0] if op.failures else None
            message = f"{first.check}: {first.title}" if first else ", ".join(op.checks_failed)
            failure = ET.SubElement(case, "failure", message=one_line(message)[:500])
            failure.text = "\n\n".join(f"{f.check}: {f.title}\n{f.message}\n{f.curl}" for f in op.failures)
        elif op.status == "skipped":
            ET.SubElement(case, "skipped", message=op.skipped or "no cases")
    if result.fatal:
        case = ET.SubElement(suite, "testcase", classname=name, name="run")
        ET.SubElement(case, "error", message=one_line(result.fatal)[:500]).text = result.fatal
