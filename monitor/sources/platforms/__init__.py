"""Per-platform knowledge that is not HTTP: API name forms, sandbox and production hosts, announcement pages."""

from __future__ import annotations

from monitor.sources.platforms import amazon, lazada, shopee, tiktok_shop
from monitor.sources.platforms.hosts import Hosts, production_platform, sandbox_platform

HOSTS: tuple[Hosts, ...] = (amazon.HOSTS, shopee.HOSTS, lazada.HOSTS, tiktok_shop.HOSTS)

__all__ = ["HOSTS", "Hosts", "api_paths", "known_production", "known_sandbox"]


def api_paths(text: str) -> list[tuple[int, str]]:
    """(position, call path) of the platform API names written in `text` (Shopee `v2.order.get_order_list`); Lazada and TikTok
    Shop name their APIs by path already, which the announcement reader finds as paths."""
    return shopee.api_paths(text)


def known_sandbox(host: str) -> str | None:
    """The platform whose sandbox `host` is (Amazon, Shopee, TikTok Shop), else None."""
    return sandbox_platform(host, HOSTS)


def known_production(host: str) -> str | None:
    """The platform whose production API `host` is, else None."""
    return production_platform(host, HOSTS)
