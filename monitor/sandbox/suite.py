"""A platform's sandbox suite end to end: guard the host, authenticate, test each contract spec, scrub, store.

Usage: `outcome = run_platform_suite(settings, engine, "amazon-sp-api")`; the scheduler runs the same function as the
`contract-tests` job (one per platform with a sandbox), `monitor test SUITE` runs it now.

The spec a suite tests is the contract (the version the integration was built against): the committed contract file,
else the stored contract, else the latest stored upstream version. The operations are the sandbox's `operations`,
else those the integrations use, else all of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from monitor.alerts.hooks import enqueue_contract_run
from monitor.config import Sandbox, Settings
from monitor.contracts import contract_file, usage_for
from monitor.engine import Spec, load_spec_bytes
from monitor.engine.filters import normalise_operation_ref
from monitor.errors import InputError, SandboxError
from monitor.limits.store import observed_rows, record_observed
from monitor.redact import redact_text, redact_url, secrets_in_url
from monitor.sandbox.auth import Outgoing, RequestSigner, provider_for
from monitor.sandbox.guard import check_sandbox_host
from monitor.sandbox.runner import OperationResult, SuiteResult, run_suite
from monitor.store import queries
from monitor.store.models import ContractRun, Source, SpecSnapshot, utcnow
from monitor.store.session import session_scope

log = logging.getLogger(__name__)

JOB = "contract-tests"
MAX_STORED_FAILURES = 10  # per operation and run: enough to act on, bounded against a fuzzing storm


@dataclass(slots=True)
class SpecRun:
    """One spec of the suite: the stored run's id, its status and (when it ran) the engine's result."""

    source_id: str
    run_id: int
    status: str  # passed, failed, error
    error: str | None = None
    result: SuiteResult | None = None


@dataclass(slots=True)
class SuiteOutcome:
    suite: str
    host_reason: str  # why the guard let the host through: amazon-sandbox, loopback, declared, production
    runs: list[SpecRun] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {run.status for run in self.runs}
        return "error" if "error" in statuses else "failed" if "failed" in statuses else "passed"

    def counts(self) -> dict[str, Any]:
        ops = [op for run in self.runs if run.result for op in run.result.operations.values()]
        return {
            "status": self.status,
            "specs": len(self.runs),
            "operations": len(ops),
            "passed": sum(op.status == "passed" for op in ops),
            "failed": sum(op.status == "failed" for op in ops),
            "errors": sum(op.status == "error" for op in ops),
            "skipped": sum(op.status == "skipped" for op in ops),
            "cases": sum(op.cases for op in ops),
            "run_ids": [run.run_id for run in self.runs],
        }


def sandbox_of(settings: Settings, suite: str) -> Sandbox:
    platform = settings.platforms.get(suite)
    if platform is None or platform.sandbox is None:
        known = [name for name, p in settings.platforms.items() if p.sandbox is not None]
        raise InputError(f"{suite}: no sandbox suite in the configuration (suites: {', '.join(known) or 'none'})")
    return platform.sandbox


def suite_sources(settings: Settings, suite: str) -> list[str]:
    """The spec sources (`platform/name`) the suite tests, in config order."""
    sandbox = sandbox_of(settings, suite)
    specs = settings.platforms[suite].specs
    names = sandbox.specs if sandbox.specs is not None else list(specs)
    # A platform without a published spec (Shopee, Lazada, TikTok Shop) tests its committed or learned contract:
    # contracts/<platform>/<name>.json names a suite spec as well as a spec source does.
    unknown = [
        name for name in names if name not in specs and contract_file(settings.contracts_dir, f"{suite}/{name}") is None
    ]
    if unknown:
        raise InputError(
            f"{suite}: sandbox.specs names unknown spec source(s) with no contract file: {', '.join(unknown)}"
        )
    if not names:
        raise InputError(f"{suite}: the platform has no spec sources for its sandbox suite to test")
    return [f"{suite}/{name}" for name in names]


def run_platform_suite(
    settings: Settings,
    engine: Engine,
    suite: str,
    *,
    now: datetime | None = None,
    job_run_id: int | None = None,
    on_operation: Callable[[str, OperationResult], None] | None = None,
) -> SuiteOutcome:
    """Run the suite of platform `suite` against its sandbox and store one ContractRun per spec.

    Raises `BlockedHostError` (the production guard) or `InputError` before anything is sent or stored; a token
    endpoint or spec problem is stored as an errored run and then raised as `SandboxError`, so a scheduled job is
    recorded as failed with the same one-line reason.
    """
    sandbox = sandbox_of(settings, suite)
    sources = suite_sources(settings, suite)
    policy = check_sandbox_host(sandbox.base_url, declared_sandbox=sandbox.is_sandbox,
                                allow_production=sandbox.allow_production)  # fmt: skip
    provider = provider_for(sandbox.auth, base_url=sandbox.base_url)
    signing = _signing(provider) if isinstance(provider, RequestSigner) else None
    outcome = SuiteOutcome(suite=suite, host_reason=policy.reason)
    deadline = time.monotonic() + sandbox.time_budget.total_seconds()
    try:
        for source_id in sources:
            started = now or utcnow()
            secrets = [*provider.secrets(), *secrets_in_url(sandbox.base_url)]
            with session_scope(engine) as session:
                run = queries.start_contract_run(session=session, suite=suite, source_id=source_id,
                                                 base_url=redact_url(sandbox.base_url), phases=list(sandbox.phases),
                                                 seed=sandbox.seed, job_run_id=job_run_id, now=started)  # fmt: skip
                run_id = run.id or 0
            try:
                spec = _contract_spec(settings, engine, source_id)
                headers = provider.headers()  # after the spec: a missing contract is reported before a token is fetched
                secrets += [value for value in headers.values() if value]
                answers: list[dict[str, Any]] = []
                result = run_suite(
                    spec.root,
                    sandbox.base_url,
                    operations=_operations(settings, sandbox, source_id, spec),
                    phases=sandbox.phases,
                    max_examples=sandbox.max_examples,
                    seed=sandbox.seed,
                    time_budget_s=max(1.0, deadline - time.monotonic()),
                    headers=headers,
                    rate_limit=sandbox.rate_limit,
                    request_timeout_s=sandbox.request_timeout.total_seconds(),
                    allowed_methods=policy.allowed_methods if policy.production else None,
                    secrets=[*secrets, *provider.secrets()],
                    on_operation=(lambda op, sid=source_id: on_operation(sid, op)) if on_operation else None,
                    signing=signing,
                    on_exchange=_collector(settings, source_id, answers),
                )
                if isinstance(provider, RequestSigner):
                    _auth_errors(result, provider)
            except InputError:  # a configuration problem: the run is closed as an error, the reason raised as is
                _finish(engine, run_id, "error", {}, "configuration problem", [])
                raise
            except SandboxError as exc:
                error = redact_text(str(exc), secrets)
                _finish(engine, run_id, "error", {}, error, [])
                outcome.runs.append(SpecRun(source_id, run_id, "error", error))
                raise SandboxError(f"{suite}: {error}") from None
            status, error = _status(result, sandbox)
            ids = {op.label: op.operation_id for op in spec.operations.values()}
            rows = [_row(op, ids.get(op.label)) for op in result.operations.values()]
            counts = {"operations": len(rows), "cases": sum(op.cases for op in result.operations.values()),
                      "elapsed_s": round(result.elapsed_s, 3), "stopped_by_budget": result.stopped_by_budget}  # fmt: skip
            observed = observed_rows(result.operations.values())
            _finish(engine, run_id, status, counts, redact_text(error, secrets) if error else None, rows, observed)
            outcome.runs.append(SpecRun(source_id, run_id, status, error, result))
            _observe_answers(settings, engine, source_id, run_id, answers, secrets)
    finally:
        provider.close()  # the token grant's own HTTP client
    return outcome


def _signing(provider: RequestSigner) -> Callable[[str, str, bytes, str], tuple[str, dict[str, str]]]:
    def sign(method: str, url: str, body: bytes, content_type: str) -> tuple[str, dict[str, str]]:
        signed = provider.sign(Outgoing(method, url, body, content_type))
        return signed.url, dict(signed.headers)

    return sign


def _auth_errors(result: SuiteResult, provider: RequestSigner) -> None:
    """Answers that are the platform's refusal of our credentials make the run an error, not a contract failure:
    the sandbox never got to show whether it conforms, and a wrong key must read as a wrong key."""
    first: str | None = None
    for op in result.operations.values():
        for failure in op.failures:
            reason = provider.auth_error(failure.status_code, failure.response_excerpt)
            if reason is not None:
                op.errors.append(f"authentication failed: {reason}")
                first = first or reason
                break
    if first is not None:
        result.errors.append(f"authentication failed: {first}; check the sandbox auth keys, tokens and clock")


MAX_OBSERVED_ANSWERS = 5000  # per run and spec: a fuzzing run's answers beyond this are not observed


def _collector(
    settings: Settings, source_id: str, answers: list[dict[str, Any]]
) -> Callable[[dict[str, Any]], None] | None:
    """Collects the run's answers when the platform observes its contract runs (`observe: <name>: contract_runs`)."""
    platform, _, name = source_id.partition("/")
    config = settings.platforms.get(platform)
    observe = config.observe.get(name) if config is not None else None
    if observe is None or not observe.contract_runs:
        return None
    return lambda entry: answers.append(entry) if len(answers) < MAX_OBSERVED_ANSWERS else None


