"""Ask a running status API for a gate decision (the pipeline side of `monitor gate --url`)."""

from __future__ import annotations

from typing import Any

import httpx

from monitor.errors import InputError, UpstreamError
from monitor.gate.decision import UnknownTarget
from monitor.redact import redact_url

TIMEOUT_S = 10.0


class GateUnavailable(UpstreamError):
    """The status API is unreachable or could not evaluate (503): the answer is unknown, worth a retry."""


def fetch_decision(
    *, url: str, token: str | None, integration: str, environment: str, version: str | None = None,
    timeout_s: float = TIMEOUT_S,
) -> dict[str, Any]:  # fmt: skip
    """The decision's JSON. Raises UnknownTarget (404), InputError (401/403/4xx) or GateUnavailable."""
    params = {"integration": integration, "environment": environment}
    if version:
        params["version"] = version
    body: dict[str, Any] = call("GET", url, "/api/v1/gate", token=token, params=params, timeout_s=timeout_s)
    return body


def call(
    method: str, url: str, path: str, *, token: str | None, params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None, timeout_s: float = TIMEOUT_S,
) -> Any:  # fmt: skip
    """One request to the status API; its JSON on 2xx, else the error tree's exception with the API's message."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    endpoint = url.rstrip("/") + path
    shown = redact_url(endpoint)
    try:
        response = httpx.request(method, endpoint, params=params, json=json, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise GateUnavailable(f"{shown}: {type(exc).__name__}: {exc}") from exc
    message = _message(response)
    if response.is_success:
        try:
            return response.json()
        except ValueError as exc:
            raise GateUnavailable(f"{shown}: the answer is not JSON") from exc
    if response.status_code == 404:
        raise UnknownTarget(f"{shown}: {message}")
    if response.status_code in (401, 403):
        raise InputError(f"{shown}: HTTP {response.status_code}: {message} (check --token or --token-env)")
    if 400 <= response.status_code < 500:
        raise InputError(f"{shown}: HTTP {response.status_code}: {message}")
    raise GateUnavailable(f"{shown}: HTTP {response.status_code}: {message}")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return str(body.get("message") or body.get("error") or response.reason_phrase) if isinstance(body, dict) else ""
