"""A customer answers a feedback request on a phone: Debian's chromium driven by
Playwright against a live server (uvicorn in a thread), on SQLite and PostgreSQL; and the
same link posted many times at once over real HTTP is used exactly once.

The order is delivered and the worker job sends the request; the browser opens the link,
answers, and the insights show the answer. Skipped only when chromium is missing outside
CI. With ``ORDERMESH_SCREENSHOTS=1`` the screenshot of docs/feedback.md is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from tests.conftest import ADMIN_KEY
from tests.e2e.threaded_app import served_in_a_thread
from tests.feedback_helpers import DELIVERED_AT, deliver, path_of, request_link, run_job
from tests.feedback_helpers import with_secret as secret_of
from tests.helpers import ok

CHROMIUM = "/usr/bin/chromium"
DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"
pytestmark = [pytest.mark.e2e, pytest.mark.browser]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else \
    __import__("playwright.sync_api", fromlist=["sync_playwright"])


@pytest.fixture
def shop(container: Container) -> Container:
    return secret_of(container)


@pytest.fixture
def live(shop: Container) -> Iterator[str]:
    with served_in_a_thread(create_app(shop)) as url:
        yield url


@pytest.fixture
def phone(live: str):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        context = browser.new_context(base_url=live, viewport={"width": 390, "height": 844},
                                      device_scale_factor=2, is_mobile=True, has_touch=True)
        yield context.new_page()
        browser.close()


def test_a_customer_answers_on_a_phone_and_the_insights_show_it(shop: Container,
                                                                phone) -> None:
    with TestClient(create_app(shop), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api:
        order = deliver(api, shop)
        run_job(shop)
        shop.clock.set(DELIVERED_AT + timedelta(days=3))
        run_job(shop)
        link = path_of(request_link(api))

        phone.goto(link)
        assert phone.get_by_role("heading", name="How did we do?").is_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        nps = phone.get_by_role("group", name="How likely are you to recommend us")
        nps.get_by_text("3", exact=True).tap()
        phone.get_by_role("group", name="How satisfied are you with the delivery?") \
            .get_by_text("2", exact=True).tap()
        product = phone.get_by_role("group", name="TEE")
        product.get_by_text("2", exact=True).tap()
        product.get_by_label("Your review").fill("Thin fabric, it feels cheap")
        phone.get_by_label("Anything else").fill("It came three days late and the box "
                                                 "was crushed")
        if os.environ.get("ORDERMESH_SCREENSHOTS"):
            DOCS_IMG.mkdir(exist_ok=True)
            phone.screenshot(path=str(DOCS_IMG / "feedback-phone.png"), full_page=True)
        phone.get_by_role("button", name="Send").tap()
        phone.get_by_role("heading", name="Thank you!").wait_for()

        phone.goto(link)  # the link was used
        assert "used already" in phone.locator("main").inner_text()

        pieces = ok(api.get("/api/v1/feedback", params={"order": order["number"]}))["items"]
        assert sorted((p["kind"], p["score"]) for p in pieces) == [
            ("csat", 2), ("nps", 3), ("product_rating", 2)]
        insights = ok(api.get("/api/v1/feedback/insights", params={"sku": "TEE"}))
        assert insights["rating"]["n"] == 1 and insights["rating"]["value"] == 2.0
        assert insights["themes"][0]["topic"] == "quality"
        assert insights["themes"][0]["quotes"][0]["text"] == "Thin fabric, it feels cheap"
        everything = ok(api.get("/api/v1/feedback/insights"))
        assert everything["nps"]["value"] == -100.0 and everything["detractors"] == 1
        assert {t["topic"] for t in everything["detractor_themes"]} >= {
            "delivery_speed", "damage", "packaging", "quality"}


def test_a_link_posted_many_times_at_once_is_used_exactly_once(shop: Container,
                                                               live: str) -> None:
    with TestClient(create_app(shop), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api:
        deliver(api, shop)
        run_job(shop)
        shop.clock.set(DELIVERED_AT + timedelta(days=3))
        run_job(shop)
        link = path_of(request_link(api))

        def answer(score: int) -> int:
            return httpx.post(f"{live}{link}", data={"nps": str(score)}, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(answer, range(8)))
        assert statuses == [200] + [409] * 7
        assert len(ok(api.get("/api/v1/feedback"))["items"]) == 1
