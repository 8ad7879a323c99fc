"""`monitor test` for Shopee, Lazada and TikTok Shop against local sandboxes that check every signature.

The suites test the contracts of tests/sandbox/platforms/ (small OpenAPI documents of each platform's documented
order-sync shapes, standing in for contracts learned from traffic) with no spec source configured: these platforms
publish none. A right key passes every operation; a wrong key is an authentication error (exit 3, "authentication
failed"), never a contract failure; no key, token or refresh token reaches the database, JUnit or the CLI output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store.session import make_engine
from tests.sandbox.platforms.signed_sandbox import Seen, lazada_app, shopee_app, tiktok_app
from tests.sandbox.test_runner import serving
from tests.sandbox.test_suite import stored_text

FIXTURES = Path(__file__).resolve().parent.parent / "sandbox" / "platforms"
SHOPEE_KEY = "shpk-CANARY-4e7a1c0d9b2f"
SHOPEE_REFRESH = "shp-refresh-CANARY-77aa"
SHOPEE_ROTATED = "shp-refresh-CANARY-rotated-88bb"
SHOPEE_TOKEN = "shp-access-CANARY-5d21"
LAZADA_SECRET = "laz-secret-CANARY-0f3e9a"
LAZADA_TOKEN = "laz-access-CANARY-50000601"
TIKTOK_SECRET = "tts-secret-CANARY-e59af8"
TIKTOK_TOKEN = "TTP_CANARY-access-pwSm2AAAAABm"
WRONG = "wrong-key-CANARY-0000"
CANARIES = (SHOPEE_KEY, SHOPEE_REFRESH, SHOPEE_ROTATED, SHOPEE_TOKEN, LAZADA_SECRET, LAZADA_TOKEN, TIKTOK_SECRET,
            TIKTOK_TOKEN, WRONG)  # fmt: skip
PLATFORMS = ("shopee", "lazada", "tiktok-shop")


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[tuple[dict[str, str], Seen]]:
    seen = Seen()
    with (
        serving(shopee_app("2001887", SHOPEE_KEY, "14701711", SHOPEE_REFRESH, SHOPEE_TOKEN, SHOPEE_ROTATED, seen)) as shopee,
        serving(lazada_app("123456", LAZADA_SECRET, LAZADA_TOKEN, seen)) as lazada,
        serving(tiktok_app("29a39d", TIKTOK_SECRET, TIKTOK_TOKEN, "ROW_xkMbgAAAeVAQra0eZ", seen)) as tiktok,
    ):  # fmt: skip
        yield {"shopee": shopee, "lazada": lazada, "tiktok-shop": tiktok}, seen


def write_config(tmp_path: Path, urls: dict[str, str]) -> Path:
    for platform in PLATFORMS:
        (tmp_path / "contracts" / platform).mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / f"{platform}-order-sync.yaml", tmp_path / "contracts" / platform / "order-sync.yaml")
    config = tmp_path / "monitor.yaml"
    config.write_text(f"""
database_url: sqlite:///{tmp_path / "monitor.db"}
contracts_dir: {tmp_path / "contracts"}
platforms:
  shopee:
    sandbox:
      base_url: {urls["shopee"]}
      specs: [order-sync]
      rate_limit: 50/s
      auth:
        type: shopee
        partner_id: 2001887
        partner_key: ${{SHOPEE_PARTNER_KEY}}
        shop_id: 14701711
        refresh_token: ${{SHOPEE_REFRESH_TOKEN}}
        token_url: {urls["shopee"]}/api/v2/auth/access_token/get
  lazada:
    sandbox:
      base_url: {urls["lazada"]}/rest
      specs: [order-sync]
      rate_limit: 50/s
      auth: {{type: lazada, app_key: "123456", app_secret: "${{LAZADA_APP_SECRET}}", access_token: "${{LAZADA_ACCESS_TOKEN}}"}}
  tiktok-shop:
    sandbox:
      base_url: {urls["tiktok-shop"]}
      specs: [order-sync]
      rate_limit: 50/s
      auth:
        type: tiktok-shop
        app_key: 29a39d
        app_secret: ${{TIKTOK_APP_SECRET}}
        access_token: ${{TIKTOK_ACCESS_TOKEN}}
        shop_cipher: ROW_xkMbgAAAeVAQra0eZ
