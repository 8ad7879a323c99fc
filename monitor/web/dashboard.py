"""The dashboard: one server-rendered HTML page at `/` (Jinja2, autoescaped, no JavaScript) and its stylesheet."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from monitor.api.deps import SessionDep, SettingsDep
from monitor.store.models import utcnow
from monitor.web.access import DashboardDenied, check_read_access, denied_page
from monitor.web.chart import line_chart
from monitor.web.view import Dashboard, build_dashboard

REFRESH_S = 10  # the page reloads itself (a meta refresh: no script needed) so a wall screen stays current
# No script may run on the page at all: spec text and feed titles are hostile input, and escaping is the first wall,
# this policy the second. Styles only from our own stylesheet; the charts are inline SVG elements, not images.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

dashboard_router = APIRouter(tags=["dashboard"], include_in_schema=False)


@cache
def environment() -> Environment:
    """Autoescape on for every template, whatever its name: nothing the store holds is trusted markup."""
    env = Environment(loader=PackageLoader("monitor.web", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["ago"] = ago
    env.filters["countdown"] = countdown
    env.filters["utc"] = lambda moment: f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"
    env.filters["percent"] = lambda value: f"{value:.0%}"
    env.globals["line_chart"] = line_chart
    return env


def render_dashboard(view: Dashboard, *, refresh_s: int | None = REFRESH_S) -> str:
    """The page as text: what the route serves and what tests (and a static export) can render directly."""
    return environment().get_template("dashboard.html").render(view=view, now=view.generated_at, refresh_s=refresh_s)


def ago(moment: datetime | None, now: datetime) -> str:
    """`12 s ago`, `5 min ago`, `3 h ago`, `2 d ago` (or `never`)."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def countdown(days: int | None) -> str:
    """Days until an announced removal: `in 10 days`, `today`, `3 days ago`."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    unit = "day" if abs(days) == 1 else "days"
    return f"in {days} {unit}" if days > 0 else f"{-days} {unit} ago"


@dashboard_router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
    """The whole state at a glance. A sync route: FastAPI runs it in its thread pool, away from the event loop.

    The session is never committed: the page only reads."""
    try:
        check_read_access(settings, request.headers.get("authorization"))
    except DashboardDenied as exc:
        return denied_page(exc)
    view = build_dashboard(session=session, settings=settings, now=utcnow())
    return HTMLResponse(render_dashboard(view), headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


@cache
def _stylesheet() -> bytes:
    return resources.files("monitor.web").joinpath("static", "dashboard.css").read_bytes()


@dashboard_router.get("/dashboard.css")
def stylesheet() -> Response:
    return Response(_stylesheet(), media_type="text/css", headers={"X-Content-Type-Options": "nosniff",
                                                                    "Cache-Control": "max-age=300"})  # fmt: skip


__all__ = ["ago", "countdown", "dashboard_router", "render_dashboard"]
