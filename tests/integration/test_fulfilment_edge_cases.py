"""Review: sourcing, backorders and fulfilment under bad input, odd orderings and retries."""

from datetime import timedelta

import pytest

from ordermesh.fulfilment.jobs import PickupExpiry
from ordermesh.sourcing.jobs import BackorderSourcing
from tests.fulfilment_helpers import (
    events,
    fos_of,
    fshop,
    order_of,
    pack,
    pick_all,
    place,
    snapshot,
    stock_at,
)
from tests.helpers import add_stock, make_channel, make_location, make_product, ok
from tests.stock_checks import assert_no_drift, refused

FOS = "/api/v1/fulfilment-orders"
STORE = {"kind": "store", "capabilities": ["ship", "pickup"],
         "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "country": "DE"},
         "fulfilment": {"pickup_hold_days": 2}}


def _all_events(client) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    return response.json()


def _location_ids(client) -> dict[str, str]:
    return {loc["code"]: loc["id"] for loc in ok(client.get("/api/v1/locations"))["items"]}


@pytest.fixture
def pickup_order(client) -> dict:
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    return place(client, [("TEE", 2, "10.00")], shipping_address=None,
                 customer={"email": "ada@example.com", "name": "Ada"},
                 fulfilment={"method": "pickup", "pickup_location": "sto"})


def _ready(client, fo_id: str) -> dict:
    return ok(client.post(f"{FOS}/{fo_id}/ready-for-pickup", json={}))


# --- cancellations while fulfilment orders are worked ------------------------------------

def packed_order(client) -> tuple[dict, dict, dict]:
    """An order of 2 TEE whose one fulfilment order (at ber) is picked and packed: the
    order, the fulfilment order and a snapshot of both and the stock."""
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    pick_all(client, "ber")
    pack(client, fo["id"])
    return order, fo, snapshot(client, order["id"], ["TEE"])


def test_cancelling_one_unit_of_a_split_line_takes_the_unpacked_unit_when_the_other_is_packed(
        client):
    fshop(client, {"TEE": {"ber": 1, "ham": 1}})
    order = place(client, [("TEE", 2, "5")])
    fos = {f["location"]: f for f in fos_of(client, order["id"])}
    ids = _location_ids(client)
    # pack the fulfilment order of whichever location would be released first
    packed_at = max(("ber", "ham"), key=lambda c: ids[c])
    other = "ham" if packed_at == "ber" else "ber"
    pick_all(client, packed_at)
    pack(client, fos[packed_at]["id"])
    response = client.post(f"/api/v1/orders/{order['id']}/cancel",
                           json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "x"})
    assert response.status_code == 200, response.text
    after = {f["location"]: f for f in fos_of(client, order["id"])}
    assert after[packed_at]["status"] == "packed"
    assert after[packed_at]["lines"][0]["open"] == 1
    assert after[other]["status"] == "cancelled"
    assert stock_at(client, "TEE", other) == {"on_hand": 1, "reserved": 0}
    assert stock_at(client, "TEE", packed_at) == {"on_hand": 1, "reserved": 1}


def test_cancelling_the_whole_order_while_its_fulfilment_order_is_packed_is_409_and_changes_nothing(
        client, uow):
    order, _fo, before = packed_order(client)
    refused(client, uow, "POST", f"/api/v1/orders/{order['id']}/cancel", 409,
            json={"reason": "changed my mind"})
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_pick_list_confirmed_after_its_order_was_cancelled_puts_everything_back(client, uow):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    confirmed = ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))
    assert confirmed["status"] == "confirmed"
    [event] = events(client, "fulfilment.pick_list_confirmed")
    assert event["payload"]["short"] == []
    assert event["payload"]["put_back"] == [{"position": 1, "sku": "TEE", "quantity": 2}]
    assert stock_at(client, "TEE", "ber") == {"on_hand": 3, "reserved": 0}
    assert_no_drift(uow)


# --- pick lists: bad confirmations change nothing ---------------------------------------

