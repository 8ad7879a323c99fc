"""`monitor sandbox serve` and `monitor test`: the replica sandbox and contract test runs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.app import (
    EXIT_FINDING,
    EXIT_UNKNOWN,
    app,
)
from monitor.cli.common import new_table, one_line, print_table, write_json

sandbox_app = typer.Typer(help="A local replica of an API, served from its spec's sandbox cases.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    spec: Annotated[Path, typer.Argument(help="The spec whose x-amzn-api-sandbox cases and examples to serve.")],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8081,
    allow_external_refs: Annotated[
        bool, typer.Option(help="Follow $refs to other files inside the spec's own folder.")
    ] = False,
) -> None:
    """Serve SPEC's static sandbox cases (most specific match; 400 when none) until SIGINT/SIGTERM."""
    import uvicorn

    from monitor.engine import load_spec
    from monitor.sandbox.replica import build_replica

    replica = build_replica(load_spec(spec, allow_external_refs=allow_external_refs))
    sys.stderr.write(f"sandbox replica of {spec} on http://{host}:{port}\n")
    uvicorn.run(replica, host=host, port=port, log_level="warning")


class TestFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("test")
def test_command(
    spec: Annotated[Path, typer.Argument(help="The spec to test (JSON or YAML; Swagger 2.0 or OpenAPI 3.x).")],
    base_url: Annotated[str, typer.Option("--base-url", help="The API (or sandbox replica) to send requests to.")],
    operation: Annotated[
        list[str] | None, typer.Option("--operation", help="operationId or `METHOD /path` to test; repeatable.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")] = None,
    format: Annotated[TestFormat, typer.Option("--format", "-f", help="Output format.")] = TestFormat.text,
    time_budget: Annotated[float, typer.Option(help="Wall-clock budget in seconds.", min=0)] = 300.0,
) -> None:
    """Replay SPEC's examples (sandbox cases first) against BASE_URL; exit 0 all passed, 1 failures, 3 errors."""
    from monitor.engine import load_spec
    from monitor.errors import InputError
    from monitor.sandbox.runner import run_suite

    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    loaded = load_spec(spec)  # a missing or malformed spec is bad input (exit 2), not a failed run
    known = {op.label for op in loaded.operations.values()} | {
        op.operation_id for op in loaded.operations.values() if op.operation_id
    }
    unknown = sorted(set(operation or ()) - known)
    if unknown:
        raise InputError(f"{spec}: no such operation: {', '.join(unknown)}")
    result = run_suite(spec, base_url, operations=operation or None, time_budget_s=time_budget)
    if junit is not None:
        junit.write_text(junit_xml(str(spec), result), encoding="utf-8")
    if format is TestFormat.json:
        from dataclasses import asdict

        write_json([{"label": op.label, "status": op.status, **asdict(op)} for op in result.operations.values()])
    else:
        table = new_table("operation", "status", "cases", "passed", "failed", "first failure")
        for op in result.operations.values():
            first = (
                op.errors[0]
                if op.errors
                else (f"{op.failures[0].check}: {op.failures[0].title}" if op.failures else "")
            )
            table.add_row(
                op.label,
                op.status,
                str(op.cases),
                str(sum(op.checks_passed.values())),
                str(sum(op.checks_failed.values())),
                one_line(first) or (op.skipped or ""),
            )
        print_table(table)
    problem = result.fatal or (result.errors[0] if result.errors else None)
    if problem is not None:
        sys.stderr.write(f"error: {one_line(problem)}\n")
    if problem is not None or not result.finished or any(op.status == "error" for op in result.operations.values()):
        raise typer.Exit(EXIT_UNKNOWN)
    if result.failed:
        raise typer.Exit(EXIT_FINDING)


def junit_xml(name: str, result: Any) -> str:
    """One testsuite, one testcase per operation: its first failure as <failure>, its first error as <error>."""
    import xml.etree.ElementTree as ET

    ops = list(result.operations.values())
    suite = ET.Element(
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
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
