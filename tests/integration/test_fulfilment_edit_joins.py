"""Units an edit adds at a location join the order's fulfilment order there while it is
not yet picked (one pick, one parcel, one label); once it is picked, they get a
fulfilment order of their own."""

from __future__ import annotations

from tests.fulfilment_helpers import events, fos_of, fshop, pack, pick_all, place, ship, stock_at
from tests.helpers import ok


def raise_to(client, order: dict, quantity: int, line_no: int = 1) -> dict:
    return ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": line_no, "quantity": quantity}]}))


def test_units_added_before_the_pick_join_the_fulfilment_order_and_ship_in_one_parcel(
        client):
    fshop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 2, "5")])
    raise_to(client, order, 3)
    (fo,) = fos_of(client, order["id"])
    assert [(ln["quantity"], ln["open"]) for ln in fo["lines"]] == [(3, 3)]
    assert fo["status"] == "released"
    assert stock_at(client, "TEE", "ber") == {"on_hand": 10, "reserved": 3}
    pick_list = pick_all(client, "ber")
    assert [i["quantity"] for i in pick_list["items"]] == [3]
    pack(client, fo["id"])
    booking = ship(client, fo["id"])
    assert len(booking["parcels"]) == 1
    assert len(events(client, "shipment.booked")) == 1
    (shipment,) = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]
    assert shipment["lines"][0]["quantity"] == 3
    assert stock_at(client, "TEE", "ber") == {"on_hand": 7, "reserved": 0}
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "shipped"


def test_units_added_while_picking_join_the_open_pick_list(client):
    fshop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    order = place(client, [("TEE", 2, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={"edits": [
        {"op": "set_quantity", "line_no": 1, "quantity": 3},
        {"op": "add_line", "sku": "MUG", "quantity": 1, "unit_price": "4"}]}))
    listed = ok(client.get(f"/api/v1/pick-lists/{pick_list['id']}"))
    assert sorted((i["sku"], i["quantity"]) for i in listed["items"]) == [
        ("MUG", 1), ("TEE", 3)]
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))
    (fo,) = fos_of(client, order["id"])
    assert fo["status"] == "picked"
    assert [(ln["sku"], ln["picked_quantity"], ln["open"]) for ln in fo["lines"]] == [
        ("TEE", 3, 3), ("MUG", 1, 1)]
    assert events(client, "fulfilment.lines_added")[0]["payload"]["pick_list_id"] == (
        pick_list["id"])


def test_units_added_after_the_pick_get_a_second_fulfilment_order(client):
    fshop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 2, "5")])
    pick_all(client, "ber")
    raise_to(client, order, 3)
    first, second = fos_of(client, order["id"])
    assert (first["status"], first["lines"][0]["quantity"]) == ("picked", 2)
    assert (second["status"], second["lines"][0]["quantity"]) == ("released", 1)
    assert second["location"] == "ber"
    assert events(client, "fulfilment.lines_added") == []
    assert stock_at(client, "TEE", "ber") == {"on_hand": 10, "reserved": 3}