@pytest.mark.parametrize("items, status", [
    ([{"position": 1, "picked_quantity": -1}], 422),
    ([{"position": 9, "picked_quantity": 1}], 422),
    ([{"position": 1, "picked_quantity": 3}], 422),
    ([{"position": 1, "picked_quantity": 1}, {"position": 1, "picked_quantity": 2}], 422),
    ([{"position": 1, "picked_quantity": "1"}], 422),
    ([{"position": 1, "picked_quantity": 1.5}], 422),
    ([{"position": 0, "picked_quantity": 1}], 422),
    ([{"position": 1, "picked_quantity": 1, "bin": "A"}], 422),
])
def test_a_bad_pick_confirmation_is_a_problem_and_changes_nothing(client, uow, items, status):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    before = snapshot(client, order["id"], ["TEE"])
    refused(client, uow, "POST", f"/api/v1/pick-lists/{pick_list['id']}/confirm", status,
            json={"items": items})
    assert snapshot(client, order["id"], ["TEE"]) == before
    assert ok(client.get(f"/api/v1/pick-lists/{pick_list['id']}"))["status"] == "open"


def test_a_pick_list_is_confirmed_once_and_a_second_confirmation_changes_nothing(client, uow):
    fshop(client, {"TEE": {"ber": 3, "ham": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": fo["location"]}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm",
                   json={"items": [{"position": 1, "picked_quantity": 1}]}))
    before = snapshot(client, order["id"], ["TEE"])
    refused(client, uow, "POST", f"/api/v1/pick-lists/{pick_list['id']}/confirm", 409,
            json={"items": [{"position": 1, "picked_quantity": 0}]})
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_short_pick_is_sourced_again_exactly_once_and_stock_adds_up(client, uow):
    fshop(client, {"TEE": {"ber": 3, "ham": 3}})
    order = place(client, [("TEE", 3, "5")])
    [fo] = fos_of(client, order["id"])
    here, there = fo["location"], ("ham" if fo["location"] == "ber" else "ber")
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": here}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm",
                   json={"items": [{"position": 1, "picked_quantity": 1}]}))
    fos = fos_of(client, order["id"])
    assert [(f["location"], f["lines"][0]["open"]) for f in fos] == [(here, 1), (there, 2)]
    assert stock_at(client, "TEE", here) == {"on_hand": 1, "reserved": 1}
    assert stock_at(client, "TEE", there) == {"on_hand": 3, "reserved": 2}
    decisions = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]
    assert [d["trigger"] for d in decisions] == ["placement", "short_pick"]
    assert_no_drift(uow)


# --- accept / reject / start-picking in every status --------------------------------------

