"""Lazada Open Platform: hosts (it has no public sandbox host) and how its APIs are named.

Lazada names an API by its path relative to the regional gateway (`/orders/get` on `https://api.lazada.sg/rest`),
so announcements link by path. Apps in "testing" status call the live gateways with test accounts: there is no
sandbox host to allow, and every gateway is production (writes refused; reads only with `allow_production`).
"""

from __future__ import annotations

from monitor.sources.platforms.hosts import hosts

HOSTS = hosts(
    "lazada",
    sandbox=(),
    production=(r"api\.lazada\.(?:sg|com\.my|vn|co\.th|com\.ph|co\.id|com)", r"auth\.lazada\.com"),
)

# Open Platform announcements, English and Chinese; one `article` per notice; every 6h.
ANNOUNCEMENT_PAGES = {
    "announcements-en": ("https://open.lazada.com/apps/announcement/list", "article", "6h"),
    "announcements-zh": ("https://open.lazada.com/apps/announcement/list?lang=zh_CN", "article", "6h"),
}
