"""Run one schemathesis suite against a sandbox and fold its events into our own result types.

This is the only module that imports schemathesis (pinned exactly in pyproject.toml: its engine API changes between
releases). Usage: `result = run_suite("ordersV0.json", "http://127.0.0.1:8000", operations=None, headers=...)`.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.limits.headers import rate_limit_headers
from monitor.redact import MASK, redact_text

# Signs one request as it is about to be sent: (method, url, body bytes, content type) -> (url to send, headers to
# add). Signed platforms (Shopee, Lazada, TikTok Shop) sign the exact URL and body bytes, so this runs on the
# prepared request, after schemathesis has serialised everything.
RequestSigning = Callable[[str, str, bytes, str], tuple[str, Mapping[str, str]]]

PHASES = ("examples", "coverage", "fuzzing", "stateful")
EXCERPT_CHARS = 2000
MESSAGE_CHARS = 4000


@dataclass(slots=True)
class Failure:
    """One failed check on one case, already redacted."""

    check: str
    title: str
    message: str
    status_code: int | None
    response_excerpt: str
    curl: str


@dataclass(slots=True)
class OperationResult:
    """What the run saw for one operation (label `METHOD /path`), across phases."""

    label: str
    cases: int = 0
    checks_passed: dict[str, int] = field(default_factory=dict)
    checks_failed: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    rate_limit_headers: dict[str, str] = field(default_factory=dict)  # the latest answer's, lower-case names
    rate_limit_seen_at: float | None = None  # epoch seconds of that answer
    throttled: int = 0  # answers with status 429 (Too Many Requests)
    throttled_at: float | None = None  # the latest of them

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        if self.failures or self.checks_failed:
            return "failed"
        if self.cases == 0:
            return "skipped"
        return "passed"


@dataclass(slots=True)
class SuiteResult:
    """A whole run: per-operation results, run-level errors, and whether the engine finished on its own terms."""

    operations: dict[str, OperationResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    fatal: str | None = None
    finished: bool = False
    stopped_by_budget: bool = False
    stop_reason: str | None = None
    seed: int | None = None
    elapsed_s: float = 0.0

    @property
    def failed(self) -> bool:
        """Failures, errors, a fatal error, or a stream that ended without `EngineFinished` all fail the run."""
        return (
            not self.finished
            or self.fatal is not None
            or bool(self.errors)
            or any(op.status in ("failed", "error") for op in self.operations.values())
        )

    @property
    def failures(self) -> list[Failure]:
        return [failure for op in self.operations.values() for failure in op.failures]


def run_suite(
    spec: str | Path | Mapping[str, Any],
    base_url: str,
    *,
    operations: list[str] | None = None,
    phases: Iterable[str] = ("examples",),
    max_examples: int = 20,
    seed: int | None = 0,
    time_budget_s: float = 300.0,
    headers: Mapping[str, str] | None = None,
    rate_limit: str | None = None,
    request_timeout_s: float = 10.0,
    allowed_methods: Iterable[str] | None = None,
    secrets: Iterable[str] = (),
    on_operation: Callable[[OperationResult], None] | None = None,
    signing: RequestSigning | None = None,
    on_exchange: Callable[[dict[str, Any]], None] | None = None,
) -> SuiteResult:
    """Run the given phases of a schemathesis suite against `base_url` and return our own result.

    Usage: `run_suite(spec_dict, "http://127.0.0.1:8000", operations=["getOrders"], headers={"x-amz-access-token": t})`.

    Parameters:
        spec: a spec file path or an already loaded spec dict (OpenAPI 3.x or Swagger 2.0); a dict is not modified.
        base_url: the sandbox's base URL; the spec's own servers/host are ignored.
        operations: operationIds or `METHOD /path` labels to test; all operations when None.
        phases: schemathesis test phases to enable (examples, coverage, fuzzing, stateful).
        max_examples: Hypothesis examples per operation and phase.
        seed: fixed seed for repeatable runs; None for a random one.
        time_budget_s: wall-clock budget; when spent, the engine is asked to stop and the run is marked as such.
        headers: headers sent with every request (auth); their values are masked everywhere in the result.
        rate_limit: schemathesis rate limit such as `5/s`.
        request_timeout_s: per-request timeout, so one hung request cannot outlive the budget by much.
        allowed_methods: only operations with these HTTP methods run (the production guard's safe methods); the
            others are reported as skipped, never sent.
        secrets: more values to mask everywhere in the result (a client secret or refresh token the auth provider
            used to get the header values, which a careless server may still echo).
        on_operation: called after each operation's scenario finishes (a progress bar).
        signing: signs every request just before it is sent (see `RequestSigning`); what it adds is masked through
            `secrets` like the headers.
        on_exchange: called with each request and answer as a HAR entry (unmasked: the caller masks it), so the
            answers can be observed against the contract (monitor.traffic).
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events

    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"unknown phases: {sorted(unknown)}")
    headers = dict(headers or {})
    secrets = [value for value in (*headers.values(), *secrets) if value]
    result = SuiteResult(seed=seed)
    started = time.monotonic()

    _private_hypothesis_home()
    with tempfile.TemporaryDirectory(prefix="monitor-st-") as private:
        config = SchemathesisConfig.from_dict(
            _config_dict(base_url, phases, max_examples, seed, headers, rate_limit, request_timeout_s, private)
        )
        try:
            schema = schemathesis.openapi.from_dict(with_sandbox_examples(load_document(spec)), config=config)
            if signing is not None:
                schema.auth.set_from_requests(_signing_auth(signing))
            if operations:
                wanted = set(operations)
                schema = schema.include(lambda ctx: ctx.operation.label in wanted or _operation_id(ctx) in wanted)
            if allowed_methods is not None:
                allowed = {m.upper() for m in allowed_methods}
                for operation in _operations_of(schema):
                    if operation.method.upper() not in allowed:
                        skipped = _operation(result, operation.label)
                        skipped.skipped = f"{operation.method.upper()} is not sent to this host (safe methods only)"
                schema = schema.include(lambda ctx: ctx.operation.method.upper() in allowed)
        except Exception as exc:  # loader errors are many types; all of them end the run the same way
            result.fatal = _bounded(redact_text(f"{type(exc).__name__}: {exc}", secrets), MESSAGE_CHARS)
            result.elapsed_s = time.monotonic() - started
            return result

        stream = schemathesis.engine.from_schema(schema).execute()
        try:
            for event in stream:
                if isinstance(event, events.ScenarioFinished):
                    _fold(result, event, secrets)
                    if on_exchange is not None:
                        for interaction in event.recorder.interactions.values():
                            on_exchange(_har_entry(interaction))
                    if on_operation is not None:
                        on_operation(result.operations[event.recorder.label])
                elif isinstance(event, events.NonFatalError):
                    text = _bounded(redact_text(f"{event.label}: {event.info.format()}", secrets), MESSAGE_CHARS)
                    if event.related_to_operation:
                        _operation(result, event.label).errors.append(text)
                    else:
                        result.errors.append(text)
                elif isinstance(event, events.FatalError):
                    result.fatal = _bounded(
                        redact_text(f"{type(event.exception).__name__}: {event.exception}", secrets), MESSAGE_CHARS
                    )
                elif isinstance(event, events.EngineFinished):
                    result.finished = True
                    result.stop_reason = str(event.stop_reason)
                if not result.stopped_by_budget and time.monotonic() - started > time_budget_s:
                    result.stopped_by_budget = True
                    stream.stop()
        finally:
            stream.generator.close()
    result.elapsed_s = time.monotonic() - started
    return result


