"""The simulated Acme marketplace of `monitor demo`: a spec that moves to its next version on a timer, an RSS
announcement feed, and a replica sandbox of the current version, all on one local ASGI app.

Routes: `/specs/orders.yaml` (the current version, with an ETag and 304s like a real spec host), `/feed.xml` (RSS 2.0,
one more item per version), and every other path is answered by the replica sandbox of the current version.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.engine import load_spec_bytes
from monitor.sandbox.replica import build_replica

SPEC_PATH = "/specs/orders.yaml"
FEED_PATH = "/feed.xml"
VERSIONS = ("v1.yaml", "v2.yaml", "v3.yaml")
VERSION_NAMES = ("1.0.0", "2.0.0", "3.0.0")  # info.version of each file
REMOVAL_AFTER = timedelta(days=10)  # the announced removal date: close enough for the gate's deprecation window


@dataclass(frozen=True, slots=True)
class Announcement:
    """One feed item; it appears when its version does."""

    version: int  # index into VERSIONS
    guid: str
    title: str
    body: str


def announcements(removal: date) -> list[Announcement]:
    """What Acme announces: a release, then the deprecation with its removal date, then the breaking release."""
    day = removal.isoformat()
    return [
        Announcement(0, "acme-orders-1.0.0", "Acme Orders API version 1.0.0 is available",
                     "The Orders API lists orders, reads one order and its items, and confirms shipments."),
        Announcement(1, "acme-orders-deprecation-buyeremail",
                     f"Deprecation: buyerEmail will be removed from the Acme Orders API on {day}",
                     f"The buyerEmail property of Order (getOrder, listOrders) is deprecated and will be removed on "
                     f"{day}. From the same date the createdAfter query parameter of GET /orders becomes required. "
                     "Action required: stop reading buyerEmail and always send createdAfter."),
        Announcement(2, "acme-orders-3.0.0", "Acme Orders API version 3.0.0 released with breaking changes",
                     "Version 3.0.0 removes buyerEmail, makes createdAfter required on GET /orders and removes "
                     "POST /orders/{orderId}/shipment (use the new fulfilment API)."),
    ]  # fmt: skip


def spec_bytes(name: str) -> bytes:
    return resources.files("monitor.demo").joinpath("specs", name).read_bytes()


class Marketplace:
    """The marketplace's state: which version is live, moved forward by the clock.

    `step` is the time each version stays live before the next one appears (the last one stays), counted from
    `begin()`: until then 1.0.0 stays live. `clock` is injectable so tests can move time instead of waiting.
    """

    def __init__(self, *, step: timedelta, today: date | None = None, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._started: float | None = None  # the clock runs from begin()
        self._step_s = step.total_seconds()
        self._lock = threading.Lock()
        self.started_at = datetime.now(UTC)
        self.removal_date = (today or self.started_at.date()) + REMOVAL_AFTER
        self.specs = [spec_bytes(name) for name in VERSIONS]
        self.replicas = [build_replica(load_spec_bytes(body, f"demo spec {name}")) for body, name in
                         zip(self.specs, VERSIONS, strict=True)]  # fmt: skip
        self.items = announcements(self.removal_date)

    @property
    def version(self) -> int:
        """The index of the live version."""
        with self._lock:
            return self._version_unlocked()

    def begin(self) -> None:
        """Start the clock now (once; later calls change nothing): the demo calls it once the service is up and the
        first decision is shown, so no version step is missed."""
        with self._lock:
            if self._started is None:
                self._started = self._clock()
                self.started_at = datetime.now(UTC)

    def _version_unlocked(self) -> int:
        if self._started is None or self._step_s <= 0:
            return 0
        return min(len(VERSIONS) - 1, int((self._clock() - self._started) // self._step_s))

    def feed(self) -> bytes:
        """RSS 2.0 with the items published so far, newest first."""
        current = self.version
        parts = []
        for item in reversed([i for i in self.items if i.version <= current]):
            published = self.started_at + timedelta(seconds=item.version * self._step_s)
            parts.append(
                f'<item><guid isPermaLink="false">{escape(item.guid)}</guid><title>{escape(item.title)}</title>'
                f"<description>{escape(item.body)}</description><pubDate>{format_datetime(published)}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Acme developer news</title>'
            "<link>http://127.0.0.1/</link><description>Announcements of the Acme Marketplace APIs</description>"
            + "".join(parts)
            + "</channel></rss>\n"
        ).encode()

    def app(self) -> ASGIApp:
        """The marketplace as one ASGI app (serve it with `lifespan="off"`): spec, feed, then the live replica."""

        async def router(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            if path in (SPEC_PATH, FEED_PATH):
                request = Request(scope, receive)
                if path == SPEC_PATH:
                    response = _conditional(request, self.specs[self.version], "application/yaml")
                else:
                    response = _conditional(request, self.feed(), "application/rss+xml")
                await response(scope, receive, send)
                return
            await self.replicas[self.version](scope, receive, send)

        return router


def _conditional(request: Request, body: bytes, media_type: str) -> Response:
    """200 with an ETag, or 304 when the client already has this body: what the service's fetcher expects."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=media_type, headers={"ETag": etag, "Cache-Control": "no-cache"})