integrations:
  order-sync:
    uses:
      shopee/order-sync: [v2.order.get_order_list, v2.order.get_order_detail, v2.product.get_item_list,
                          v2.logistics.get_tracking_number, v2.product.update_stock]
      lazada/order-sync: [GET /orders/get, GET /order/get, GET /order/items/get, GET /shipment/providers/get,
                          POST /product/price_quantity/update]
      tiktok-shop/order-sync: [SearchOrders, GetOrderDetail, SearchProducts, GetTracking, UpdateInventory]
""")
    return config


def run_monitor(tmp_path: Path, config: Path, *args: str, wrong: bool = False) -> subprocess.CompletedProcess[str]:
    key = WRONG if wrong else None
    env = {**os.environ, "MONITOR_CONFIG": str(config), "SHOPEE_PARTNER_KEY": key or SHOPEE_KEY,
           "SHOPEE_REFRESH_TOKEN": SHOPEE_REFRESH, "LAZADA_APP_SECRET": key or LAZADA_SECRET,
           "LAZADA_ACCESS_TOKEN": LAZADA_TOKEN, "TIKTOK_APP_SECRET": key or TIKTOK_SECRET,
           "TIKTOK_ACCESS_TOKEN": TIKTOK_TOKEN}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=180)  # fmt: skip


def test_signed_suites_pass_fail_on_a_wrong_key_as_auth_errors_and_leak_nothing(
    tmp_path: Path, sandboxes: tuple[dict[str, str], Seen]
) -> None:
    urls, seen = sandboxes
    config = write_config(tmp_path, urls)
    outputs: list[str] = []
    junits: list[str] = []
    for platform in PLATFORMS:
        junit = tmp_path / f"{platform}.xml"
        good = run_monitor(tmp_path, config, "test", platform, "--junit", str(junit))
        outputs.append(good.stdout + good.stderr)
        junits.append(junit.read_text())
        assert good.returncode == 0, f"{platform}: {good.stdout}\n{good.stderr}"
        assert good.stdout.count("│ passed │") == 5, good.stdout  # every order-sync operation
        assert 'failures="0"' in junits[-1] and 'errors="0"' in junits[-1]
    assert seen.refused == []  # every request, token refresh included, was signed as documented
    shopee_calls = [r for r in seen.requests if r["path"].startswith("/api/v2/order/")]
    assert shopee_calls and all(r["query"]["access_token"] == SHOPEE_TOKEN for r in shopee_calls)

    for platform in PLATFORMS:
        junit = tmp_path / f"{platform}-wrong.xml"
        bad = run_monitor(tmp_path, config, "test", platform, "--junit", str(junit), wrong=True)
        outputs.append(bad.stdout + bad.stderr)
        if junit.exists():
            junits.append(junit.read_text())
        assert bad.returncode == 3, f"{platform}: {bad.stdout}\n{bad.stderr}"  # an error, not exit 1 (a failure)
        assert "refused the credentials" in bad.stderr, bad.stderr
        assert "│ failed │" not in bad.stdout  # no operation reported as a contract failure
    assert {"error_sign", "IncompleteSignature", "106001"} <= set(seen.refused)

    results = run_monitor(tmp_path, config, "sandbox", "results", "--format", "json")
    runs = run_monitor(tmp_path, config, "runs", "--format", "json")
    outputs += [results.stdout + results.stderr, runs.stdout + runs.stderr]
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        stored = stored_text(engine)
    finally:
        engine.dispose()
    assert "authentication failed" in stored and "passed" in stored
    for canary in CANARIES:
        for where, text in [("database", stored), *(("junit", j) for j in junits), *(("cli", o) for o in outputs)]:
            assert canary not in text, f"{canary[:12]}... leaked into the {where}"