def _signing_auth(signing: RequestSigning) -> Any:
    """A `requests` auth hook: it sees the prepared request, so the signature covers exactly what is sent."""
    import requests

    class SigningAuth(requests.auth.AuthBase):
        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            body = request.body or b""
            raw = body.encode("utf-8") if isinstance(body, str) else body if isinstance(body, bytes) else b""
            url, headers = signing(request.method or "GET", request.url or "", raw,
                                   request.headers.get("Content-Type", ""))  # fmt: skip
            request.url = url
            request.headers.update(headers)
            return request

    return SigningAuth()


def _config_dict(
    base_url: str,
    phases: Iterable[str],
    max_examples: int,
    seed: int | None,
    headers: Mapping[str, str],
    rate_limit: str | None,
    request_timeout_s: float,
    private: str,
) -> dict[str, Any]:
    """Everything set explicitly, so no `schemathesis.toml` in the working directory can change a run."""
    from schemathesis.config._output import DEFAULT_KEYS_TO_SANITIZE, DEFAULT_SENSITIVE_MARKERS

    enabled = set(phases)
    data: dict[str, Any] = {
        "color": False,
        "max-failures": None,
        "cache": {"enabled": False, "directory": str(Path(private) / "cache")},
        "output": {
            "sanitization": {
                "enabled": True,
                "keys-to-sanitize": sorted({*DEFAULT_KEYS_TO_SANITIZE, *(name.lower() for name in headers)}),
                "sensitive-markers": list(DEFAULT_SENSITIVE_MARKERS),
                "replacement": MASK,
            }
        },
        "base-url": base_url,
        "headers": dict(headers),
        "workers": 1,
        "request-timeout": request_timeout_s,
        "phases": {name: {"enabled": name in enabled} for name in PHASES},
        # Hypothesis's example database stays inside this run's private folder and dies with it.
        "generation": {"max-examples": max_examples, "database": str(Path(private) / "hypothesis")},
    }
    # Operations with 2xx sandbox cases get them as explicit examples (`with_sandbox_examples`); for the rest, which
    # have no request examples at all, filling the gaps lets the examples phase send one request instead of skipping
    # the operation. schemathesis 4.32.5 consults fill-missing only when an operation has no example at all.
    data["phases"]["examples"]["fill-missing"] = True
    # Values captured from earlier responses would otherwise replace the sandbox values in example requests (an
    # orderId seen in one operation's answer sent to another), and the sandbox only recognises its own values.
    data["phases"]["examples"]["extra-data-sources"] = {"responses": False}
    data = {key: value for key, value in data.items() if value is not None}
    if seed is not None:
        data["seed"] = seed
    if rate_limit:
        data["rate-limit"] = rate_limit
    return data


