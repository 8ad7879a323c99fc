"""One place maps errors to HTTP answers, each a JSON body `{"error": code, "message": one line}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from monitor.api.schemas import ErrorPublic
from monitor.errors import InputError, MonitorError, StoreError, UpstreamError
from monitor.gate.decision import UnknownTarget
from monitor.gate.waivers import MissingTarget, PastExpiry, UnknownWaiver
from monitor.redact import error_line

log = logging.getLogger("monitor.api")


class AuthError(Exception):
    """A request without a valid token (401) or with a token lacking the scope (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class NotFound(InputError):
    """No item with that id (answered 404)."""


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Missing or invalid bearer token"},
    403: {"model": ErrorPublic, "description": "The token lacks the scope"},
    422: {"model": ErrorPublic, "description": "Invalid parameters or body"},
    503: {"model": ErrorPublic, "description": "The database is unavailable; try again"},
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": ErrorPublic, "description": "The body cannot be parsed"}}


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": " ".join(message.split())[:1000]}


def _json(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def auth(_request: Request, exc: AuthError) -> JSONResponse:
        if exc.status == 401:
            return _json(401, "unauthorized", str(exc), {"WWW-Authenticate": "Bearer"})
        return _json(403, "forbidden", str(exc))

    @app.exception_handler(NotFound)
    @app.exception_handler(MissingTarget)
    @app.exception_handler(UnknownTarget)
    @app.exception_handler(UnknownWaiver)
    async def not_found(_request: Request, exc: MonitorError) -> JSONResponse:
        return _json(404, "not_found", str(exc))

    @app.exception_handler(PastExpiry)
    async def conflict(_request: Request, exc: PastExpiry) -> JSONResponse:
        return _json(409, "conflict", str(exc))

    @app.exception_handler(InputError)
    async def bad_input(_request: Request, exc: InputError) -> JSONResponse:
        return _json(400, "bad_request", str(exc))

    @app.exception_handler(StoreError)
    @app.exception_handler(SQLAlchemyError)
    async def store(_request: Request, exc: Exception) -> JSONResponse:
        # The database is down or refused: nothing could be evaluated, so the answer is "try again".
        log.error("database unavailable: %s", error_line(exc))
        return _json(503, "unavailable", "the database is unavailable; try again", {"Retry-After": "5"})

    @app.exception_handler(UpstreamError)
    async def upstream(_request: Request, exc: UpstreamError) -> JSONResponse:
        return _json(502, "upstream", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _json(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette lists only the first route's methods; a path can have several
            headers["Allow"] = ", ".join(allowed_methods(request))
        return _json(exc.status_code, code, str(exc.detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
