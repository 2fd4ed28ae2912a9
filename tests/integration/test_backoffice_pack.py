"""The pack station: a location's picked fulfilment orders, oldest first; items scanned unit
by unit into a parcel; the parcel closed as a package through packing's own ``pack``
(SSCC, packaging stock, events, the signed-in packer as actor); its label and packing slip;
the next order. Wrong items, too many units, bad forms and roles that may not pack are
refused with a page that says why, and nothing changes."""

from __future__ import annotations

import re

import pytest

from ordermesh.app import create_app
from ordermesh.packing.sscc import is_valid
from tests.backoffice_helpers import csrf_of, signed_in
from tests.helpers import ok
from tests.packing_helpers import packing_shop, picked_order, place, stock_at

DIMS = {"length_mm": 120, "width_mm": 100, "height_mm": 100}
PRODUCTS = {
    "MUG": {"weight_grams": 350, "dimensions": DIMS, "handling": ["fragile"]},
    "BOOK": {"weight_grams": 600,
             "dimensions": {"length_mm": 240, "width_mm": 170, "height_mm": 40}},
    "POWERBANK": {"weight_grams": 300, "dimensions": DIMS, "handling": ["hazmat"]},
}
PACKER = "user:warehouse@shop.example"


@pytest.fixture
def app(container):
    return create_app(container)


@pytest.fixture
def shop(client):
    return packing_shop(client, PRODUCTS)


@pytest.fixture
def packer(app, container):
    return signed_in(app, container, "warehouse")


def number_of(client, fo_id: str) -> str:
    return ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]


def packages_of(client, fo_id: str) -> list[dict]:
    return ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]