_HYPOTHESIS_HOME: list[str] = []
_HYPOTHESIS_HOME_LOCK = threading.Lock()


def _private_hypothesis_home() -> None:
    """Point Hypothesis's storage (its unicode tables) at a private folder instead of `.hypothesis` in the cwd.

    Hypothesis keeps this setting per process, so it is set once, to one folder that all runs share and that
    holds no test data (the example database is per run, see `_config_dict`). The folder is our cache directory
    ($MONITOR_CACHE_DIR, else $XDG_CACHE_HOME/monitor, else ~/.cache/monitor), so the character tables Hypothesis
    builds on first use (1.4 s) are built once per machine, not once per process; a temporary folder if that
    cannot be created.
    """
    from hypothesis.configuration import set_hypothesis_home_dir

    with _HYPOTHESIS_HOME_LOCK:
        if not _HYPOTHESIS_HOME:
            _HYPOTHESIS_HOME.append(_cache_dir("hypothesis"))
            set_hypothesis_home_dir(_HYPOTHESIS_HOME[0])


def _cache_dir(name: str) -> str:
    import os

    base = os.environ.get("MONITOR_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "monitor"
    )
    folder = Path(base) / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(folder)
    except OSError:  # a read-only home (a locked-down container): a private temporary folder still works
        return tempfile.mkdtemp(prefix=f"monitor-{name}-")


