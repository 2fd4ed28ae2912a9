"""Click-and-collect, 3PL hand-off, backorders, the promise watch and invoices write
exactly their declared events (tests/event_contract.py); refused steps write none,
except a wrong pickup code, which is counted and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordermesh.fulfilment.jobs import PickupExpiry
from ordermesh.shipping.jobs import SlaWatch
from ordermesh.sourcing.jobs import BackorderSourcing
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.fulfilment_helpers import fos_of, fshop, order_of, pick_all, place, stock_at
from tests.helpers import (
    add_stock,
    make_channel,
    make_location,
    make_product,
    ok,
    order_body,
    pay,
    shop,
)
from tests.shipping_helpers import fulfilment_order, ready_shop
from tests.shipping_helpers import place as place_one

FO = "/api/v1/fulfilment-orders"
VISA = "4242424242424242"
STORE = {"kind": "store", "capabilities": ["ship", "pickup"],
         "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "country": "DE"},
         "fulfilment": {"pickup_hold_days": 2}}
ADA = {"email": "ada@example.com", "name": "Ada"}


def _pickup_order(client) -> tuple[dict, str]:
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    order = place(client, [("TEE", 2, "10.00")], shipping_address=None, customer=ADA,
                  fulfilment={"method": "pickup", "pickup_location": "sto"}, paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": VISA, "capture": True}), 201)
    pick_all(client, "sto")
    return order, fos_of(client, order["id"])[0]["id"]


def test_click_and_collect_writes_ready_code_issued_rejected_and_picked_up(client):
    order, fo_id = _pickup_order(client)
    ready, written = assert_writes(client, "pickup.ready", lambda: ok(client.post(
        f"{FO}/{fo_id}/ready-for-pickup", json={})))
    assert of_type(written, "fulfilment.ready_for_pickup")["payload"]["pickup_code"] == \
        ready["pickup_code"]
    wrong, written = assert_writes(client, "pickup.wrong_code", lambda: client.post(
        f"{FO}/{fo_id}/pickup", json={"code": "000000" if ready["pickup_code"] != "000000"
                                      else "111111"}))
    assert wrong.status_code in (409, 422)
    assert of_type(written, "fulfilment.pickup_code_rejected")["payload"]["attempts"] == 1
    new, written = assert_writes(client, "pickup.new_code", lambda: ok(client.post(
        f"{FO}/{fo_id}/pickup-code")))
    assert of_type(written, "fulfilment.pickup_code_issued")["payload"]["pickup_code"] == \
        new["pickup_code"]
    collected, written = assert_writes(client, "pickup.collect", lambda: ok(client.post(
        f"{FO}/{fo_id}/pickup", json={"code": new["pickup_code"]})))
    assert collected["status"] == "picked_up"
    assert of_type(written, "order.completed")["aggregate_id"] == order["id"]
    assert order_of(client, order["id"])["status"] == "completed"
    again = assert_writes_nothing(client, lambda: client.post(
        f"{FO}/{fo_id}/pickup", json={"code": new["pickup_code"]}))
    assert again.status_code == 409


def test_a_pickup_not_collected_in_time_is_cancelled_by_the_worker(client, container, clock):
    order, fo_id = _pickup_order(client)
    ok(client.post(f"{FO}/{fo_id}/ready-for-pickup", json={}))
    clock.advance(timedelta(days=2, hours=1))
    _, written = assert_writes(client, "pickup.expire",
                               lambda: PickupExpiry().run_once(container))
    assert of_type(written, "fulfilment.not_collected")["aggregate_id"] == fo_id
    assert of_type(written, "refund.issued")["payload"]["kind"] == "cancellation"
    assert order_of(client, order["id"])["status"] == "cancelled"
    assert stock_at(client, "TEE", "sto") == {"on_hand": 5, "reserved": 0}


def _3pl_shop(client) -> None:
    make_channel(client, "web")
    make_location(client, "tpl", kind="3pl", fulfilment={"priority": 1})
    make_location(client, "ber")
    make_product(client, "TEE", weight_grams=200)
    add_stock(client, "TEE", "tpl", 10)
    add_stock(client, "TEE", "ber", 10)


def test_a_3pl_order_is_handed_over_and_its_reports_write_their_events(client):
    _3pl_shop(client)
    order, written = assert_writes(client, "order.place.3pl", lambda: place(
        client, [("TEE", 3, "10")], customer=ADA, paid=False))
    handoff = of_type(written, "fulfilment.handoff_requested")["payload"]
    assert handoff["order"]["number"] == order["number"]
    pay(client, order)  # unpaid orders cannot ship
    fo_id = fos_of(client, order["id"])[0]["id"]
    accepted, _ = assert_writes(client, "3pl.accepted", lambda: ok(client.post(
        f"{FO}/{fo_id}/3pl/accepted", json={"reference": "TPL-778"})))
    assert accepted["status"] == "accepted"
    short, written = assert_writes(client, "3pl.short", lambda: ok(client.post(
        f"{FO}/{fo_id}/3pl/short", json={"lines": [{"line_no": 1, "quantity": 1}],
                                          "reason": "broken in stock"})))
    assert short["lines"][0]["short_quantity"] == 1
    assert of_type(written, "fulfilment.released")["payload"]["location"] == "ber"
    shipped, written = assert_writes(client, "3pl.shipped", lambda: ok(client.post(
        f"{FO}/{fo_id}/3pl/shipped", json={"packages": [
            {"tracking_number": "1Z999", "carrier": "ups",
             "lines": [{"line_no": 1, "quantity": 2}]}]})))
    assert shipped["status"] == "shipped"
    assert of_type(written, "order.shipment_recorded")["payload"]["tracking_number"] == \
        "1Z999"
    refused = assert_writes_nothing(client, lambda: client.post(
        f"{FO}/{fo_id}/3pl/accepted", json={}))
    assert refused.status_code == 409


def _backorder_shop(client) -> None:
    shop(client, {"TEE": {"ber": 2}})
    product = next(p for p in ok(client.get("/api/v1/products"))["items"])
    ok(client.patch(f"/api/v1/products/{product['id']}", json={"backorderable": True}))
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.put(f"/api/v1/channels/{channel['id']}/sourcing",
                  json={"rules": ["distance"], "allow_backorders": True}))


def test_a_backorder_is_written_at_placement_and_sourced_when_stock_arrives(
        client, container):
    _backorder_shop(client)
    order, written = assert_writes(client, "order.place.backorder", lambda: ok(client.post(
        "/api/v1/orders", json=order_body([("TEE", 5, "10.00")])), 201))
    assert of_type(written, "order.backordered")["payload"]["lines"][0][
        "backordered_quantity"] == 3
    add_stock(client, "TEE", "ber", 5)
    _, written = assert_writes(client, "backorders.source",
                               lambda: BackorderSourcing().run_once(container))
    assert of_type(written, "order.backorder_sourced")["aggregate_id"] == order["id"]
    assert order_of(client, order["id"])["lines"][0]["backordered_quantity"] == 0


def test_the_promise_watch_writes_at_risk_then_late_once_each(client, container, clock):
    ready_shop(client, container)
    fo_id = fulfilment_order(client, place_one(client, 1))
    clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))  # the ship-by cut-off
    _, written = assert_writes(client, "sla.at_risk", lambda: SlaWatch().run_once(container))
    assert of_type(written, "fulfilment.at_risk")["aggregate_id"] == fo_id
    clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # past the promised 1 December
    _, written = assert_writes(client, "sla.late", lambda: SlaWatch().run_once(container))
    assert of_type(written, "fulfilment.late")["payload"]["promised_date"] == "2026-12-01"
    assert_writes_nothing(client, lambda: SlaWatch().run_once(container))


BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


def test_an_invoiced_order_writes_invoice_issued_and_its_refund_a_credit_note(client):
    shop(client, {"TEE": {"ber": 10}})
    ok(client.post("/api/v1/legal-entities", json={
        "code": "acme-de", "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}}), 201)
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"legal_entity": "acme-de"}))
    order, written = assert_writes(client, "order.place.invoiced", lambda: ok(client.post(
        "/api/v1/orders", json=order_body([("TEE", 2, "19.99")], shipping_address=BERLIN)),
        201))
    assert of_type(written, "invoice.issued")["payload"]["order_id"] == order["id"]
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": VISA, "capture": True}), 201)
    _, written = assert_writes(client, "order.refund.invoiced", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"amount": "5.00", "reason": "late"}),
        201))
    credit = of_type(written, "credit_note.issued")["payload"]
    assert (credit["kind"], credit["gross"]) == ("credit_note", "5.00")
    kinds = [i["kind"] for i in ok(client.get("/api/v1/invoices",
                                              params={"order_id": order["id"]}))["items"]]
    assert sorted(kinds) == ["credit_note", "invoice"]
    assert stock_at(client, "TEE", "ber") == {"on_hand": 10, "reserved": 2}


def test_an_agent_sourcing_backorders_now_writes_backorder_sourced(client):
    _backorder_shop(client)
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 5, "10.00")])), 201)
    url = f"/api/v1/orders/{order['id']}/backorders/source"
    # nothing to source yet: the attempt is still a sourcing decision of its own
    nothing, written = assert_writes(client, "backorders.source_now.nothing", lambda: ok(
        client.post(url, json={})))
    assert nothing["sourced_units"] == 0
    assert of_type(written, "order.sourced")["payload"]["assignments"] == []
    decisions = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]
    assert of_type(written, "order.sourced")["payload"]["decision_id"] in [
        d["id"] for d in decisions]
    add_stock(client, "TEE", "ber", 1)
    done, written = assert_writes(client, "backorders.source_now", lambda: ok(client.post(
        url, json={"reason": "customer called"})))
    assert done["sourced_units"] == 1
    assert of_type(written, "order.backorder_sourced")["payload"]["lines"][0]["quantity"] == 1
    assert order_of(client, order["id"])["lines"][0]["backordered_quantity"] == 2
