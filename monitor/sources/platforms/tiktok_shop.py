"""TikTok Shop Partner API: hosts and how its APIs are named.

APIs are named by versioned path (`/order/202309/orders/search`); announcements link by path. Hosts: the Partner
Center's sandbox environment (`open-api-sandbox.tiktokglobalshop.com`, `auth-sandbox.tiktok-shops.com`) and live
ones (`open-api.tiktokglobalshop.com`, `auth.tiktok-shops.com`, `services.tiktokshop.com` for authorisation).
"""

from __future__ import annotations

from monitor.sources.platforms.hosts import hosts

HOSTS = hosts(
    "tiktok-shop",
    sandbox=(r"open-api-sandbox\.tiktokglobalshop\.com", r"auth-sandbox\.tiktok-shops\.com"),
    production=(r"open-api\.tiktokglobalshop\.com", r"auth\.tiktok-shops\.com", r"services\.tiktokshop\.com"),
)

# Partner Center changelog and announcements, English and Simplified Chinese; one `article` per entry; every 6h.
ANNOUNCEMENT_PAGES = {
    "changelog-en": ("https://partner.tiktokshop.com/docv2/page/changelog", "article", "6h"),
    "changelog-zh": ("https://partner.tiktokshop.com/docv2/page/changelog?lang=zh-CN", "article", "6h"),
}
