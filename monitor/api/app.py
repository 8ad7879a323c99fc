"""Build the FastAPI app: state, error handlers and routers; no route logic lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine

from monitor.api import errors
from monitor.api.head import HeadAsGet
from monitor.api.metrics import Metrics
from monitor.api.routes import acks, audit, gate, health, status
from monitor.config import Settings
from monitor.gate.service import GateService
from monitor.reports.routes import build_router as reports_router
from monitor.web.dashboard import dashboard_router

API_V1 = "/api/v1"


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The status API for `settings` on `engine` (already migrated). Usage: `uvicorn.run(create_app(s, e))`."""
    service = GateService(settings, engine, fresh_for=settings.api.decision_cache)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        service.recorder.close()  # the decisions answered last are written before the process ends

    app = FastAPI(
        lifespan=lifespan,
        title="monitor status API",
        version="1",
        description="Deployment gate, source and sandbox health, waivers and audit trail. "
        "Bearer tokens with scopes read < gate < admin; /healthz, /readyz and /metrics are open.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics(engine)
    app.state.gate = service
    errors.install(app)
    app.add_middleware(HeadAsGet)  # HEAD / (and every GET route) answered, not 405
    api = APIRouter(prefix=API_V1)
    for module in (gate, status, acks, audit):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)

    # -- routers of other features (dashboard at /, reports) are included below this line -------------------------
    app.include_router(dashboard_router)
    app.include_router(reports_router(engine))  # /reports/latest, /reports/{date}: open, as the dashboard (links)

    return app
