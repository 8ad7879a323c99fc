"""Build the FastAPI app: state, error handlers and routers; no route logic lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import Engine

from monitor.api import errors
from monitor.api.head import HeadAsGet
from monitor.api.headers import ResponseHeaders
from monitor.api.limits import RequestLimits
from monitor.api.metrics import Metrics
from monitor.api.routes import acks, audit, gate, health, limits, status
from monitor.config import Settings
from monitor.gate.service import GateService
from monitor.health import Heartbeat, heartbeat
from monitor.reports.routes import build_router as reports_router
from monitor.web.access import DashboardDenied, denied_page, require_read_access
from monitor.web.dashboard import SECURITY_HEADERS, dashboard_router

API_V1 = "/api/v1"


def create_app(settings: Settings, engine: Engine, *, beat: Heartbeat = heartbeat) -> FastAPI:
    """The status API for `settings` on `engine` (already migrated). Usage: `uvicorn.run(create_app(s, e))`.

    `beat` is the scheduler's heartbeat `/status` reports (`scheduler_alive`)."""
    service = GateService(settings, engine, fresh_for=settings.api.decision_cache)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        service.recorder.close()  # the decisions answered last are written before the process ends

    # /docs and /redoc with their scripts and styles served from the fastapi-offline package: the service runs offline.
    app = FastAPIOffline(
        lifespan=lifespan,
        static_url="/docs-assets",
        title="monitor status API",
        version="1",
        description="Deployment gate, source and sandbox health, waivers and audit trail. "
        "Bearer tokens with scopes read < gate < admin; /healthz, /readyz and /metrics are open.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics(engine)
    app.state.gate = service
    app.state.heartbeat = beat
    errors.install(app)
    app.add_middleware(HeadAsGet)  # HEAD / (and every GET route) answered, not 405
    app.add_middleware(RequestLimits, settings=settings, max_body_bytes=settings.api.max_body_bytes)
    app.add_middleware(ResponseHeaders)
    api = APIRouter(prefix=API_V1)
    for module in (gate, status, acks, audit, limits):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)

    # -- routers of other features (dashboard at /, reports) are included below this line -------------------------
    app.include_router(dashboard_router)
    # /reports/latest, /reports/{date} show what the dashboard shows (authors included): its access rule, its headers.
    app.include_router(reports_router(engine, dependencies=[Depends(require_read_access)],
                                      headers={**SECURITY_HEADERS, "Cache-Control": "no-store"}))  # fmt: skip

    @app.exception_handler(DashboardDenied)
    async def dashboard_denied(_request: Request, exc: DashboardDenied) -> HTMLResponse:
        return denied_page(exc)

    return app
