"""Rate limits over HTTP: per used operation, need, documented, announced and observed figures (read scope)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from monitor.api.auth import require
from monitor.api.deps import SessionDep, SettingsDep
from monitor.api.errors import ERROR_RESPONSES
from monitor.api.schemas import ErrorPublic
from monitor.gate.decision import UnknownTarget
from monitor.limits.table import limit_rows

router = APIRouter(tags=["limits"], responses=ERROR_RESPONSES)


@router.get(
    "/limits",
    dependencies=[Depends(require("read"))],
    responses={404: {"model": ErrorPublic, "description": "Unknown integration"}},
)
def limits(session: SessionDep, settings: SettingsDep, integration: str | None = None) -> Any:
    """The rows of `monitor limits --format json`: one per used operation of the integration (or of every one)."""
    if integration is not None and integration not in settings.integrations:
        raise UnknownTarget(f"unknown integration {integration!r}")
    names = [integration] if integration else list(settings.integrations)
    return [row.to_json() for name in names for row in limit_rows(session=session, settings=settings, integration=name)]