def load_document(spec: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A private deep copy of the spec dict, or the parsed file (JSON or YAML); OSError or ValueError if neither."""
    import copy

    if isinstance(spec, Mapping):
        return copy.deepcopy(dict(spec))
    import json

    text = Path(spec).read_text(encoding="utf-8")
    try:
        loaded = json.loads(text)
    except ValueError:
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{spec}: neither JSON nor YAML ({type(exc).__name__})") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{spec}: not an OpenAPI document (top level is {type(loaded).__name__})")
    return loaded


def with_sandbox_examples(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `spec` whose operations carry their 2xx `x-amzn-api-sandbox.static` requests as examples.

    Case `i` of an operation becomes the named example `sandbox-<i>` (`x-examples: {name: {"value": v}}`) on every
    parameter the case sets; schemathesis lines equally named examples up into one request, so each 2xx case yields
    one request the sandbox recognises. A case's `body` (or the body parameter's own name) becomes an `x-examples`
    entry on the body parameter. Parameters given by `$ref` are inlined first, so a shared definition is never
    annotated for another operation. Error-code cases are left out: they are negative requests by design.
    """
    import copy

    root = copy.deepcopy(dict(spec))
    paths = root.get("paths")
    for item in paths.values() if isinstance(paths, dict) else []:
        if not isinstance(item, dict):
            continue
        shared = [_deref(root, p) for p in item.get("parameters", []) if isinstance(item.get("parameters"), list)]
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict) or not isinstance(op.get("responses"), dict):
                continue
            cases = _sandbox_2xx_requests(root, op["responses"])
            if not cases:
                continue
            own = [copy.deepcopy(_deref(root, p)) for p in op.get("parameters", []) if isinstance(p, dict)]
            own_names = {(p.get("name"), p.get("in")) for p in own if isinstance(p, dict)}
            # path-level parameters are copied onto the operation (an operation's own definition wins), so the
            # examples of one operation do not leak into its siblings
            inherited = [copy.deepcopy(p) for p in shared if isinstance(p, dict)]
            params = own + [p for p in inherited if (p.get("name"), p.get("in")) not in own_names]
            by_name = {p["name"]: p for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)}
            body = next((p for p in params if isinstance(p, dict) and p.get("in") == "body"), None)
            for index, values in enumerate(cases):
                for name, value in values.items():
                    target = body if name == "body" and "body" not in by_name else by_name.get(name)
                    if target is None:
                        continue
                    examples = target.setdefault("x-examples", {})
                    if isinstance(examples, dict):
                        examples[f"sandbox-{index}"] = {"value": value}
            op["parameters"] = params
    return root


def _sandbox_2xx_requests(root: dict[str, Any], responses: dict[str, Any]) -> list[dict[str, Any]]:
    """The request parameters of every 2xx static sandbox case, `{"value": v}` wrappers removed, in order."""
    found: list[dict[str, Any]] = []
    for code, raw in responses.items():
        response = _deref(root, raw)
        if not (str(code).startswith("2") and isinstance(response, dict)):
            continue
        sandbox = response.get("x-amzn-api-sandbox")
        static = sandbox.get("static") if isinstance(sandbox, dict) else None
        for entry in static if isinstance(static, list) else []:
            request = entry.get("request") if isinstance(entry, dict) else None
            raw_params = request.get("parameters") if isinstance(request, dict) else None
            if not isinstance(raw_params, dict):
                continue
            found.append({k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in raw_params.items()})
    return found


def _deref(root: dict[str, Any], node: Any) -> Any:
    """Follow local `#/...` references (a few hops at most); anything else is returned as is."""
    for _ in range(8):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return node
            target = target[part]
        node = target
    return node


def _operations_of(schema: Any) -> Iterator[Any]:
    """The operations a (filtered) schema will test; loading errors are the engine's to report, not ours."""
    for item in schema.get_all_operations():
        operation = getattr(item, "ok", lambda: None)()
        if operation is not None:
            yield operation


def _operation_id(ctx: Any) -> str | None:
    definition = getattr(ctx.operation, "definition", None)
    raw = getattr(definition, "raw", None)
    return raw.get("operationId") if isinstance(raw, dict) else None