def test_accept_reject_and_start_picking_of_a_packed_fulfilment_order_are_409_and_change_nothing(
        client, uow):
    order, fo, before = packed_order(client)
    for path, body in (("accept", {}), ("reject", {"reason": "no"}), ("start-picking", None),
                       ("ready-for-pickup", {}), ("pickup", {"code": "123456"}),
                       ("pickup-code", None), ("3pl/accepted", {}),
                       ("3pl/short", {"lines": [{"line_no": 1, "quantity": 1}]})):
        refused(client, uow, "POST", f"{FOS}/{fo['id']}/{path}", 409, json=body)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_rejecting_a_picked_fulfilment_order_is_refused_and_changes_nothing(client, uow):
    fshop(client, {"TEE": {"ber": 3, "ham": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    pick_all(client, fo["location"])
    before = snapshot(client, order["id"], ["TEE"])
    # picked: its units are off the shelf, nothing is left to refuse
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/reject", 409, json={"reason": "x"})
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/reject", 409,
            json={"reason": "x", "lines": [{"line_no": 1, "quantity": 1}]})
    assert snapshot(client, order["id"], ["TEE"]) == before


@pytest.mark.parametrize("body", [
    {"reason": ""},
    {"lines": [{"line_no": 1, "quantity": 1}]},
    {"reason": "x", "lines": [{"line_no": 2, "quantity": 1}]},
    {"reason": "x", "lines": [{"line_no": 1, "quantity": 0}]},
    {"reason": "x", "lines": [{"line_no": 1, "quantity": -1}]},
    {"reason": "x", "lines": [{"line_no": 1, "quantity": 2}, {"line_no": 1, "quantity": 1}]},
    {"reason": "x", "lines": [{"line_no": "1", "quantity": 1}]},
    {"reason": "x", "extra": True},
    {"reason": "x", "lines": "all"},
])
def test_a_bad_rejection_is_a_422_problem_and_changes_nothing(client, uow, body):
    fshop(client, {"TEE": {"ber": 3, "ham": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    before = snapshot(client, order["id"], ["TEE"])
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/reject", 422, json=body)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_malformed_json_to_fulfilment_endpoints_is_a_problem_not_a_500(client, uow):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    for path in ("accept", "reject", "ready-for-pickup", "pickup", "3pl/shipped"):
        response = client.post(f"{FOS}/{fo['id']}/{path}", content=b'{"reason": ',
                               headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert fos_of(client, order["id"])[0]["status"] == "released"


def test_unknown_fulfilment_orders_and_orders_are_404_problems(client):
    make_channel(client, "web")
    for method, url, body in (
            ("GET", f"{FOS}/fo_nope", None), ("POST", f"{FOS}/fo_nope/accept", {}),
            ("POST", f"{FOS}/FO-999999-1/reject", {"reason": "x"}),
            ("POST", f"{FOS}/fo_nope/start-picking", None),
            ("POST", f"{FOS}/fo_nope/pickup", {"code": "123456"}),
            ("GET", "/api/v1/orders/ord_nope/sourcing", None),
            ("GET", "/api/v1/orders/OM-999999/sourcing", None),
            ("POST", "/api/v1/orders/ord_nope/backorders/source", {}),
            ("GET", "/api/v1/pick-lists/pl_nope", None),
            ("POST", "/api/v1/pick-lists/pl_nope/confirm", {})):
        _problem(client.request(method, url, json=body), 404)


# --- click-and-collect ------------------------------------------------------------------

def test_a_wrong_pickup_code_retried_with_the_same_key_is_refused_again_as_a_new_attempt(
        client, pickup_order):
    """The pickup route takes no Idempotency-Key (api-conventions.md lists the routes that
    do), so a retry is another try at the code and counts towards the limit."""
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    headers = {"Idempotency-Key": "pickup-try-1"}
    first = client.post(f"{FOS}/{fo['id']}/pickup", json={"code": wrong}, headers=headers)
    again = client.post(f"{FOS}/{fo['id']}/pickup", json={"code": wrong}, headers=headers)
    assert first.status_code == 422, first.text
    assert again.status_code == 422, again.text
    assert [(e["field"], e["code"]) for e in first.json()["errors"]] == [("code", "wrong_code")]
    assert first.json()["detail"] == "Wrong pickup code for FO-000001-1 (attempt 1 of 5)"
    assert again.json()["detail"] == "Wrong pickup code for FO-000001-1 (attempt 2 of 5)"
    assert ok(client.get(f"{FOS}/{fo['id']}"))["status"] == "ready_for_pickup"
    # the refusals left the order waiting: the right code still hands it over
    collected = client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code},
                            headers={"Idempotency-Key": "pickup-try-2"})
    assert ok(collected)["status"] == "picked_up"


def test_a_pickup_code_works_once_and_the_expiry_job_leaves_a_collected_pickup_alone(
        client, container, clock, pickup_order):
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    ok(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code}))
    before = snapshot(client, pickup_order["id"], ["TEE"])
    count = len(_all_events(client))
    _problem(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code}), 409)
    _problem(client.post(f"{FOS}/{fo['id']}/pickup-code"), 409)
    clock.advance(timedelta(days=5))
    assert PickupExpiry().run_once(container) == 0
    assert snapshot(client, pickup_order["id"], ["TEE"]) == before
    assert len(_all_events(client)) == count


def test_ready_for_pickup_twice_is_409_and_the_first_code_still_works(client, pickup_order):
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    _problem(client.post(f"{FOS}/{fo['id']}/ready-for-pickup", json={}), 409)
    assert ok(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code}))["status"] == (
        "picked_up")


