"""A backorder from placement to the parcel: what is in stock ships first, the rest is
sourced when stock arrives and ships in its own fulfilment order."""

from __future__ import annotations

from decimal import Decimal

from ordermesh.sourcing.jobs import BackorderSourcing
from tests.fulfilment_helpers import fos_of, fshop, order_of, pick_pack_ship, place, stock_at
from tests.helpers import capture_later, ok
from tests.integration.test_backorders import allow_backorders, backorderable, expect, receive


def test_units_in_stock_ship_first_and_the_backorder_ships_when_its_stock_arrives(
        client, container):
    fshop(client, {"TEE": {"ber": 2}})
    backorderable(client, "TEE")
    allow_backorders(client)
    supply = expect(client, "TEE", 3, "2026-12-03")
    order = place(client, [("TEE", 5, "10.00")])
    [first] = fos_of(client, order["id"])
    assert first["lines"][0]["quantity"] == 2
    pick_pack_ship(client, "ber", first["id"])
    shipped_part = order_of(client, order["id"])
    assert shipped_part["status"] == "partially_shipped"
    assert (shipped_part["lines"][0]["shipped_quantity"],
            shipped_part["lines"][0]["backordered_quantity"],
            shipped_part["lines"][0]["backorder_promised_date"]) == (2, 3, "2026-12-03")

    receive(client, "TEE", 3, supply["id"])
    assert BackorderSourcing().run_once(container) == 1
    second = next(fo for fo in fos_of(client, order["id"]) if fo["id"] != first["id"])
    assert (second["location"], second["lines"][0]["quantity"]) == ("ber", 3)
    pick_pack_ship(client, "ber", second["id"])
    done = order_of(client, order["id"])
    assert done["status"] == "shipped"
    assert (done["lines"][0]["shipped_quantity"], done["lines"][0]["backordered_quantity"]) == (
        5, 0)
    assert stock_at(client, "TEE", "ber") == {"on_hand": 0, "reserved": 0}
    shipments = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]
    assert [s["lines"][0]["quantity"] for s in shipments] == [2, 3]


def test_after_a_partial_shipment_the_backorder_can_be_cancelled_and_the_order_is_shipped(
        client):
    fshop(client, {"TEE": {"ber": 2}})
    backorderable(client, "TEE")
    allow_backorders(client)
    order = place(client, [("TEE", 5, "10.00")], paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": "4242424242424242", "capture": True}),
       201)
    [first] = fos_of(client, order["id"])
    pick_pack_ship(client, "ber", first["id"])
    after = ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                           json={"lines": [{"line_no": 1, "quantity": 3}],
                                 "reason": "customer cannot wait"}))
    assert after["status"] == "shipped"
    assert (after["lines"][0]["cancelled_quantity"], after["lines"][0]["backordered_quantity"],
            after["lines"][0]["shipped_quantity"]) == (3, 0, 2)
    assert after["totals"]["total"]["amount"] == "20.00"
    refunded = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]["refunded"]
    assert Decimal(refunded["amount"] if isinstance(refunded, dict) else refunded) == 30
    assert stock_at(client, "TEE", "ber") == {"on_hand": 0, "reserved": 0}


def test_a_channel_capturing_per_shipment_releases_the_rest_of_the_authorisation(client):
    fshop(client, {"TEE": {"ber": 2}})
    backorderable(client, "TEE")
    allow_backorders(client)
    capture_later(client)
    order = place(client, [("TEE", 5, "10.00")], paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": "4242424242424242"}), 201)
    [first] = fos_of(client, order["id"])
    pick_pack_ship(client, "ber", first["id"])
    after = ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert (after["status"], after["totals"]["total"]["amount"]) == ("shipped", "20.00")
    summary = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert {k: summary[k]["amount"] for k in ("captured", "voided", "open_authorised")} == {
        "captured": "20.00", "voided": "30.00", "open_authorised": "0.00"}
