"""The shipped configuration watches Shopee, Lazada and TikTok Shop and has an integration across all four platforms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from monitor.config import load_settings
from monitor.sources.platforms import lazada, shopee, tiktok_shop

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "monitor.yaml"


def test_config_check_passes_on_the_shipped_config() -> None:
    done = subprocess.run([sys.executable, "-m", "monitor", "config", "check", str(CONFIG)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "integration sea-order-sync" in done.stdout
    for platform in ("amazon-sp-api/orders-v0", "shopee/order-sync", "lazada/order-sync", "tiktok-shop/order-sync"):
        assert f"{platform}: " in done.stdout


def test_announcement_pages_are_the_ones_platform_knowledge_names_in_english_and_chinese() -> None:
    settings = load_settings(CONFIG)
    for name, module in (("shopee", shopee), ("lazada", lazada), ("tiktok-shop", tiktok_shop)):
        feeds = settings.platforms[name].feeds
        assert {k: (f.url, f.selector, f.every.total_seconds() / 3600) for k, f in feeds.items()} == {
            k: (url, selector, float(every.rstrip("h")))
            for k, (url, selector, every) in module.ANNOUNCEMENT_PAGES.items()
        }
        assert all(f.kind == "page" for f in feeds.values())
        assert any(k.endswith("-zh") for k in feeds) and any(k.endswith("-en") for k in feeds)


def test_the_four_platform_integration_names_operations_in_each_platforms_form() -> None:
    uses = load_settings(CONFIG).integrations["sea-order-sync"].uses
    assert shopee.api_name(uses["shopee/order-sync"][0].split(" ", 1)[1]) == "v2.order.get_order_list"
    assert "GET /orders/get" in uses["lazada/order-sync"]
    assert "POST /order/202309/orders/search" in uses["tiktok-shop/order-sync"]