def test_cancelling_a_pickup_waiting_at_the_counter_cancels_it_and_its_code_stops_working(
        client, pickup_order, uow):
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    ok(client.post(f"/api/v1/orders/{pickup_order['id']}/cancel", json={}))
    assert fos_of(client, pickup_order["id"])[0]["status"] == "cancelled"
    _problem(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code}), 409)
    assert stock_at(client, "TEE", "sto") == {"on_hand": 5, "reserved": 0}
    assert_no_drift(uow)


# --- location settings -------------------------------------------------------------------

@pytest.mark.parametrize("fulfilment", [
    {"regions": ["DE-"]},
    {"regions": ["XX"]},
    {"regions": ["DE-ZZ"]},
    {"regions": [""]},
    {"regions": "DE"},
    {"daily_capacity": -1},
    {"priority": None},
    {"pickup_hold_days": 10_000},
    {"carrier_service": "express"},
])
def test_bad_location_settings_are_refused_and_change_nothing(client, fulfilment):
    loc = make_location(client, "ber")
    before = ok(client.get(f"/api/v1/locations/{loc['id']}"))
    _problem(client.patch(f"/api/v1/locations/{loc['id']}", json={"fulfilment": fulfilment}),
             422)
    assert ok(client.get(f"/api/v1/locations/{loc['id']}")) == before


# --- sourcing settings ------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"rules": ["distance", "distance"]},
    {"rules": []},
    {"rules": ["distance"], "max_splits": 10**9},
    {"rules": ["distance"], "max_splits": -1},
    {"rules": ["max_splits"]},
    {"rules": ["distance"], "shipping_cost": {"per_shipment": "-1"}},
    {"rules": ["distance"], "shipping_cost": {"per_shipment": "1.001"}},
    {"rules": ["distance"], "shipping_cost": {"per_shipment": "1e400"}},
    {"rules": ["distance"], "allow_backorders": "maybe"},
    {"rules": ["distance"], "surprise": 1},
    {"rules": ["distance"] * 100},
])
def test_bad_sourcing_settings_are_refused_and_nothing_is_stored(client, uow, body):
    channel = make_channel(client, "web")
    url = f"/api/v1/channels/{channel['id']}/sourcing"
    before = ok(client.get(url))
    refused(client, uow, "PUT", url, 422, json=body)
    assert ok(client.get(url)) == before


# --- backorders --------------------------------------------------------------------------

def _backorder_shop(client) -> None:
    make_channel(client, "web")
    make_location(client, "ber")
    make_location(client, "ham")
    make_product(client, "TEE", backorderable=True)
    add_stock(client, "TEE", "ber", 2)
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == "web")
    ok(client.put(f"/api/v1/channels/{channel['id']}/sourcing", json={
        "rules": ["eligibility", "capacity", "distance", "stock", "priority"],
        "allow_backorders": True}))


def test_a_rejected_fulfilment_order_is_backordered_then_sourced_once_stock_arrives(
        client, container, uow):
    _backorder_shop(client)
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    ok(client.post(f"{FOS}/{fo['id']}/reject", json={"reason": "staff shortage"}))
    after = order_of(client, order["id"])
    assert after["lines"][0]["backordered_quantity"] == 2
    assert stock_at(client, "TEE", "ber") == {"on_hand": 2, "reserved": 0}
    ok(client.post("/api/v1/inventory/receipts",
                   json={"sku": "TEE", "location": "ham", "quantity": 5}), 201)
    assert BackorderSourcing().run_once(container) == 1
    assert BackorderSourcing().run_once(container) == 0
    after = order_of(client, order["id"])
    assert after["lines"][0]["backordered_quantity"] == 0
    assert sum(a["quantity"] for a in after["lines"][0]["allocations"]) == 2
    total_reserved = (stock_at(client, "TEE", "ber")["reserved"]
                      + stock_at(client, "TEE", "ham")["reserved"])
    assert total_reserved == 2
    open_units = sum(f["lines"][0]["open"] for f in fos_of(client, order["id"]))
    assert open_units == 2
    assert_no_drift(uow)


