"""The audit trail over HTTP: recorded decisions (read) and deployments (read; record with the gate scope)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from monitor.api.auth import require
from monitor.api.deps import Limit, OptionalName, SessionDep, SettingsDep
from monitor.api.errors import BODY_ERRORS, ERROR_RESPONSES
from monitor.api.schemas import DecisionPublic, DeploymentCreate, DeploymentPublic, ErrorPublic
from monitor.gate.records import list_decisions, list_deployments, record_deployment

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)


@router.get("/decisions", response_model=list[DecisionPublic], dependencies=[Depends(require("read"))])
def decisions(request: Request, session: SessionDep, limit: Limit = 100, integration: OptionalName = None,
              environment: OptionalName = None) -> Any:  # fmt: skip
    """Every gate decision answered, newest first."""
    request.app.state.gate.recorder.flush()  # read your own answers: the batch writer catches up first
    return list_decisions(session=session, integration=integration, environment=environment, limit=limit)


@router.get("/deployments", response_model=list[DeploymentPublic], dependencies=[Depends(require("read"))])
def deployments(session: SessionDep, limit: Limit = 100, integration: OptionalName = None,
                environment: OptionalName = None) -> Any:  # fmt: skip
    """Recorded deployments, newest first."""
    return list_deployments(session=session, integration=integration, environment=environment, limit=limit)


@router.post(
    "/deployments",
    response_model=DeploymentPublic,
    status_code=201,
    dependencies=[Depends(require("gate"))],
    responses={**BODY_ERRORS, 404: {"model": ErrorPublic, "description": "Unknown integration or environment"}},
)
def record(request: Request, session: SessionDep, settings: SettingsDep, body: DeploymentCreate) -> Any:
    """Record that a version was deployed (like Pact's record-deployment), linked to the latest decision."""
    request.app.state.gate.recorder.flush()  # link the latest decision, including one answered a moment ago
    known = {name: list(i.environments) for name, i in settings.integrations.items()}
    row = record_deployment(session=session, integration=body.integration, environment=body.environment,
                            version=body.version, by=body.by, at=body.at, known_integrations=known)  # fmt: skip
    session.commit()
    return JSONResponse(DeploymentPublic.model_validate(row).model_dump(mode="json"), status_code=201)
