"""Sign httpx requests with a signing provider: for callers outside the schemathesis adapter (a recording proxy
forwarding to a signed sandbox, a one-off probe)."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from monitor.sandbox.auth.base import Outgoing, RequestSigner


class SignedAuth(httpx.Auth):
    """`httpx.Client(auth=SignedAuth(provider))`: every request signed over its final URL and body bytes."""

    requires_request_body = True  # the body is part of TikTok Shop's signature and of Lazada's form parameters

    def __init__(self, provider: RequestSigner) -> None:
        self._provider = provider

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signed = self._provider.sign(
            Outgoing(request.method, str(request.url), request.content, request.headers.get("content-type", ""))
        )
        request.url = httpx.URL(signed.url)
        request.headers.update(signed.headers)
        yield request
