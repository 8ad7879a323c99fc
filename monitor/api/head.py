"""HEAD answered wherever GET is: the same status and headers, no body (RFC 9110 section 9.3.2).

FastAPI routes declared with `@router.get` answer HEAD with 405, so `curl -I`, uptime checkers and load balancers
that probe with HEAD see an error on `/`, `/healthz` or the reports. One middleware fixes every route at once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Run a HEAD request as GET and drop the body of the answer (Content-Length stays that of the GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
