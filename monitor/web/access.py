"""Who may read the dashboard: a token with the `read` scope, like the API; anyone when `api.public_dashboard` is set.

A browser cannot attach a bearer header to a page load without JavaScript, and a token in the URL would end up in
history, proxy logs and Referer headers. So besides `Authorization: Bearer <token>` (curl, a reverse proxy that injects
it) the page accepts HTTP Basic with the token as the password (any user name): the browser asks once with its own
login prompt and keeps it for the session. The token is checked the API's way (sha256, constant time).
"""

from __future__ import annotations

import base64
import binascii

from fastapi import Request
from fastapi.responses import HTMLResponse

from monitor.config import Settings
from monitor.gate.tokens import find_token, grants

SCOPE = "read"
REALM = 'Basic realm="monitor dashboard", charset="UTF-8"'


class DashboardDenied(Exception):
    """The request has no usable token (401, with a Basic challenge so a browser prompts) or too few scopes (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def presented_token(authorization: str | None) -> str | None:
    """The token of a Bearer header, or the password of a Basic one; None for anything else."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def check_read_access(settings: Settings, authorization: str | None) -> None:
    """Raise DashboardDenied unless the page is public or the token grants `read` (no tokens configured: nobody)."""
    if settings.api.public_dashboard:
        return
    token_value = presented_token(authorization)
    if token_value is None:
        raise DashboardDenied(401, "a token with the read scope is required")
    token = find_token(settings.api.tokens, token_value)
    if token is None:
        raise DashboardDenied(401, "the token is not valid")
    if not grants(token, SCOPE):
        raise DashboardDenied(403, f"the token {token.name!r} lacks the read scope")


def require_read_access(request: Request) -> None:
    """The same rule as a route dependency (for `/reports/*`); the app answers DashboardDenied with `denied_page`."""
    check_read_access(request.app.state.settings, request.headers.get("authorization"))


def denied_page(exc: DashboardDenied) -> HTMLResponse:
    headers = {"WWW-Authenticate": REALM} if exc.status == 401 else {}
    body = (
        "<!doctype html><title>monitor: sign in</title><h1>Sign in</h1><p>"
        + ("Sign in with any user name and an API token with the <code>read</code> scope as the password "
           "(<code>monitor token create --scopes read</code>)."
           if exc.status == 401 else "This token cannot read the dashboard: it needs the <code>read</code> scope.")
        + "</p>"
    )  # fmt: skip
    return HTMLResponse(body, status_code=exc.status, headers={**headers, "Cache-Control": "no-store"})
