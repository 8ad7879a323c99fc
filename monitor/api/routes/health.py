"""Open endpoints for orchestrators and Prometheus: liveness, readiness (the database answers), metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from monitor.api.deps import EngineDep
from monitor.api.schemas import ErrorPublic, HealthPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
def healthz() -> HealthPublic:
    """The process answers."""
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=HealthPublic,
            responses={503: {"model": ErrorPublic, "description": "The database is unreachable"}})  # fmt: skip
def readyz(engine: EngineDep) -> JSONResponse:
    """The database answers a query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"error": "unavailable", "message": "the database is unreachable"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format"}})  # fmt: skip
def metrics(request: Request) -> Response:
    """Prometheus metrics: gate decisions and timings, source health, drift, active waivers."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
