"""Waivers over HTTP: list (read), create and revoke (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from monitor.api.auth import require
from monitor.api.deps import MAX_ID, Limit, SessionDep, SettingsDep
from monitor.api.errors import BODY_ERRORS, ERROR_RESPONSES
from monitor.api.schemas import ErrorPublic, WaiverCreate, WaiverPublic
from monitor.config import ApiToken, Settings
from monitor.gate.decision import UnknownTarget
from monitor.gate.waivers import create_waiver, is_active, list_waivers, revoke_waiver
from monitor.store.models import Waiver, utcnow

router = APIRouter(tags=["acks"], responses=ERROR_RESPONSES)


def public(waiver: Waiver) -> WaiverPublic:
    out = WaiverPublic.model_validate(waiver)
    out.active = is_active(waiver, utcnow())
    return out


@router.get("/acks", response_model=list[WaiverPublic], dependencies=[Depends(require("read"))])
def acks(session: SessionDep, limit: Limit = 100, include_inactive: bool = False) -> Any:
    """Waivers in force (or every one, with `include_inactive`), newest first."""
    return [public(w) for w in list_waivers(session=session, include_inactive=include_inactive)[:limit]]


@router.post(
    "/acks",
    response_model=WaiverPublic,
    status_code=201,
    responses={
        **BODY_ERRORS,
        404: {"model": ErrorPublic, "description": "No such change, announcement, integration or environment"},
        409: {"model": ErrorPublic, "description": "The expiry has already passed"},
    },
)
def create(
    request: Request,
    session: SessionDep, settings: SettingsDep, body: WaiverCreate,
    _token: Annotated[ApiToken, Depends(require("admin"))],
) -> Any:  # fmt: skip
    """Acknowledge a change, an announcement or a failing operation until `expires_at`."""
    _check_scope(settings, body.integration, body.environment)
    waiver = create_waiver(session=session, kind=body.kind, target=body.target, reason=body.reason,
                           author=body.author, expires_at=body.expires_at, integration=body.integration,
                           environment=body.environment)  # fmt: skip
    session.commit()
    request.app.state.gate.invalidate()
    return JSONResponse(public(waiver).model_dump(mode="json"), status_code=201)


@router.delete(
    "/acks/{waiver_id}",
    response_model=WaiverPublic,
    responses={404: {"model": ErrorPublic, "description": "No such waiver"}},
)
def revoke(
    request: Request,
    session: SessionDep, waiver_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    token: Annotated[ApiToken, Depends(require("admin"))],
) -> Any:  # fmt: skip
    """Revoke a waiver (kept, marked revoked, for the audit trail)."""
    waiver = revoke_waiver(session=session, waiver_id=waiver_id, by=f"token:{token.name}")
    session.commit()
    request.app.state.gate.invalidate()
    return public(waiver)


def _check_scope(settings: Settings, integration: str | None, environment: str | None) -> None:
    """A waiver narrowed to a name that is not configured would silently never apply."""
    if integration is not None and integration not in settings.integrations:
        raise UnknownTarget(f"unknown integration {integration!r}")
    environments = (
        settings.integrations[integration].environments if integration
        else {e for i in settings.integrations.values() for e in i.environments}
    )  # fmt: skip
    if environment is not None and environment not in environments:
        raise UnknownTarget(f"unknown environment {environment!r}")
