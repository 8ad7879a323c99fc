"""The dashboard page served by the status API at `/`."""

from monitor.web.dashboard import dashboard_router

__all__ = ["dashboard_router"]