def test_cancelling_part_of_a_backordered_line_cancels_backordered_units_first(client, uow):
    _backorder_shop(client)
    order = place(client, [("TEE", 5, "5")])
    assert order["lines"][0]["backordered_quantity"] == 3
    after = ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                           json={"lines": [{"line_no": 1, "quantity": 3}]}))
    assert after["lines"][0]["backordered_quantity"] == 0
    assert stock_at(client, "TEE", "ber") == {"on_hand": 2, "reserved": 2}
    [fo] = fos_of(client, order["id"])
    assert fo["status"] == "released" and fo["lines"][0]["open"] == 2
    assert_no_drift(uow)


def test_sourcing_backorders_now_with_a_bad_body_is_422_and_changes_nothing(client, uow):
    _backorder_shop(client)
    order = place(client, [("TEE", 5, "5")])
    for body in ({"reason": 5}, {"why": "x"}, {"reason": "x" * 501}, [1]):
        refused(client, uow, "POST", f"/api/v1/orders/{order['id']}/backorders/source", 422,
                json=body)


# --- more: edits, hold times, 3PL reports, retries ---------------------------------------

MUNICH = {"name": "Ada Lovelace", "line1": "Marienplatz 1", "city": "München",
          "postal_code": "80331", "country": "DE"}


def test_a_new_shipping_address_reaches_the_fulfilment_order_that_has_not_shipped(client):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 1, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_shipping_address", "address": MUNICH}]}))
    assert order_of(client, order["id"])["shipping_address"]["city"] == "München"
    [fo] = fos_of(client, order["id"])
    assert fo["shipping_address"]["city"] == "München"


def test_a_pickup_waits_until_the_hold_until_it_was_promised_even_if_the_store_shortens_its_hold(
        client, container, clock, pickup_order):
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    ready = _ready(client, fo["id"])
    assert ready["hold_until"] == "2026-11-28T12:00:00Z"
    store = _location_ids(client)["sto"]
    ok(client.patch(f"/api/v1/locations/{store}", json={"fulfilment": {"pickup_hold_days": 0}}))
    clock.advance(timedelta(hours=1))
    assert PickupExpiry().run_once(container) == 0
    assert fos_of(client, pickup_order["id"])[0]["status"] == "ready_for_pickup"
    ok(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": ready["pickup_code"]}))


def test_an_edit_that_only_packed_units_could_cover_is_409_and_changes_nothing(client, uow):
    order, _fo, before = packed_order(client)
    refused(client, uow, "POST", f"/api/v1/orders/{order['id']}/edits", 409, json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 1}]})
    assert snapshot(client, order["id"], ["TEE"]) == before


@pytest.fixture
def tpl_order(client) -> tuple[dict, dict]:
    make_channel(client, "web")
    make_location(client, "tpl", kind="3pl", fulfilment={"priority": 1})
    make_product(client, "TEE")
    add_stock(client, "TEE", "tpl", 10)
    order = place(client, [("TEE", 2, "10")])
    return order, fos_of(client, order["id"])[0]


@pytest.mark.parametrize("path, body, status", [
    ("3pl/shipped", {"packages": [{"tracking_number": "T1",
                                   "lines": [{"line_no": 1, "quantity": 3}]}]}, 422),
    ("3pl/shipped", {"packages": [{"tracking_number": "T1",
                                   "lines": [{"line_no": 2, "quantity": 1}]}]}, 422),
    ("3pl/shipped", {"packages": [{"tracking_number": "T1",
                                   "lines": [{"line_no": 1, "quantity": 1}]}]}, 422),
    ("3pl/shipped", {"packages": []}, 422),
    ("3pl/shipped", {"packages": [{"tracking_number": "T1", "sscc": "123456789012345678",
                                   "lines": [{"line_no": 1, "quantity": 2}]}]}, 422),
    ("3pl/short", {"lines": [{"line_no": 1, "quantity": 3}]}, 422),
    ("3pl/short", {"lines": [{"line_no": 7, "quantity": 1}]}, 422),
    ("3pl/short", {"lines": []}, 422),
    ("3pl/accepted", {"reference": "x" * 101}, 422),
])
def test_a_bad_3pl_report_is_refused_and_changes_nothing(client, uow, tpl_order, path, body,
                                                          status):
    order, fo = tpl_order
    before = snapshot(client, order["id"], ["TEE"])
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/{path}", status, json=body)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_3pl_shipment_reported_twice_with_the_same_key_ships_once(client, uow, tpl_order):
    order, fo = tpl_order
    body = {"packages": [{"tracking_number": "T1", "lines": [{"line_no": 1, "quantity": 2}]}]}
    headers = {"Idempotency-Key": "tpl-ship-1"}
    first = ok(client.post(f"{FOS}/{fo['id']}/3pl/shipped", json=body, headers=headers))
    again = ok(client.post(f"{FOS}/{fo['id']}/3pl/shipped", json=body, headers=headers))
    assert first["status"] == again["status"] == "shipped"
    assert len(ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]) == 1
    assert stock_at(client, "TEE", "tpl") == {"on_hand": 8, "reserved": 0}
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/3pl/shipped", 409, json=body)
    assert_no_drift(uow)


