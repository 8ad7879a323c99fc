"""Open endpoints for orchestrators and Prometheus: liveness, readiness (the database takes a write), metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.api.deps import EngineDep
from monitor.api.schemas import ErrorPublic, HealthPublic
from monitor.redact import error_line
from monitor.store.probe import write_probe

log = logging.getLogger("monitor.api")

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
def healthz() -> HealthPublic:
    """The process answers."""
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=HealthPublic,
            responses={503: {"model": ErrorPublic, "description": "The database is unreachable or refuses writes"}})  # fmt: skip
def readyz(engine: EngineDep) -> JSONResponse:
    """The database takes a write: one heartbeat row rewritten and committed (a read alone passes on a full disk)."""
    try:
        write_probe(engine)
    except Exception as exc:
        log.warning("not ready: %s", error_line(exc))
        return JSONResponse({"error": "unavailable", "message": "the database is unreachable or refuses writes"},
                            status_code=503)  # fmt: skip
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format"}})  # fmt: skip
def metrics(request: Request) -> Response:
    """Prometheus metrics: gate decisions and timings, source health, drift, active waivers."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