def _observe_answers(settings: Settings, engine: Engine, source_id: str, run_id: int, answers: list[dict[str, Any]],
                     secrets: list[str]) -> None:  # fmt: skip
    """The run's answers checked against the contract; a failure here is logged, never the run's failure."""
    if not answers:
        return
    from monitor.traffic.service import observe_run_answers

    try:
        observe_run_answers(settings=settings, engine=engine, source_id=source_id, run_id=run_id, entries=answers)
    except Exception as exc:  # the run itself is stored; observing is a second opinion on its answers
        log.error("%s: observing the answers of run %s failed: %s", source_id, run_id, redact_text(str(exc), secrets))


def _finish(engine: Engine, run_id: int, status: str, counts: dict[str, Any], error: str | None,
            rows: list[dict[str, Any]], observed: list[dict[str, Any]] | None = None) -> None:  # fmt: skip
    with session_scope(engine) as session:
        run = session.get(ContractRun, run_id)
        assert run is not None
        queries.finish_contract_run(session=session, run=run, status=status, counts=counts, error=error, results=rows)
        record_observed(session=session, run=run, rows=observed or [], now=run.finished_at or utcnow())
        enqueue_contract_run(session=session, run=run, results=rows)  # the alert outbox, in the same transaction


def _status(result: SuiteResult, sandbox: Sandbox) -> tuple[str, str | None]:
    """error: the run could not say whether the sandbox conforms; failed: it conforms not; passed."""
    if result.fatal:
        return "error", result.fatal
    if result.errors:
        return "error", result.errors[0]
    if result.stopped_by_budget:
        return "error", f"stopped: the time budget of {sandbox.time_budget} was spent"
    if not result.finished:
        return "error", "the test engine stopped before finishing"
    if any(op.status == "error" for op in result.operations.values()):
        return "error", next(op.errors[0] for op in result.operations.values() if op.errors)
    if any(op.status == "failed" for op in result.operations.values()):
        return "failed", None
    return "passed", None


