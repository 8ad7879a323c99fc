"""Amazon Selling Partner API: sandbox and production hosts (developer-docs.amazon.com/sp-api, "SP-API endpoints")."""

from __future__ import annotations

from monitor.sources.platforms.hosts import hosts

HOSTS = hosts(
    "amazon",
    sandbox=(r"sandbox\.sellingpartnerapi-[a-z]+\.amazon\.com",),
    production=(r"sellingpartnerapi-[a-z]+\.amazon\.com",),
)
