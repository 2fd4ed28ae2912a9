"""The back office's screens, through a signed-in browser (TestClient with cookies):
search, the order page and a line refund, stock and its adjustment, the dashboard and
the work queues, escaped output and pages a person understands for bad input."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from ordermesh.app import create_app
from ordermesh.backoffice import queries
from tests.backoffice_helpers import csrf_of, paid_order, post_form, signed_in
from tests.helpers import make_product, ok, order_body


@pytest.fixture
def app(container):
    return create_app(container)


def _numbers(html: str) -> list[str]:
    return re.findall(r'href="/app/orders/(OM-\d+)"', html)


def test_an_order_is_found_by_number_external_id_email_and_sku(app, client, container):
    order = paid_order(client, email="ada@example.com", external_id="W-1")
    other = ok(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "9.50")], external_id="W-2", customer={"email": "bo@example.com"})), 201)
    browser = signed_in(app, container, "viewer")
    for q, found in [("ADA@example.com", [order]), ("W-2", [other]), ("TEE", [order]),
                     ("MUG", [other, order]), (order["number"].lower(), [order]),
                     ("nothing-like-it", [])]:
        page = browser.get("/app/orders", params={"q": q})
        assert page.status_code == 200
        assert _numbers(page.text) == [o["number"] for o in found], q
    assert "No orders match" in browser.get("/app/orders", params={"q": "zzz"}).text


def test_the_orders_list_pages_with_a_cursor(app, client, container, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    paid_order(client)
    for i in range(4):
        ok(client.post("/api/v1/orders", json=order_body([("MUG", 1, "1.00")],
                                                         external_id=f"X-{i}")), 201)
    browser = signed_in(app, container, "viewer")
    numbers = [o["number"] for o in ok(client.get("/api/v1/orders",
                                                  params={"limit": 100}))["items"]]
    seen, url = [], "/app/orders"
    while url:
        page = browser.get(url)
        assert len(_numbers(page.text)) <= 2
        seen += _numbers(page.text)
        found = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = found[1].replace("&amp;", "&") if found else None
    assert seen == numbers and len(numbers) == 5


def test_an_agent_refunds_one_line_after_seeing_what_it_will_give_back(app, client, container):
    order = paid_order(client)
    browser = signed_in(app, container, "agent", "sam@shop.example")
    page = browser.get(f"/app/orders/{order['number']}")
    assert page.status_code == 200 and "Refund…" in page.text
    confirm = browser.post(f"/app/orders/{order['number']}/refund", data={
        "csrf_token": csrf_of(page.text), "line_no": "1", "quantity": "1", "reason": "torn"})
    assert confirm.status_code == 200
    assert re.search(r'id="refund-amount">19.99 EUR<', confirm.text), confirm.text
    assert ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"] == []
    done = browser.post(f"/app/orders/{order['number']}/refund", data={
        "csrf_token": csrf_of(confirm.text), "line_no": "1", "quantity": "1",
        "reason": "torn", "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    [made] = ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"]
    assert (Decimal(made["amount"]), made["actor"]) == (Decimal("19.99"), "user:sam@shop.example")
    after = browser.get(done.headers["location"])
    assert "The refund was made." in after.text and "user:sam@shop.example" in after.text


@pytest.mark.parametrize(("fields", "message"), [
    ({"line_no": "1", "quantity": "3", "reason": "x"}, "only 2 unit(s) of line 1"),
    ({"line_no": "1", "quantity": "-1", "reason": "x"}, "a whole number of units"),
    ({"line_no": "1", "quantity": "1", "reason": ""}, "say why"),
    ({"line_no": "9", "quantity": "1", "reason": "x"}, "choose a line of this order"),
])
def test_a_bad_refund_form_shows_why_beside_the_form_and_changes_nothing(
        app, client, container, fields, message):
    order = paid_order(client)
    browser = signed_in(app, container, "operator")
    before = ok(client.get(f"/api/v1/orders/{order['id']}"))
    answer = post_form(browser, f"/app/orders/{order['number']}",
                       f"/app/orders/{order['number']}/refund", **fields, confirm="yes")
    assert answer.status_code == 422
    assert message in answer.text
    assert ok(client.get(f"/api/v1/orders/{order['id']}")) == before


def test_an_unknown_order_is_a_404_page_a_person_understands(app, container):
    browser = signed_in(app, container, "viewer")
    answer = browser.get("/app/orders/OM-999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "No order with id or number" in answer.text and "Nothing was changed" in answer.text
    assert browser.get("/app/no-such-page").status_code == 404


def test_adjusting_stock_changes_what_is_available(app, client, container):
    paid_order(client)
    browser = signed_in(app, container, "warehouse")
    page = browser.get("/app/inventory/TEE")
    assert 'id="available-total">8<' in page.text and "<svg" in page.text
    answer = post_form(browser, "/app/inventory/TEE", "/app/inventory/TEE/adjust",
                       location="ber", quantity_delta="5", reason="found")
    assert answer.status_code == 303
    after = browser.get(answer.headers["location"])
    assert 'id="available-total">13<' in after.text and "Stock adjusted." in after.text
    assert ok(client.get("/api/v1/inventory/TEE"))["totals"]["available"] == 13
    events = ok(client.get("/api/v1/events", params={"limit": 500}))["items"]
    assert [e["actor"] for e in events if e["type"] == "inventory.adjusted"][-1] == \
        "user:warehouse@shop.example"


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"location": "ber", "quantity_delta": "-9", "reason": "lost"}, 409,
     "Cannot remove 9 of TEE at ber"),
    ({"location": "ber", "quantity_delta": "abc", "reason": "lost"}, 422, "a whole number"),
    ({"location": "ber", "quantity_delta": "0", "reason": "lost"}, 422, "not 0"),
    ({"location": "ber", "quantity_delta": "1", "reason": "stolen"}, 422, "choose a reason"),
    ({"location": "nowhere", "quantity_delta": "1", "reason": "found"}, 422,
     "Unknown location &#39;nowhere&#39;"),
])
def test_a_bad_adjustment_shows_the_problem_beside_the_form_and_changes_nothing(
        app, client, container, fields, status, message):
    paid_order(client)
    browser = signed_in(app, container, "operator")
    before = ok(client.get("/api/v1/inventory/TEE"))
    answer = post_form(browser, "/app/inventory/TEE", "/app/inventory/TEE/adjust", **fields)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert 'name="quantity_delta"' in answer.text  # the form is shown again
    assert ok(client.get("/api/v1/inventory/TEE")) == before


def test_a_product_named_like_a_script_shows_as_text(app, client, container):
    paid_order(client)
    make_product(client, "XSS-1", name="<script>alert(1)</script>")
    ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "1.00")], external_id="<b>bold</b>")), 201)
    browser = signed_in(app, container, "viewer")
    listing = browser.get("/app/orders", params={"q": "<b>bold</b>"})
    assert "&lt;b&gt;bold&lt;/b&gt;" in listing.text and "<b>bold</b>" not in listing.text
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "XSS-1", "location": "ber", "quantity_delta": 1, "reason": "received"}), 201)
    dashboard = browser.get("/app/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dashboard.text
    assert "<script>" not in dashboard.text


def test_the_dashboard_tiles_agree_with_the_api(app, client, container):
    order = paid_order(client)
    ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "check"}))
    browser = signed_in(app, container, "viewer")
    page = browser.get("/app/").text
    listed = ok(client.get("/api/v1/orders", params={"limit": 100}))["items"]
    for status in ("confirmed", "on_hold", "processing"):
        count = sum(o["status"] == status for o in listed)
        assert f'data-status="{status}">{count}<' in page, status
    row = re.search(r'<tr data-channel="web">(.*?)</tr>', page, re.S)[1]
    cells = re.findall(r">([^<]*)</td>", row)
    assert cells == ["web", "EUR", "1", order["totals"]["total"]["amount"], "1",
                     order["totals"]["total"]["amount"]]
    assert 'data-queue="Orders on hold">1<' in page
    queues = browser.get("/app/queues").text
    assert order["number"] in queues and "0 h" in queues


def test_the_order_page_links_its_invoice_as_a_pdf_a_signed_in_person_can_open(
        app, client, container):
    from tests.helpers import shop
    from tests.integration.test_order_invoices import invoices, sell_through, seller

    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "19.99")])), 201)
    [invoice] = invoices(client, order["id"])
    browser = signed_in(app, container, "viewer")
    page = browser.get(f"/app/orders/{order['number']}").text
    assert f'href="/app/invoices/{invoice["id"]}.pdf">{invoice["number"]}</a>' in page
    pdf = browser.get(f"/app/invoices/{invoice['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert browser.get("/app/invoices/inv_nope.pdf").status_code == 404


def test_an_order_put_on_hold_is_released_from_its_page_back_to_its_status(
        app, client, container):
    order = paid_order(client)
    browser = signed_in(app, container, "operator")
    url = f"/app/orders/{order['number']}"
    assert post_form(browser, url, f"{url}/hold", reason="").status_code == 422
    assert post_form(browser, url, f"{url}/hold", reason="fraud check").status_code == 303
    assert "Release hold" in browser.get(url).text
    assert post_form(browser, url, f"{url}/release-hold", reason="ok").status_code == 303
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert after["status"] == order["status"]
    assert [h["actor"] for h in after["history"][-2:]] == ["user:operator@shop.example"] * 2


def test_a_form_with_a_nul_character_is_refused_before_any_page_and_the_api_still_wants_json(
        app, client, container):
    order = paid_order(client)
    browser = signed_in(app, container, "operator")
    url = f"/app/orders/{order['number']}"
    answer = post_form(browser, url, f"{url}/hold", reason="a\x00b")
    assert answer.status_code == 422 and "form.reason" in answer.text
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == order["status"]
    api_form = client.post(f"/api/v1/orders/{order['id']}/hold", data={"reason": "x"})
    assert api_form.status_code == 415