def _operation(result: SuiteResult, label: str) -> OperationResult:
    op = result.operations.get(label)
    if op is None:
        op = result.operations[label] = OperationResult(label=label)
    return op


def _fold(result: SuiteResult, event: Any, secrets: list[str]) -> None:
    recorder = event.recorder
    op = _operation(result, recorder.label)
    if event.skip_reason and not recorder.cases:
        op.skipped = event.skip_reason
    op.cases += len(recorder.cases)
    _fold_rate_limits(op, recorder, secrets)
    seen: set[tuple[str, str, str]] = set()
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            status = str(node.status)
            if status == "success":
                op.checks_passed[node.name] = op.checks_passed.get(node.name, 0) + 1
                continue
            op.checks_failed[node.name] = op.checks_failed.get(node.name, 0) + 1
            info = node.failure_info
            if info is None:
                continue
            key = (node.name, info.failure.title, info.failure.message)
            if key in seen:  # schemathesis reports one failure per distinct problem; so do we
                continue
            seen.add(key)
            op.failures.append(_failure(recorder, case_id, node.name, info, secrets))


def _fold_rate_limits(op: OperationResult, recorder: Any, secrets: list[str]) -> None:
    """The rate-limit headers real answers carry and the 429s met: observed limits, stored per operation."""
    for interaction in sorted(recorder.interactions.values(), key=lambda i: i.timestamp):
        response = interaction.response
        if response is None:
            continue
        if response.status_code == 429:
            op.throttled += 1
            op.throttled_at = interaction.timestamp
        found = rate_limit_headers(response.headers)
        if found:
            op.rate_limit_headers = {k: redact_text(v, secrets) for k, v in found.items()}
            op.rate_limit_seen_at = interaction.timestamp


def _failure(recorder: Any, case_id: str, check: str, info: Any, secrets: list[str]) -> Failure:
    interaction = recorder.interactions.get(case_id)
    response = interaction.response if interaction is not None else None
    status_code = response.status_code if response is not None else None
    excerpt = ""
    if response is not None and response.content:
        excerpt = _bounded(response.content.decode(response.encoding or "utf-8", errors="replace"), EXCERPT_CHARS)
    return Failure(
        check=check,
        title=redact_text(info.failure.title, secrets),
        message=_bounded(redact_text(info.failure.message, secrets), MESSAGE_CHARS),
        status_code=status_code,
        response_excerpt=redact_text(excerpt, secrets),
        curl=_bounded(redact_text(info.code_sample or "", secrets), MESSAGE_CHARS),
    )


def _har_entry(interaction: Any) -> dict[str, Any]:
    """One schemathesis interaction as a HAR entry (the format monitor.traffic reads)."""
    import base64
    from datetime import UTC, datetime

    request, response = interaction.request, interaction.response

    def headers(raw: Any) -> list[dict[str, str]]:
        return [{"name": k, "value": v} for k, values in (raw or {}).items() for v in (values or [""])]

    def content_type(raw: Any) -> str:
        return next((v[0] for k, v in (raw or {}).items() if k.lower() == "content-type" and v), "")

    entry: dict[str, Any] = {
        "startedDateTime": datetime.fromtimestamp(interaction.timestamp, UTC).isoformat().replace("+00:00", "Z"),
        "request": {"method": request.method, "url": request.uri, "headers": headers(request.headers)},
        "response": {"status": response.status_code if response is not None else 0, "headers": [], "content": {}},
    }
    if request.body:
        entry["request"]["postData"] = {"mimeType": content_type(request.headers),
                                        "text": base64.b64encode(request.body).decode(), "encoding": "base64"}  # fmt: skip
    if response is not None:
        entry["response"]["headers"] = headers(response.headers)
        entry["response"]["content"] = {"mimeType": content_type(response.headers), "encoding": "base64",
                                        "text": base64.b64encode(response.content or b"").decode()}  # fmt: skip
    return entry


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"