def test_a_confirmation_retried_with_the_same_key_answers_the_same_and_shorts_once(client, uow):
    fshop(client, {"TEE": {"ber": 3, "ham": 3}})
    order = place(client, [("TEE", 3, "5")])
    [fo] = fos_of(client, order["id"])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": fo["location"]}), 201)
    url = f"/api/v1/pick-lists/{pick_list['id']}/confirm"
    body = {"items": [{"position": 1, "picked_quantity": 2}]}
    headers = {"Idempotency-Key": "confirm-1"}
    first = ok(client.post(url, json=body, headers=headers))
    assert ok(client.post(url, json=body, headers=headers)) == first
    assert len(events(client, "fulfilment.pick_list_confirmed")) == 1
    assert [d["trigger"] for d in ok(client.get(
        f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]] == ["placement", "short_pick"]
    assert_no_drift(uow)


def test_a_pickup_order_partly_cancelled_at_the_counter_hands_over_the_rest(client,
                                                                            pickup_order):
    [fo] = fos_of(client, pickup_order["id"])
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    ok(client.post(f"/api/v1/orders/{pickup_order['id']}/cancel",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}))
    assert fos_of(client, pickup_order["id"])[0]["status"] == "ready_for_pickup"
    collected = ok(client.post(f"{FOS}/{fo['id']}/pickup", json={"code": code}))
    assert collected["lines"][0]["shipped_quantity"] == 1
    assert stock_at(client, "TEE", "sto") == {"on_hand": 4, "reserved": 0}
    assert order_of(client, pickup_order["id"])["status"] == "completed"


def test_a_pickup_not_collected_gives_its_reserved_units_back_even_when_the_line_has_a_backorder(
        client, container, clock, uow, pickup_order):
    [fo] = fos_of(client, pickup_order["id"])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "sto"}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm",
                   json={"items": [{"position": 1, "picked_quantity": 1}]}))
    assert order_of(client, pickup_order["id"])["lines"][0]["backordered_quantity"] == 1
    assert stock_at(client, "TEE", "sto") == {"on_hand": 4, "reserved": 1}
    _ready(client, fo["id"])
    clock.advance(timedelta(days=2))
    assert PickupExpiry().run_once(container) == 1
    assert fos_of(client, pickup_order["id"])[0]["status"] == "not_collected"
    # the unit that waited at the counter goes back to the store's available stock
    assert stock_at(client, "TEE", "sto") == {"on_hand": 4, "reserved": 0}
    line = order_of(client, pickup_order["id"])["lines"][0]
    assert line["allocations"] == []
    assert_no_drift(uow)


@pytest.mark.parametrize("body", [[], "x", {"reason": 5}, {"reason": "x", "more": 1}])
def test_accepting_with_a_body_of_the_wrong_shape_is_422_and_changes_nothing(client, uow, body):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    [fo] = fos_of(client, order["id"])
    before = snapshot(client, order["id"], ["TEE"])
    refused(client, uow, "POST", f"{FOS}/{fo['id']}/accept", 422, json=body)
    assert snapshot(client, order["id"], ["TEE"]) == before