def _row(op: OperationResult, operation_id: str | None) -> dict[str, Any]:
    """An OperationResult row (the runner already masked every text with the run's secrets)."""
    failures = [
        {"check": f.check, "title": f.title, "message": f.message, "status_code": f.status_code,
         "response_excerpt": f.response_excerpt, "curl": f.curl}
        for f in op.failures[:MAX_STORED_FAILURES]
    ]  # fmt: skip
    return {
        "operation": op.label,
        "operation_id": operation_id,
        "status": op.status,
        "cases": op.cases,
        "checks_passed": dict(op.checks_passed),
        "checks_failed": dict(op.checks_failed),
        "failures": failures,
        "errors": list(op.errors[:MAX_STORED_FAILURES]) + ([op.skipped] if op.skipped else []),
    }


def _contract_spec(settings: Settings, engine: Engine, source_id: str) -> Spec:
    """The contract file, else the stored contract, else the latest stored upstream version."""
    path = contract_file(settings.contracts_dir, source_id)
    if path is not None:
        try:
            return load_spec_bytes(path.read_bytes(), str(path))
        except Exception as exc:  # an EngineError (malformed) or an OSError: the run cannot start
            raise SandboxError(f"contract file {path}: {exc}") from None
    with session_scope(engine) as session:
        contract = queries.get_contract(session=session, source_id=source_id)
        snapshot = session.get(SpecSnapshot, contract.snapshot_id) if contract is not None else None
        if snapshot is None:
            source = session.get(Source, source_id)
            snapshot = queries.current_snapshot(session=session, source=source) if source is not None else None
        if snapshot is None:
            raise SandboxError(f"no contract and no stored version of {source_id} yet: run `monitor check` first")
        body, name = queries.snapshot_body(snapshot), f"snapshot {snapshot.id} of {source_id}"
    return load_spec_bytes(body, name)


def _operations(settings: Settings, sandbox: Sandbox, source_id: str, spec: Spec) -> list[str] | None:
    """Labels (`METHOD /path`) to test: the sandbox's list, else what the integrations use; None means all."""
    if sandbox.operations is not None:
        refs = {normalise_operation_ref(ref) for ref in sandbox.operations}
    else:
        usage = usage_for(settings, source_id)
        if usage is None:
            return None
        refs = set(usage.operations)
    labels = [op.label for op in spec.operations.values() if op.key in refs or op.operation_id in refs]
    if not labels:  # never "all operations" by accident: an empty selection is a configuration problem
        what = "sandbox.operations" if sandbox.operations is not None else "the operations the integrations use"
        raise InputError(f"{source_id}: none of {what} is in the contract spec")
    return labels
