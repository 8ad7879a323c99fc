"""`/reports/latest` and `/reports/{date}`: the stored reports as HTML (default), Markdown, JSON or Slack blocks."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
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


def build_router(
    engine: Engine, *, dependencies: Sequence[Depends] = (), headers: Mapping[str, str] | None = None
) -> APIRouter:
    """The reports router; the app passes its engine, the dependencies that guard it (the dashboard's access rule)
    and the headers every answer carries (the dashboard's security headers; the report's own inline stylesheet is
    added to a Content-Security-Policy by its hash, so nothing else inline is allowed)."""
    router = APIRouter(prefix="/reports", tags=["reports"], dependencies=list(dependencies))
    answer_headers = dict(headers or {})
    if "Content-Security-Policy" in answer_headers:
        answer_headers["Content-Security-Policy"] = allow_report_style(answer_headers["Content-Security-Policy"])

    @router.get("/latest", summary="The latest nightly report", response_class=HTMLResponse, responses=RESPONSES)
    def latest(format: FormatQuery = ReportFormat.html) -> Response:
        return _answer(engine, None, format, answer_headers)

    @router.get("/{day}", summary="The nightly report of a day (YYYY-MM-DD)", response_class=HTMLResponse,
                responses=RESPONSES)  # fmt: skip
    def of_day(day: date, format: FormatQuery = ReportFormat.html) -> Response:
        return _answer(engine, day, format, answer_headers)

    return router


@cache
def report_style_hash() -> str:
    """The CSP source (`'sha256-...'`) of the report template's one inline `<style>` block."""
    template = resources.files("monitor.reports").joinpath("templates", "report.html.j2").read_text("utf-8")
    match = re.search(r"<style>(.*?)</style>", template, re.DOTALL)
    assert match is not None, "report.html.j2 has its stylesheet inline"
    digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def allow_report_style(csp: str) -> str:
    """The policy with the report's stylesheet hash added to `style-src` (or a `style-src` made for it)."""
    directives = [d.strip() for d in csp.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        if directive.split()[0] == "style-src":
            directives[i] = f"{directive} {report_style_hash()}"
            return "; ".join(directives)
    return "; ".join([*directives, f"style-src {report_style_hash()}"])


def _answer(engine: Engine, day: date | None, fmt: ReportFormat, headers: dict[str, str]) -> Response:
    with session_scope(engine) as session:
        report = get_report(session=session, day=day)
        if report is None:
            raise HTTPException(404, f"no report for {day.isoformat()}" if day else "no report yet")
        if fmt is ReportFormat.markdown:
            return PlainTextResponse(report.markdown, media_type="text/markdown; charset=utf-8", headers=headers)
        if fmt is ReportFormat.slack:
            return JSONResponse({"blocks": report.slack}, headers=headers)
        if fmt is ReportFormat.json:
            body: dict[str, Any] = {"day": report.day.isoformat(), "kind": report.kind, "summary": report.summary,
                                    "since": report.since.isoformat(), "until": report.until.isoformat()}  # fmt: skip
            return JSONResponse(body, headers=headers)
        return HTMLResponse(report.html, headers=headers)
