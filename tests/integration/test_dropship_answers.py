"""Drop-ship rules and the supplier's answers: routing when our stock is short, a
rejection going back to sourcing, a short after a partial shipment, bad input refused
with nothing changed, and two shipments racing for the last open units."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from ordermesh.dropship.tables import (
    dropship_lines,
    dropship_orders,
    dropship_rules,
    dropship_shipments,
)
from ordermesh.flows import dropship_partner
from ordermesh.fulfilment.tables import fulfilment_lines, fulfilment_orders
from ordermesh.kit.errors import DomainError
from ordermesh.orders.tables import order_allocations, order_lines, orders
from tests import stock_checks
from tests.dropship_helpers import (
    DS,
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
from tests.fulfilment_helpers import fos_of, order_of, stock_at
from tests.helpers import ok
from tests.purchasing_helpers import make_supplier, offer
from tests.stock_checks import assert_no_drift

WATCHED = (dropship_rules, dropship_orders, dropship_lines, dropship_shipments,
           fulfilment_orders, fulfilment_lines, orders, order_lines, order_allocations,
           *stock_checks._WATCHED)


def unchanged(uow, action) -> dict:
    """``action`` (a request) is refused with problem+json and changes nothing."""
    def everything() -> dict:
        with uow(write=False) as u:
            return {t.name: sorted((tuple(r) for r in u.execute(select(t))), key=repr)
                    for t in WATCHED}

    before = everything()
    response = action()
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert everything() == before, "a refused request changed something"
    return response.json()


def test_when_our_stock_is_short_only_the_missing_units_go_to_the_supplier(client, uow):
    dropship_shop(client, own_vase=1)
    rule(client, sku="VASE", mode="when_short")

    order = place(client, [("VASE", 3, "30.00")])

    placed = {fo["location"]: fo["lines"][0]["quantity"] for fo in fos_of(client, order["id"])}
    assert placed == {"ber": 1, "DS-ACME": 2}
    [ds] = dropships_of(client, order["id"])
    assert ds["lines"][0]["quantity"] == 2
    assert order_of(client, order["id"])["lines"][0]["backordered_quantity"] == 0
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 2, "reserved": 2}
    assert_no_drift(uow)


def test_a_when_short_rule_leaves_an_order_our_stock_covers_alone(client):
    dropship_shop(client, own_vase=5)
    rule(client, sku="VASE", mode="when_short")

    order = place(client, [("VASE", 3, "30.00")])

    assert [fo["location"] for fo in fos_of(client, order["id"])] == ["ber"]
    assert dropships_of(client, order["id"]) == []


def test_a_rejected_drop_ship_goes_back_to_our_own_stock(client, uow):
    key, order, ds = vases_routed(client, 2, own_vase=5)

    rejected = answer(client, key, ds["id"], "reject", {"reason": "discontinued"})

    assert rejected["status"] == "rejected" and rejected["lines"][0]["rejected"] == 2
    fos = {fo["location"]: fo["status"] for fo in fos_of(client, order["id"])}
    assert fos == {"DS-ACME": "rejected", "ber": "released"}
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    assert stock_at(client, "VASE", "ber") == {"on_hand": 5, "reserved": 2}
    assert_no_drift(uow)
    card = ok(client.get("/api/v1/suppliers/ACME/scorecard",
                         params={"from": "2026-11-26", "to": "2026-11-26"}))["dropship"]
    assert (card["requested"], card["rejected"], card["acceptance_rate"]) == (1, 1, 0.0)


def test_units_reported_short_after_a_partial_shipment_are_sourced_again(client, uow):
    key, order, ds = vases_routed(client, 3, own_vase=5)
    answer(client, key, ds["id"], "ship", ship_body([(1, 1)]))

    after = answer(client, key, ds["id"], "short", {"lines": [{"line_no": 1, "quantity": 2}]})

    assert (after["status"], after["lines"][0]["short"]) == ("shipped", 2)
    fos = {fo["location"]: fo["status"] for fo in fos_of(client, order["id"])}
    assert fos == {"DS-ACME": "shipped", "ber": "released"}
    assert order_of(client, order["id"])["status"] == "partially_shipped"
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    assert_no_drift(uow)


def test_a_rule_for_a_product_the_supplier_does_not_carry_is_refused(client, uow):
    dropship_shop(client)
    make_supplier(client, "OTHER", currency="GBP")

    problem = unchanged(uow, lambda: client.post(RULES, json={"supplier": "OTHER",
                                                              "sku": "VASE"}))
    assert problem["errors"][0]["field"] == "sku" and problem["status"] == 422
    assert "does not carry VASE" in problem["errors"][0]["message"]


def test_a_rule_for_a_blocked_supplier_is_refused_and_a_blocked_one_gets_no_lines(
        client, uow):
    dropship_shop(client, own_vase=5)
    rule(client, sku="VASE")
    ok(client.patch("/api/v1/suppliers/ACME", json={"status": "blocked"}))

    problem = unchanged(uow, lambda: client.post(RULES, json={"supplier": "ACME",
                                                              "sku": "TEE"}))
    assert problem["errors"][0]["code"] == "supplier_blocked"
    order = place(client, [("VASE", 2, "30.00")])  # its rule routes nothing now
    assert [fo["location"] for fo in fos_of(client, order["id"])] == ["ber"]


def test_shipping_more_than_ordered_is_refused_and_changes_nothing(client, uow):
    key, _order, ds = vases_routed(client, 2)

    problem = unchanged(uow, lambda: client.post(
        f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 3)]), headers=key))
    assert problem["status"] == 422
    assert problem["errors"][0]["code"] == "exceeds_open_quantity"
    unchanged(uow, lambda: client.post(f"{PARTNER}/{ds['id']}/ship",
                                       json=ship_body([(2, 1)]), headers=key))


def test_shipping_a_rejected_drop_ship_order_is_refused_and_changes_nothing(client, uow):
    key, _order, ds = vases_routed(client, 2, own_vase=5)
    answer(client, key, ds["id"], "reject")

    problem = unchanged(uow, lambda: client.post(
        f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 1)]), headers=key))
    assert (problem["status"], problem["current_status"]) == (409, "rejected")
    unchanged(uow, lambda: client.post(f"{PARTNER}/{ds['id']}/reject", headers=key))


def test_a_supplier_neither_sees_nor_answers_another_suppliers_orders(client, uow):
    dropship_shop(client)
    make_supplier(client, "OTHER", currency="GBP")
    offer(client, "OTHER", "TEE", "2.00", currency="GBP")
    rule(client, sku="VASE")
    other = partner_key(client, "OTHER")
    order = place(client, [("VASE", 2, "30.00")])
    [ds] = dropships_of(client, order["id"])

    assert ok(client.get(PARTNER, headers=other))["items"] == []
    for what, body in (("accept", None), ("ship", ship_body([(1, 1)])), ("reject", None),
                       ("short", {"lines": [{"line_no": 1, "quantity": 1}]})):
        problem = unchanged(uow, lambda w=what, b=body: client.post(
            f"{PARTNER}/{ds['id']}/{w}", json=b, headers=other))
        assert problem["status"] == 404
    assert client.get(f"{PARTNER}/{ds['number']}", headers=other).status_code == 404
    assert client.get(f"{DS}/{ds['id']}", headers=other).status_code == 403  # merchant's


def test_a_supplier_key_must_name_an_existing_supplier_and_other_keys_none(client, uow):
    dropship_shop(client)
    for body in ({"role": "supplier"}, {"role": "supplier", "supplier": "NOPE"},
                 {"role": "viewer", "supplier": "ACME"}):
        problem = unchanged(uow, lambda b=body: client.post(
            "/api/v1/api-keys", json={"name": "portal", **b}))
        assert problem["errors"][0]["field"] == "supplier"


def test_two_shipments_racing_for_the_last_open_units_book_them_once(client, uow):
    key, order, ds = vases_routed(client, 3)
    answer(client, key, ds["id"], "ship", ship_body([(1, 1)], "1Z000"))
    threads = 4
    barrier = threading.Barrier(threads)
    outcome: Counter = Counter()
    lock = threading.Lock()

    def ship(i: int) -> None:
        barrier.wait()
        try:
            with uow(actor=f"supplier-{i}") as u:
                dropship_partner.ship(u, ds["id"], ds["supplier_id"], "ups", f"1Z10{i}",
                                      {1: 2})
            result = "booked"
        except DomainError:
            result = "refused"
        with lock:
            outcome[result] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(ship, range(threads)))

    assert outcome == Counter({"booked": 1, "refused": threads - 1})
    after = ok(client.get(f"{DS}/{ds['id']}"))
    assert (after["status"], after["lines"][0]["shipped"], len(after["shipments"])) == (
        "shipped", 3, 2)
    assert order_of(client, order["id"])["lines"][0]["shipped_quantity"] == 3
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    assert_no_drift(uow)


def test_a_cancelled_order_takes_its_units_off_the_drop_ship_order_and_frees_nothing(
        client, uow):
    key, order, ds = vases_routed(client, 2, paid=False)

    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"}))

    after = ok(client.get(f"{DS}/{ds['id']}"))
    # off the order at once; the supplier still has to answer (test_dropship_cancellation)
    assert (after["status"], after["lines"][0]["cancelled"], after["lines"][0]["open"]) == (
        "cancel_requested", 2, 0)
    [waiting] = ok(client.get(PARTNER, headers=key))["items"]
    assert waiting["lines"][0]["cancel_requested"] == 2
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    problem = unchanged(uow, lambda: client.post(f"{PARTNER}/{ds['id']}/ship",
                                                 json=ship_body([(1, 1)]), headers=key))
    assert (problem["status"], problem["current_status"]) == (409, "cancel_requested")
    assert_no_drift(uow)


def test_a_retried_shipment_is_answered_once_and_a_reused_tracking_number_is_refused(
        client, uow):
    key, _order, ds = vases_routed(client, 3)
    retry = {**key, "Idempotency-Key": "parcel-1"}
    first = ok(client.post(f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 1)], "1Z1"),
                           headers=retry))

    again = ok(client.post(f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 1)], "1Z1"),
                           headers=retry))

    assert again == first and again["lines"][0]["shipped"] == 1
    problem = unchanged(uow, lambda: client.post(
        f"{PARTNER}/{ds['id']}/ship", json=ship_body([(1, 1)], "1Z1"), headers=key))
    assert (problem["status"], problem["tracking_number"]) == (409, "1Z1")
    assert [d["number"] for d in ok(client.get(PARTNER, params={"open": "false"},
                                               headers=key))["items"]] == [ds["number"]]
