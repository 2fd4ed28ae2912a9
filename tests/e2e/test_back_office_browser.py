"""The back office in a real browser: Debian's chromium driven by Playwright against a
live server (uvicorn in a thread) on SQLite.

Skipped only when chromium is missing outside CI; in CI it must run. With
``ORDERMESH_SCREENSHOTS=1`` the screenshots of docs/back-office.md are written to
docs/img/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import build_engine
from ordermesh.settings import Settings
from tests.backoffice_helpers import PASSWORD, make_user, paid_order
from tests.conftest import ADMIN_KEY, START
from tests.e2e.threaded_app import served_in_a_thread
from tests.helpers import DEFAULT_ADDRESS, ok

CHROMIUM = "/usr/bin/chromium"
DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"
pytestmark = [pytest.mark.e2e, pytest.mark.browser]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else \
    __import__("playwright.sync_api", fromlist=["sync_playwright"])


@pytest.fixture
def container(sqlite_template: str, tmp_path) -> Iterator[Container]:
    path = tmp_path / "ordermesh.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = build_engine(url)
    yield Container(Settings(database_url=url, admin_api_key=ADMIN_KEY), engine,
                    FixedClock(START))
    engine.dispose()


@pytest.fixture
def live(container: Container) -> Iterator[str]:
    with served_in_a_thread(create_app(container)) as url:
        yield url


@pytest.fixture
def page(live: str):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        context = browser.new_context(base_url=live, viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def _shot(page, name: str) -> None:
    if os.environ.get("ORDERMESH_SCREENSHOTS"):
        DOCS_IMG.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"back-office-{name}.png"), full_page=True)


def _sign_in_as(container: Container, page, email: str, role: str) -> None:
    make_user(container, email, role)
    page.goto("/app/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/")


def test_an_agent_signs_in_finds_an_order_by_email_and_refunds_one_line(
        container: Container, page) -> None:
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api:
        order = paid_order(api, email="ada@example.com")
        ok(api.post("/api/v1/orders", json={"channel": "web", "external_id": "W-2",
                                            "shipping_address": DEFAULT_ADDRESS,
                                            "lines": [{"sku": "MUG", "quantity": 4,
                                                       "unit_price": "9.50"}]}), 201)
        make_user(container, "sam@shop.example", "agent")
        page.goto("/app/")
        assert "/app/login" in page.url
        page.get_by_label("E-mail").fill("sam@shop.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/app/")
        _shot(page, "dashboard")

        # dashboard tiles agree with the API
        listed = ok(api.get("/api/v1/orders", params={"limit": 100}))["items"]
        for status in ("confirmed", "processing", "on_hold"):
            shown = page.locator(f'[data-status="{status}"]').inner_text()
            assert int(shown) == sum(o["status"] == status for o in listed), status
        web = page.locator('tr[data-channel="web"] td').all_inner_texts()
        total = sum(Decimal(o["totals"]["total"]["amount"]) for o in listed)
        assert web[2] == str(len(listed)) and Decimal(web[3]) == total

        page.get_by_role("link", name="Orders", exact=True).click()
        page.get_by_label(re.compile("Find by order number")).fill("ada@example.com")
        page.keyboard.press("Enter")
        page.wait_for_url("**/app/orders?q=ada%40example.com")
        page.get_by_role("link", name=order["number"]).click()
        _shot(page, "order")
        page.get_by_label("Units (at most 2)").fill("1")
        page.locator("#reason-1").fill("torn on arrival")
        page.locator("#reason-1").press("Enter")
        assert page.locator("#refund-amount").inner_text() == "19.99 EUR"
        _shot(page, "refund-confirm")
        page.get_by_role("button", name="Refund 19.99 EUR").click()
        page.get_by_text("The refund was made.").wait_for()
        [refund] = ok(api.get(f"/api/v1/orders/{order['id']}/refunds"))["items"]
        assert (refund["amount"], refund["actor"]) == ("19.99", "user:sam@shop.example")

        # from the order to its customer, who gets a tag
        page.locator("#customer-link").click()
        page.wait_for_url("**/app/customers/cus_*")
        assert page.locator("#segment").inner_text() == "new"
        assert page.locator("[data-net]").inner_text() == "34.44 EUR"  # 54.43 less 19.99
        page.get_by_label("Add a tag").fill("vip")
        page.get_by_role("button", name="Add tag").click()
        page.get_by_text("Saved.").wait_for()
        _shot(page, "customer")
        assert ok(api.get(f"/api/v1/customers/{order['customer_id']}"))["tags"] == ["vip"]


def test_warehouse_staff_adjust_stock_and_see_availability_change(
        container: Container, page) -> None:
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api:
        paid_order(api)
        _sign_in_as(container, page, "kim@shop.example", "warehouse")
        page.get_by_role("link", name="Inventory").first.click()
        page.get_by_label("SKU").fill("TEE")
        page.get_by_role("button", name="Show stock").click()
        assert page.locator("#available-total").inner_text() == "8"
        page.get_by_label("Units to add (negative to remove)").fill("-9")
        page.get_by_label("Reason").select_option("lost")
        page.get_by_role("button", name="Adjust").click()
        assert "Cannot remove 9 of TEE at ber" in page.locator("#quantity-error").inner_text()
        page.get_by_label("Units to add (negative to remove)").fill("12")
        page.get_by_label("Reason").select_option("received")
        page.get_by_role("button", name="Adjust").click()
        page.get_by_text("Stock adjusted.").wait_for()
        assert page.locator("#available-total").inner_text() == "20"
        assert ok(api.get("/api/v1/inventory/TEE"))["totals"]["available"] == 20
        _shot(page, "stock")


def test_a_packer_scans_a_picked_order_into_a_parcel_closes_it_and_opens_its_label(
        container: Container, page) -> None:
    from tests.packing_helpers import packing_shop, picked_order

    dims = {"length_mm": 120, "width_mm": 100, "height_mm": 100}
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api:
        packing_shop(api, {"BOOK": {"weight_grams": 600, "dimensions": dims},
                           "MUG": {"weight_grams": 350, "dimensions": dims,
                                   "handling": ["fragile"]}})
        _, first = picked_order(api, container, [("BOOK", 2), ("MUG", 1)])
        _, second = picked_order(api, container, [("BOOK", 1)])
        number = ok(api.get(f"/api/v1/fulfilment-orders/{first}"))["number"]
        _sign_in_as(container, page, "kim@shop.example", "warehouse")
        page.get_by_role("link", name="Pack station").click()
        page.get_by_label("Location").select_option("ber")
        page.get_by_role("button", name="Show orders to pack").click()
        _shot(page, "pack-queue")
        page.get_by_role("link", name=number).click()
        assert "FRAGILE" in page.locator("#handling").inner_text()

        scan = page.get_by_label("Scan an item or type its SKU")
        for code in ("BOOK", "book", "MUG"):  # a scanner types the code and Enter
            scan.fill(code)
            scan.press("Enter")
            page.wait_for_load_state()
            scan = page.get_by_label("Scan an item or type its SKU")
        scan.fill("MUG")
        scan.press("Enter")
        assert "Too many" in page.locator("#code-error").inner_text()
        assert page.locator("#parcel-units").inner_text() == "3"
        page.get_by_label("Packaging", exact=True).select_option("PADDED-M")
        _shot(page, "pack-parcel")
        page.get_by_role("button", name="Close parcel").click()
        notice = page.locator("#packed-notice").inner_text()
        [package] = ok(api.get(f"/api/v1/fulfilment-orders/{first}/packages"))["items"]
        assert f"SSCC {package['sscc']} in PADDED-M" in notice
        assert page.locator("#fo-status").inner_text() == "packed"
        _shot(page, "pack-closed")

        for link in ("#label-link", "#slip-link"):
            pdf = page.request.get(page.locator(link).get_attribute("href"))
            assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
            assert pdf.body().startswith(b"%PDF")

        next_number = ok(api.get(f"/api/v1/fulfilment-orders/{second}"))["number"]
        page.get_by_role("link", name=f"Next order: {next_number}").click()
        page.wait_for_url(f"**/app/pack/{next_number}")
