"""Bearer tokens with scopes (read < gate < admin): `Depends(require("gate"))` on a route or router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from monitor.api.errors import AuthError
from monitor.config import ApiToken
from monitor.gate.tokens import RANK, find_token, grants

bearer = HTTPBearer(auto_error=False, description="A token made by `monitor token create`; scopes read < gate < admin.")


def require(scope: str) -> Callable[..., Awaitable[ApiToken]]:
    """A dependency that admits a request whose bearer token has `scope` (or a higher one), else 401/403."""
    if scope not in RANK:
        raise ValueError(f"unknown scope {scope!r}")

    # Async, though it does no I/O: a sync dependency runs in AnyIO's thread pool, a hop to another thread and back
    # on every request, and under busy poll threads each hop waited for the GIL (py-spy on bench/gate_bench.py).
    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> ApiToken:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise AuthError(401, "a bearer token is required (Authorization: Bearer <token>)")
        token = find_token(request.app.state.settings.api.tokens, credentials.credentials)
        if token is None:
            raise AuthError(401, "the bearer token is not valid")
        if not grants(token, scope):
            raise AuthError(403, f"the token {token.name!r} lacks the {scope!r} scope")
        request.state.token_name = token.name
        return token

    check.__name__ = f"require_{scope}"
    return check
