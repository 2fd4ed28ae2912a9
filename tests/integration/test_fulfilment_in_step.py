"""Fulfilment orders follow their order: cancellations and edits take units off the open
fulfilment order lines at the location they came from; shipments recorded by hand leave
through the fulfilment order that holds the units."""

from tests.fulfilment_helpers import (
    events,
    fos_of,
    fshop,
    pack,
    pick_all,
    pick_pack_ship,
    place,
    snapshot,
    stock_at,
)
from tests.helpers import ok


def _open(fo: dict) -> list[int]:
    return [ln["open"] for ln in fo["lines"]]


def test_cancelling_the_whole_order_cancels_every_fulfilment_order(client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = place(client, [("TEE", 6, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"}))
    fos = fos_of(client, order["id"])
    assert [(f["status"], _open(f)) for f in fos] == [("cancelled", [0]), ("cancelled", [0])]
    assert [f["lines"][0]["cancelled_quantity"] for f in fos] == [2, 4]
    assert len(events(client, "fulfilment.cancelled")) == 2
    assert ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 409)


def test_cancelling_some_units_takes_them_off_the_fulfilment_order_they_were_reserved_for(
        client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}, "MUG": {"ber": 5}})
    order = place(client, [("TEE", 6, "5"), ("MUG", 2, "3")])
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 2, "quantity": 1}], "reason": "one mug is enough"}))
    ber, ham = fos_of(client, order["id"])
    assert (_open(ber), ber["status"]) == ([2, 1], "released")
    assert _open(ham) == [4]
    # the units left at each location are what each fulfilment order still has open
    assert stock_at(client, "MUG", "ber")["reserved"] == 1
    lines_cancelled = events(client, "fulfilment.lines_cancelled")[0]["payload"]
    assert lines_cancelled["lines"] == [{"line_no": 2, "quantity": 1}]


def test_cancelling_picked_units_puts_them_back_and_lowers_the_picked_count(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 3, "5")])
    pick_all(client, "ber")
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 1, "quantity": 2}], "reason": "fewer"}))
    fo = fos_of(client, order["id"])[0]
    line = fo["lines"][0]
    assert (line["open"], line["picked_quantity"], line["cancelled_quantity"]) == (1, 1, 2)
    assert fo["status"] == "picked"
    assert stock_at(client, "TEE", "ber") == {"on_hand": 5, "reserved": 1}


def test_packed_units_cannot_be_cancelled_and_nothing_changes(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    pick_all(client, "ber")
    pack(client, fo["id"])
    before = snapshot(client, order["id"], ["TEE"])
    problem = ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "too late"}), 409)
    assert "packed" in problem["detail"]
    assert ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "x"}), 409)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_an_edit_that_lowers_a_quantity_lowers_the_fulfilment_order(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 3, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 1}]}))
    fo = fos_of(client, order["id"])[0]
    assert (_open(fo), fo["lines"][0]["cancelled_quantity"]) == ([1], 2)
    assert stock_at(client, "TEE", "ber")["reserved"] == 1


def test_an_edit_that_adds_units_gets_them_sourced_joining_an_unpicked_fulfilment_order(
        client):
    fshop(client, {"TEE": {"ber": 5}, "MUG": {"ham": 5}})
    order = place(client, [("TEE", 1, "5")])
    edited = ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "add_line", "sku": "MUG", "quantity": 2, "unit_price": "3"},
                  {"op": "set_quantity", "line_no": 1, "quantity": 2}]}))
    assert [ln["quantity"] for ln in edited["lines"]] == [2, 2]
    fos = fos_of(client, order["id"])
    assert [(f["location"], [(ln["line_no"], ln["open"]) for ln in f["lines"]])
            for f in fos] == [("ber", [(1, 2)]), ("ham", [(2, 2)])]
    assert stock_at(client, "MUG", "ham")["reserved"] == 2
    assert stock_at(client, "TEE", "ber")["reserved"] == 2
    decisions = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]
    assert [d["trigger"] for d in decisions] == ["placement", "edit"]
    assert fos[1]["decision_id"] == decisions[1]["id"]
    (joined,) = events(client, "fulfilment.lines_added")
    assert (joined["aggregate_id"], joined["payload"]["lines"]) == (
        fos[0]["id"], [{"line_no": 1, "quantity": 1}])


