"""GET /api/v1/gate: evaluate, record and answer; 200 for every evaluated decision, 409 on fail only if strict."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from monitor.api.auth import require
from monitor.api.deps import NAME_PATTERN
from monitor.api.errors import ERROR_RESPONSES
from monitor.api.schemas import ErrorPublic, GatePublic
from monitor.gate.service import GateService

router = APIRouter(tags=["gate"])
GateName = Annotated[str, Query(min_length=1, max_length=200, pattern=NAME_PATTERN)]


@router.get(
    "/gate",
    response_model=GatePublic,
    dependencies=[Depends(require("gate"))],
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorPublic, "description": "Unknown integration or environment"},
        409: {"model": GatePublic, "description": "strict=true and the decision blocks (deployable false)"},
    },
)
async def gate(
    request: Request,
    integration: GateName,
    environment: GateName,
    version: Annotated[str | None, Query(max_length=200, pattern=NAME_PATTERN)] = None,
    strict: bool = False,
) -> Any:
    """May this integration be deployed to this environment now? pass / warn / fail / unknown, with reasons.

    Answered 200 for every evaluated decision, `fail` included (pipeline tools treat non-2xx as an error, not a
    verdict); `strict=true` answers 409 when the decision blocks. 503 only when nothing could be evaluated.
    The answer's `id` is null: decisions are recorded in the audit trail (`/decisions`) by a batch writer.
    """
    # Async: a fresh decision is answered from the event loop; only a miss evaluates, in a worker thread.
    started = time.perf_counter()
    service: GateService = request.app.state.gate
    answer = service.answer(await service.decide(integration, environment), version)
    metrics = request.app.state.metrics
    metrics.decisions.labels(integration, environment, answer["decision"]).inc()
    metrics.gate_seconds.observe(time.perf_counter() - started)
    status = 409 if strict and answer["deployable"] is False else 200
    # Serialised directly (the shape is GatePublic by construction): this is the path pipelines poll.
    return Response(orjson.dumps(answer), status_code=status, media_type="application/json")
