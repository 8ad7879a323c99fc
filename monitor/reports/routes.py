"""`/reports/latest` and `/reports/{date}`: the stored reports as HTML (default), Markdown, JSON or Slack blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.params import Depends
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy.engine import Engine

from monitor.reports.store import get_report
from monitor.store.session import session_scope


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"
    json = "json"
    slack = "slack"


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report in the asked format",
          "content": {"text/markdown": {}, "application/json": {"schema": {"type": "object"}}}},
    404: {"description": "No report for that day (or none yet)",
          "content": {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}},
}  # fmt: skip
FormatQuery = Annotated[ReportFormat, Query(description="html (default), markdown, json or slack (Block Kit)")]


def build_router(engine: Engine, *, dependencies: Sequence[Depends] = ()) -> APIRouter:
    """The reports router; the app passes its engine and, say, `[Depends(require("read"))]` to guard it."""
    router = APIRouter(prefix="/reports", tags=["reports"], dependencies=list(dependencies))

    @router.get("/latest", summary="The latest nightly report", response_class=HTMLResponse, responses=RESPONSES)
    def latest(format: FormatQuery = ReportFormat.html) -> Response:
        return _answer(engine, None, format)

    @router.get("/{day}", summary="The nightly report of a day (YYYY-MM-DD)", response_class=HTMLResponse,
                responses=RESPONSES)  # fmt: skip
    def of_day(day: date, format: FormatQuery = ReportFormat.html) -> Response:
        return _answer(engine, day, format)

    return router


def _answer(engine: Engine, day: date | None, fmt: ReportFormat) -> Response:
    with session_scope(engine) as session:
        report = get_report(session=session, day=day)
        if report is None:
            raise HTTPException(404, f"no report for {day.isoformat()}" if day else "no report yet")
        if fmt is ReportFormat.markdown:
            return PlainTextResponse(report.markdown, media_type="text/markdown; charset=utf-8")
        if fmt is ReportFormat.slack:
            return JSONResponse({"blocks": report.slack})
        if fmt is ReportFormat.json:
            body: dict[str, Any] = {"day": report.day.isoformat(), "kind": report.kind, "summary": report.summary,
                                    "since": report.since.isoformat(), "until": report.until.isoformat()}  # fmt: skip
            return JSONResponse(body)
        return HTMLResponse(report.html)