def test_an_edit_adding_units_there_is_no_stock_for_is_refused_and_changes_nothing(client):
    fshop(client, {"TEE": {"ber": 2}})
    order = place(client, [("TEE", 1, "5")])
    before = snapshot(client, order["id"], ["TEE"])
    sourcing = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))
    problem = ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 5}]}), 409)
    assert problem["code"] == "insufficient-stock"
    assert problem["shortages"] == [{"sku": "TEE", "requested": 4, "available": 1}]
    assert snapshot(client, order["id"], ["TEE"]) == before
    assert ok(client.get(f"/api/v1/orders/{order['id']}/sourcing")) == sourcing


def test_units_shipped_by_hand_leave_through_their_fulfilment_order_and_never_ship_twice(
        client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 3, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 2}], "carrier": "dhl"}), 201)
    fo = fos_of(client, order["id"])[0]
    line = fo["lines"][0]
    assert (_open(fo), fo["status"]) == ([1], "released")
    assert (line["shipped_quantity"], line["cancelled_quantity"]) == (2, 0)
    assert events(client, "fulfilment.lines_cancelled") == []
    shipped_event = events(client, "fulfilment.lines_shipped")[0]["payload"]
    assert shipped_event["lines"] == [{"line_no": 1, "quantity": 2}]
    assert shipped_event["reason"].startswith("shipped by hand")
    pick_pack_ship(client, "ber", fo["id"])
    shipped = [s["lines"][0]["quantity"]
               for s in ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]]
    assert shipped == [2, 1]
    assert stock_at(client, "TEE", "ber") == {"on_hand": 2, "reserved": 0}
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "shipped"
    assert fos_of(client, order["id"])[0]["status"] == "shipped"


def test_shipping_some_packed_units_by_hand_is_refused_and_changes_nothing(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    pick_all(client, "ber")
    pack(client, fo["id"])
    before = snapshot(client, order["id"], ["TEE"])
    assert ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 1}]}), 409)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_packed_fulfilment_order_recorded_as_shipped_whole_is_handed_over(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    pick_all(client, "ber")
    pack(client, fo["id"])
    shipment = ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 2}], "carrier": "dhl",
        "tracking_number": "JD0001"}), 201)
    assert (shipment["carrier"], shipment["tracking_number"]) == ("dhl", "JD0001")
    fo = fos_of(client, order["id"])[0]
    assert fo["status"] == "shipped"
    assert fo["timeline"][-1]["reason"] == "shipment recorded on the order"
    assert fo["lines"][0]["shipped_quantity"] == 2
    assert stock_at(client, "TEE", "ber") == {"on_hand": 3, "reserved": 0}
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "shipped"


def test_a_fulfilment_order_whose_units_all_shipped_by_hand_is_shipped_never_cancelled(
        client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 2}]}), 201)
    fo = fos_of(client, order["id"])[0]
    assert fo["status"] == "shipped"
    assert fo["timeline"][-1]["reason"].startswith("shipped by hand")
    assert events(client, "fulfilment.cancelled") == []
    assert len(events(client, "fulfilment.shipped")) == 1
    assert stock_at(client, "TEE", "ber") == {"on_hand": 3, "reserved": 0}


def test_units_on_two_fulfilment_orders_are_two_shipments_and_one_request_changes_nothing(
        client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = place(client, [("TEE", 6, "5")])
    before = snapshot(client, order["id"], ["TEE"])
    problem = ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 6}]}), 409)
    assert "one shipment per fulfilment order" in problem["detail"]
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_pickup_order_is_not_shipped_by_hand_but_handed_over_at_the_counter(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": {
        "kind": "store", "capabilities": ["ship", "pickup"]}})
    order = place(client, [("TEE", 1, "5")],
                  fulfilment={"method": "pickup", "pickup_location": "sto"})
    before = snapshot(client, order["id"], ["TEE"])
    problem = ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 1}]}), 409)
    assert "counter" in problem["detail"]
    assert snapshot(client, order["id"], ["TEE"]) == before
