"""Shopee Open Platform: API name forms, sandbox and production hosts, announcement pages.

Shopee names an API by version, module and function (`v2.order.get_order_list`); the call is
`/api/v2/order/get_order_list` on the partner host. Open API 1.0 paths (`/api/v1/orders/basics`) have no such names.
Hosts: the developer guide's "Environments" (`partner.shopeemobile.com` live, `partner.test-stable.shopeemobile.com`
test-stable, the older `partner.uat.shopeemobile.com`, and the sandbox console host
`openplatform.sandbox.test-stable.shopee.sg`); `openplatform.shopee.cn` is the mainland-China live host.
"""

from __future__ import annotations

import re

from monitor.sources.platforms.hosts import hosts

HOSTS = hosts(
    "shopee",
    sandbox=(
        r"partner\.test-stable\.shopeemobile\.com",
        r"partner\.uat\.shopeemobile\.com",
        r"openplatform\.sandbox\.test-stable\.shopee\.(?:sg|cn)",
    ),
    production=(r"partner\.shopeemobile\.com", r"openplatform\.shopee\.cn"),
)

# `v2.order.get_order_list`, also written `V2.product.get_category` in the guide.
API_NAME = re.compile(r"(?<![\w.])[vV](?P<version>\d+)\.(?P<module>[a-z_]+)\.(?P<function>[a-z0-9_]+)\b")


def api_paths(text: str) -> list[tuple[int, str]]:
    """(position, call path) of each Shopee API name written in `text`, in reading order."""
    return [(m.start(), f"/api/v{m['version']}/{m['module']}/{m['function']}") for m in API_NAME.finditer(text)]


def api_name(path: str) -> str | None:
    """`/api/v2/order/get_order_list` -> `v2.order.get_order_list`; None for paths of no Shopee API name form."""
    match = re.fullmatch(r"/api/v(\d+)/([a-z_]+)/([a-z0-9_]+)", path)
    return f"v{match[1]}.{match[2]}.{match[3]}" if match else None


# Developer announcements, English and Simplified Chinese (the same notices; Chinese ones sometimes first). The site
# renders its list in the page; `article` is one notice. Every 6h: notices give weeks of warning, not hours.
ANNOUNCEMENT_PAGES = {
    "announcements-en": ("https://open.shopee.com/announcements", "article", "6h"),
    "announcements-zh": ("https://open.shopee.com/announcements?lang=zh-hans", "article", "6h"),
}