def scan(browser, url: str, code: str, quantity: str = "1"):
    """Scan ``code`` on the page at ``url`` (its hidden parcel kept); the answer, unfollowed."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    parcel = re.search(r'name="parcel" value="([^"]*)"', page.text)[1]
    return browser.post(url.split("?")[0] + "/scan", data={
        "csrf_token": csrf_of(page.text), "code": code, "quantity": quantity,
        "parcel": parcel}, follow_redirects=False)


def close(browser, url: str, packaging: str, **extra):
    page = browser.get(url)
    assert page.status_code == 200, page.text
    parcel = re.search(r'name="parcel" value="([^"]*)"', page.text)[1]
    key = re.search(r'name="close_key" value="([^"]*)"', page.text)[1]
    return browser.post(url.split("?")[0] + "/close", data={
        "csrf_token": csrf_of(page.text), "parcel": parcel, "packaging": packaging,
        "close_key": key, **extra}, follow_redirects=False)


def in_parcel(html: str, sku: str) -> int:
    row = re.search(rf'data-sku="{sku}".*?data-in-parcel>(\d+)<', html)
    return int(row[1])


def test_the_station_lists_a_locations_picked_orders_oldest_first(
        app, client, container, shop, packer):
    _, first = picked_order(client, container, [("BOOK", 1)])
    not_picked = place(client, [("BOOK", 1)])
    _, second = picked_order(client, container, [("MUG", 2)])
    page = packer.get("/app/pack", params={"location": "ber"})
    assert page.status_code == 200
    listed = re.findall(r'<tr data-fo="([^"]+)">', page.text)
    assert listed == [number_of(client, first), number_of(client, second)]
    assert not_picked["number"] not in page.text
    assert 'href="/app/pack"' in page.text  # in the navigation


def test_scanned_units_closed_into_a_parcel_become_a_package_with_an_sscc_by_the_packer(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 2), ("MUG", 1)])
    url = f"/app/pack/{number_of(client, fo_id)}"
    boxes_before = stock_at(client, "PKG-BOX-M")
    first = scan(packer, url, "BOOK")
    assert first.status_code == 303
    second = scan(packer, first.headers["location"], "book")  # typed, any case
    third = scan(packer, second.headers["location"], "MUG")
    page = packer.get(third.headers["location"])
    assert (in_parcel(page.text, "BOOK"), in_parcel(page.text, "MUG")) == (2, 1)
    assert packages_of(client, fo_id) == []  # scanning records nothing

    closed = close(packer, third.headers["location"], "PADDED-M")
    assert closed.status_code == 303, closed.text
    [package] = packages_of(client, fo_id)
    assert is_valid(package["sscc"]) and package["packaging_code"] == "PADDED-M"
    assert package["lines"] == [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}]
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"] == "packed"
    created = ok(client.get("/api/v1/events", params={"type": "package.created"}))["items"]
    assert [e["actor"] for e in created] == [PACKER]
    assert stock_at(client, "PKG-BOX-M") == boxes_before  # PADDED-M is not stock-tracked

    done = packer.get(closed.headers["location"])
    assert f"Parcel 1 closed: SSCC {package['sscc']}" in done.text
    assert f'/app/pack/packages/{package["id"]}/label.pdf' in done.text
    assert "Nothing left to pack" in done.text
    assert f"<td>{PACKER}</td>" in done.text  # packed by


def test_closing_a_parcel_in_stock_tracked_packaging_takes_one_from_the_locations_stock(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    url = f"/app/pack/{number_of(client, fo_id)}"
    before = stock_at(client, "PKG-BOX-M")
    scanned = scan(packer, url, "BOOK")
    assert close(packer, scanned.headers["location"], "BOX-M").status_code == 303
    assert stock_at(client, "PKG-BOX-M") == before - 1
    consumed = ok(client.get("/api/v1/events", params={"type": "packaging.consumed"}))["items"]
    assert [(e["payload"]["material_sku"], e["actor"]) for e in consumed] == [
        ("PKG-BOX-M", PACKER)]


def test_a_wrong_item_is_refused_with_a_message_and_the_parcel_is_kept(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1), ("MUG", 1)])
    number = number_of(client, fo_id)
    scanned = scan(packer, f"/app/pack/{number}", "BOOK")
    wrong = scan(packer, scanned.headers["location"], "POWERBANK")
    assert wrong.status_code == 422
    assert f"Wrong item: &#39;POWERBANK&#39; is not on {number}" in wrong.text
    assert "this order still needs MUG" in wrong.text
    assert in_parcel(wrong.text, "BOOK") == 1
    unknown = scan(packer, scanned.headers["location"], "<script>x</script>")
    assert unknown.status_code == 422 and "<script>x" not in unknown.text


def test_more_units_than_were_picked_are_refused(app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 3)], picked={1: 2})  # 1 short
    url = f"/app/pack/{number_of(client, fo_id)}"
    too_many_at_once = scan(packer, url, "BOOK", quantity="3")
    assert too_many_at_once.status_code == 422
    assert "Too many: 3 more unit(s) of BOOK do not fit this order (2 picked and not yet " \
           "packed, 0 of them already in this parcel)" in too_many_at_once.text
    two = scan(packer, url, "BOOK", quantity="2")
    one_more = scan(packer, two.headers["location"], "BOOK")
    assert one_more.status_code == 422 and "1 more unit(s) of BOOK" in one_more.text
    assert "2 of them already in this parcel" in one_more.text
    bad = scan(packer, url, "BOOK", quantity="0")
    assert bad.status_code == 422 and "a whole number from 1 to 999" in bad.text


def test_special_handling_is_shown_beside_the_items(app, client, container, shop, packer):
    assert client.put("/api/v1/hazmat-marks/POWERBANK", json={
        "mark": "UN3481 Lithium ion batteries packed with equipment"}).status_code == 204
    _, fo_id = picked_order(client, container, [("MUG", 1), ("POWERBANK", 1)])
    page = packer.get(f"/app/pack/{number_of(client, fo_id)}")
    section = page.text[page.text.index('id="handling"'):page.text.index("<h2>Items")]
    assert "FRAGILE" in section and "UN3481 Lithium ion batteries" in section
    assert "certified packaging, nothing else in this package" in section


def test_a_parcel_of_part_of_the_order_leaves_the_rest_for_the_next_parcel(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    url = f"/app/pack/{number_of(client, fo_id)}"
    assert close(packer, scan(packer, url, "BOOK").headers["location"], "MAILER"
                 ).status_code == 303
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"] == "picked"
    page = packer.get(url)
    assert "Parcel 2:" in page.text and "Nothing left to pack" not in page.text
    queue = packer.get("/app/pack", params={"location": "ber"}).text
    row = re.search(r'<tr data-fo="[^"]+">.*?</tr>', queue)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1"]  # to pack, packed
    assert close(packer, scan(packer, url, "BOOK").headers["location"], "-"
                 ).status_code == 303
    packages = packages_of(client, fo_id)
    assert [(p["seq"], p["packaging_code"]) for p in packages] == [(1, "MAILER"), (2, None)]
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"] == "packed"


def test_the_packer_goes_on_to_the_next_order_in_the_queue(
        app, client, container, shop, packer):
    _, first = picked_order(client, container, [("BOOK", 1)])
    _, second = picked_order(client, container, [("MUG", 1)])
    url = f"/app/pack/{number_of(client, first)}"
    closed = close(packer, scan(packer, url, "BOOK").headers["location"], "BOX-M")
    page = packer.get(closed.headers["location"])
    nxt = number_of(client, second)
    assert f'href="/app/pack/{nxt}" id="next-order"' in page.text
    queue = packer.get("/app/pack", params={"location": "ber"})
    assert re.findall(r'<tr data-fo="([^"]+)">', queue.text) == [nxt]


def test_an_empty_parcel_cannot_be_closed(app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    refused = close(packer, f"/app/pack/{number_of(client, fo_id)}", "BOX-M")
    assert refused.status_code == 422 and "The parcel is empty" in refused.text
    assert packages_of(client, fo_id) == []


def test_packaging_out_of_stock_is_refused_unless_the_packer_packs_anyway(
        app, client, container, packer):
    packing_shop(client, PRODUCTS, boxes_in_stock=0)
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    url = scan(packer, f"/app/pack/{number_of(client, fo_id)}", "BOOK").headers["location"]
    refused = close(packer, url, "BOX-M")
    assert refused.status_code == 409 and "Packaging material short at ber" in refused.text
    assert packages_of(client, fo_id) == []
    assert in_parcel(refused.text, "BOOK") == 1  # the parcel is still there to retry
    assert close(packer, url, "BOX-M", allow_shortage="on").status_code == 303
    [package] = packages_of(client, fo_id)
    assert package["packaging_shortfall"] == 1


def test_a_close_sent_twice_packs_one_parcel(app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    url = scan(packer, f"/app/pack/{number_of(client, fo_id)}", "BOOK").headers["location"]
    page = packer.get(url)
    form = {"csrf_token": csrf_of(page.text), "parcel": "1:1", "packaging": "BOX-M",
            "close_key": re.search(r'name="close_key" value="([^"]*)"', page.text)[1]}
    action = url.split("?")[0] + "/close"
    first = packer.post(action, data=form, follow_redirects=False)
    again = packer.post(action, data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert len(packages_of(client, fo_id)) == 1


def test_the_label_and_the_packing_slip_open_as_pdfs(app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = number_of(client, fo_id)
    close(packer, scan(packer, f"/app/pack/{number}", "BOOK").headers["location"], "BOX-M")
    [package] = packages_of(client, fo_id)
    label = packer.get(f"/app/pack/packages/{package['id']}/label.pdf")
    slip = packer.get(f"/app/pack/{number}/packing-slip.pdf")
    for pdf in (label, slip):
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert f"label-{package['sscc']}.pdf" in label.headers["content-disposition"]
    other = picked_order(client, container, [("MUG", 1)])[1]
    missing = packer.get(f"/app/pack/{number_of(client, other)}/packing-slip.pdf")
    assert missing.status_code == 404 and "has no packages yet" in missing.text


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_roles_that_do_not_pack_are_refused_and_nothing_is_packed(
        app, client, container, shop, packer, role):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = number_of(client, fo_id)
    other = signed_in(app, container, role)
    assert other.get("/app/pack").status_code == 403
    assert other.get(f"/app/pack/{number}").status_code == 403
    home = other.get("/app/")
    assert 'href="/app/pack"' not in home.text
    refused = other.post(f"/app/pack/{number}/close", data={
        "csrf_token": csrf_of(home.text), "parcel": "1:1", "packaging": "BOX-M"},
        follow_redirects=False)
    assert refused.status_code == 403 and "fulfilment.pack" in refused.text
    assert packages_of(client, fo_id) == []


def test_a_close_without_the_forms_security_token_is_refused(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = number_of(client, fo_id)
    for token in ("", "forged"):
        refused = packer.post(f"/app/pack/{number}/close", data={
            "csrf_token": token, "parcel": "1:1", "packaging": "BOX-M"},
            follow_redirects=False)
        assert refused.status_code == 403 and "security token" in refused.text
    assert packages_of(client, fo_id) == []


def test_a_signed_out_person_is_sent_to_sign_in(app, client, container, shop):
    from fastapi.testclient import TestClient

    answer = TestClient(app).get("/app/pack?location=ber", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/app/login?next=%2Fapp%2Fpack")


def test_bad_addresses_answer_pages_that_say_what_is_wrong(
        app, client, container, shop, packer):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = number_of(client, fo_id)
    bad_parcel = packer.get(f"/app/pack/{number}", params={"parcel": "1:x"})
    assert bad_parcel.status_code == 422 and "is not a line and a number" in bad_parcel.text
    assert packer.get("/app/pack/FO-999999-1").status_code == 404
    unknown = packer.get("/app/pack", params={"location": "nowhere"})
    assert unknown.status_code == 422 and "Unknown location" in unknown.text
    found = packer.get("/app/pack", params={"fo": number}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/app/pack/{number}"
    stale = packer.get(f"/app/pack/{number}", params={"parcel": "1:5"})
    assert stale.status_code == 200 and "only 1 picked and not yet packed" in stale.text
    refused = close(packer, f"/app/pack/{number}?parcel=1:5", "BOX-M")
    assert refused.status_code == 422 and packages_of(client, fo_id) == []
