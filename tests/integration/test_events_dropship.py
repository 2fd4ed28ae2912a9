"""Drop-ship writes exactly the declared events (tests/event_contract.py); refused
answers write none."""

from __future__ import annotations

from ordermesh.dropship.jobs import DropshipCancellations
from tests.dropship_helpers import (
    PARTNER,
    RULES,
    answer,
    dropship_shop,
    dropships_of,
    partner_key,
    place,
    rule,
    ship_body,
    vases_routed,
)
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import ok


def test_drop_ship_rules_write_created_and_deleted(client):
    dropship_shop(client)
    created, written = assert_writes(client, "dropship.rule_create",
                                     lambda: rule(client, sku="VASE"))
    assert of_type(written, "location.created")["payload"]["code"] == "DS-ACME"
    _, written = assert_writes(client, "dropship.rule_create.again",
                               lambda: rule(client, channel="web", mode="when_short"))
    assert of_type(written, "dropship.rule_created")["payload"]["mode"] == "when_short"
    assert_writes(client, "dropship.rule_delete", lambda: ok(client.delete(
        f"{RULES}/{created['id']}"), 204) if False else client.delete(
        f"{RULES}/{created['id']}"))
    assert_writes_nothing(client, lambda: client.post(RULES, json={
        "supplier": "ACME", "sku": "NOPE"}))


def test_a_drop_ship_order_and_the_suppliers_answers_write_their_events(client):
    dropship_shop(client)
    rule(client, sku="VASE")
    key = partner_key(client)
    order, written = assert_writes(client, "order.place.dropship", lambda: place(
        client, [("VASE", 3, "30.00")], paid=False))
    requested = of_type(written, "dropship.requested")["payload"]
    assert requested["ship_to"]["city"] == "London"
    assert requested["lines"][0]["unit_cost"] == "11.50"
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": "4242424242424242"}), 201)
    [ds] = dropships_of(client, order["id"])
    assert_writes(client, "dropship.accept", lambda: answer(client, key, ds["id"], "accept"))
    assert_writes_nothing(client, lambda: answer(client, key, ds["id"], "accept",
                                                 status=409))
    _, written = assert_writes(client, "dropship.ship.partial", lambda: answer(
        client, key, ds["id"], "ship", ship_body([(1, 1)], "1Z001")))
    assert of_type(written, "dropship.shipped")["payload"]["open_units"] == 2
    assert_writes_nothing(client, lambda: answer(client, key, ds["id"], "ship",
                                                 ship_body([(1, 3)], "1Z002"), status=422))
    _, written = assert_writes(client, "dropship.short.rest", lambda: answer(
        client, key, ds["id"], "short", {"lines": [{"line_no": 1, "quantity": 2}]}))
    assert of_type(written, "dropship.shorted")["payload"]["status"] == "shipped"


def test_a_rejected_drop_ship_order_writes_rejected_and_goes_back_to_sourcing(client):
    dropship_shop(client, own_vase=5)
    rule(client, sku="VASE")
    key = partner_key(client)
    order = place(client, [("VASE", 2, "30.00")])
    [ds] = dropships_of(client, order["id"])
    _, written = assert_writes(client, "dropship.reject", lambda: answer(
        client, key, ds["id"], "reject", {"reason": "discontinued"}))
    assert of_type(written, "dropship.rejected")["payload"]["reason"] == "discontinued"
    assert_writes_nothing(client, lambda: client.post(
        f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 1)]), headers=key))


def test_a_cancelled_drop_ship_order_writes_cancel_requested_then_the_answer(
        client, container):
    key, order, ds = vases_routed(client, 3, paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 1, "quantity": 1}]}))
    _, written = assert_writes(client, "dropship.cancel_tell",
                               lambda: DropshipCancellations().run_once(container))
    told = of_type(written, "dropship.cancel_requested")
    assert (told["actor"], told["payload"]["lines"], told["payload"]["open_units"]) == (
        "worker:dropship-cancellations", [{"line_no": 1, "quantity": 1}], 2)
    assert_writes_nothing(client, lambda: DropshipCancellations().run_once(container))
    _, written = assert_writes(client, "dropship.cancel_accept", lambda: answer(
        client, key, ds["id"], "cancellation/accept"))
    assert of_type(written, "dropship.cancel_accepted")["payload"]["status"] == "requested"
    assert_writes_nothing(client, lambda: answer(client, key, ds["id"],
                                                 "cancellation/accept", status=409))
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    _, written = assert_writes(client, "dropship.cancel_refuse.untold", lambda: answer(
        client, key, ds["id"], "cancellation/refuse",
        {"reason": "shipped yesterday", "tracking_number": "1Z7"}))
    refused = of_type(written, "dropship.cancel_refused")["payload"]
    assert (refused["status"], refused["lines"], refused["tracking_number"]) == (
        "cancel_refused", [{"line_no": 1, "quantity": 2}], "1Z7")
