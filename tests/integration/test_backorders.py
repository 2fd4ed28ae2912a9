"""Backorders and pre-orders: units that cannot be sourced now are placed as backorders
with a promise date from incoming supply, and sourced when stock arrives."""

from __future__ import annotations

import pytest

from ordermesh.sourcing.jobs import BackorderSourcing
from tests.helpers import make_location, make_product, ok, order_body, pay, shop, stock_of
from tests.stock_checks import assert_no_drift, refused

ORDERS = "/api/v1/orders"
SUPPLY = "/api/v1/inventory/supply"
RECEIPTS = "/api/v1/inventory/receipts"


def channel_id(client, code: str = "web") -> str:
    return next(c["id"] for c in ok(client.get("/api/v1/channels"))["items"]
                if c["code"] == code)


def allow_backorders(client, code: str = "web", allow: bool = True) -> None:
    url = f"/api/v1/channels/{channel_id(client, code)}/sourcing"
    current = ok(client.get(url))
    ok(client.put(url, json={"rules": current["rules"], "max_splits": current["max_splits"],
                             "allow_backorders": allow}))


def backorderable(client, sku: str) -> None:
    product = next(p for p in ok(client.get("/api/v1/products"))["items"] if p["sku"] == sku)
    ok(client.patch(f"/api/v1/products/{product['id']}", json={"backorderable": True}))


def expect(client, sku: str, quantity: int, day: str, location: str = "ber") -> dict:
    return ok(client.post(SUPPLY, json={"sku": sku, "location": location, "quantity": quantity,
                                        "expected_date": day, "kind": "purchase_order"}), 201)


def receive(client, sku: str, quantity: int, supply_id: str | None = None,
            location: str = "ber") -> None:
    ok(client.post(RECEIPTS, json={"sku": sku, "location": location, "quantity": quantity,
                                   **({"supply_id": supply_id} if supply_id else {})}), 201)


def place(client, lines: list[tuple[str, int]], status: int = 201) -> dict:
    return ok(client.post(ORDERS, json=order_body([(s, q, "10.00") for s, q in lines])),
              status)


def line(order: dict, no: int = 1) -> dict:
    return next(ln for ln in order["lines"] if ln["line_no"] == no)


def events(client, prefix: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 1000}))["items"]


def run_job(container) -> int:
    return BackorderSourcing().run_once(container)


@pytest.fixture
def store(client):
    """TEE: 2 at 'ber', 10 more expected on 3 December; backorderable on 'web', which
    allows backorders."""
    shop(client, {"TEE": {"ber": 2}})
    backorderable(client, "TEE")
    allow_backorders(client)
    return client


def test_a_short_backorderable_sku_is_placed_with_backordered_units_promised_by_supply(store):
    supply = expect(store, "TEE", 10, "2026-12-03")
    order = place(store, [("TEE", 5)])
    assert (line(order)["backordered_quantity"], line(order)["backorder_promised_date"]) == (
        3, "2026-12-03")
    assert sum(a["quantity"] for a in line(order)["allocations"]) == 2
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 2
    assert ok(store.get(f"{ORDERS}/{order['id']}")) == order
    [event] = events(store, "order.backordered")
    assert event["payload"]["lines"] == [{"line_no": 1, "sku": "TEE", "quantity": 3,
                                          "backordered_quantity": 3,
                                          "promised_date": "2026-12-03"}]
    assert supply["outstanding"] == 10


def test_a_backorder_beyond_known_supply_has_no_promise_date(store):
    order = place(store, [("TEE", 4)])
    assert (line(order)["backordered_quantity"], line(order)["backorder_promised_date"]) == (
        2, None)


@pytest.mark.parametrize("missing", ["channel", "product"])
def test_a_short_order_is_refused_as_before_when_backorders_are_not_allowed(client, uow,
                                                                            missing):
    shop(client, {"TEE": {"ber": 2}})
    if missing == "channel":
        backorderable(client, "TEE")
    else:
        allow_backorders(client)
    problem = refused(client, uow, "POST", ORDERS, 409,
                      json=order_body([("TEE", 5, "10.00")]))
    assert "TEE" in problem["detail"]
    assert ok(client.get(ORDERS))["items"] == []


def test_only_the_backorderable_sku_of_an_order_may_be_short(store, uow):
    make_product(store, "MUG")
    refused(store, uow, "POST", ORDERS, 409,
            json=order_body([("TEE", 5, "10.00"), ("MUG", 1, "5.00")]))


def test_receiving_stock_and_running_the_job_sources_the_backorder(store, container):
    supply = expect(store, "TEE", 10, "2026-12-03")
    order = place(store, [("TEE", 5)])
    assert run_job(container) == 0  # nothing arrived yet
    receive(store, "TEE", 10, supply["id"])
    assert run_job(container) == 1
    after = ok(store.get(f"{ORDERS}/{order['id']}"))
    assert (line(after)["backordered_quantity"], line(after)["backorder_promised_date"]) == (
        0, None)
    assert sum(a["quantity"] for a in line(after)["allocations"]) == 5
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 5
    [sourced] = events(store, "order.backorder_sourced")
    assert sourced["payload"]["lines"] == [{"line_no": 1, "sku": "TEE", "quantity": 3,
                                            "backordered_quantity": 0,
                                            "promised_date": None}]
    decisions = ok(store.get(f"{ORDERS}/{order['id']}/sourcing"))["decisions"]
    assert [(d["trigger"], d["chosen"][0]["quantity"]) for d in decisions] == [
        ("placement", 2), ("backorder", 3)]
    assert sourced["payload"]["decision_id"] == decisions[1]["id"]
    fulfilment = ok(store.get(f"{ORDERS}/{order['id']}/fulfilment"))["fulfilment_orders"]
    assert [(fo["location"], fo["lines"][0]["quantity"]) for fo in fulfilment] == [
        ("ber", 2), ("ber", 3)]
    assert run_job(container) == 0
    assert_no_drift_for(container)


def test_stock_the_channel_cannot_use_leaves_the_backorder_and_records_nothing(
        store, container):
    make_location(store, "kiosk", capabilities=["pickup"])
    order = place(store, [("TEE", 5)])
    receive(store, "TEE", 5, location="kiosk")  # a store that does not ship
    assert run_job(container) == 0
    decisions = ok(store.get(f"{ORDERS}/{order['id']}/sourcing"))["decisions"]
    assert [d["trigger"] for d in decisions] == ["placement"]
    assert events(store, "order.backorder_sourced") == []
    assert line(ok(store.get(f"{ORDERS}/{order['id']}")))["backordered_quantity"] == 3


def assert_no_drift_for(container) -> None:
    from ordermesh.kit.db import UnitOfWork

    assert_no_drift(lambda **kw: UnitOfWork(container.engine, container.clock, **kw))


def test_a_pre_order_of_a_product_without_stock_is_promised_and_sourced_on_arrival(
        store, container):
    make_product(store, "BOOK", backorderable=True)
    supply = expect(store, "BOOK", 50, "2026-12-10")
    order = place(store, [("BOOK", 2)])
    assert (line(order)["backordered_quantity"], line(order)["backorder_promised_date"]) == (
        2, "2026-12-10")
    assert line(order)["allocations"] == []
    receive(store, "BOOK", 50, supply["id"])
    assert run_job(container) == 1
    after = ok(store.get(f"{ORDERS}/{order['id']}"))
    assert line(after)["backordered_quantity"] == 0
    assert [a["quantity"] for a in line(after)["allocations"]] == [2]


def test_cancelling_backordered_units_gives_nothing_back_to_stock(store):
    order = place(store, [("TEE", 5)])
    total = order["totals"]["total"]["amount"]
    after = ok(store.post(f"{ORDERS}/{order['id']}/cancel",
                          json={"lines": [{"line_no": 1, "quantity": 2}]}))
    assert (line(after)["cancelled_quantity"], line(after)["backordered_quantity"]) == (2, 1)
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 2
    assert after["totals"]["total"]["amount"] == "30.00" != total
    after = ok(store.post(f"{ORDERS}/{order['id']}/cancel",
                          json={"lines": [{"line_no": 1, "quantity": 2}]}))
    assert (line(after)["cancelled_quantity"], line(after)["backordered_quantity"]) == (4, 0)
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 1  # one reserved unit back
    after = ok(store.post(f"{ORDERS}/{order['id']}/cancel", json={}))
    assert after["status"] == "cancelled"
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 0


def test_cancelling_a_whole_backordered_order_leaves_nothing_for_the_job(store, container):
    supply = expect(store, "TEE", 10, "2026-12-03")
    order = place(store, [("TEE", 5)])
    ok(store.post(f"{ORDERS}/{order['id']}/cancel", json={}))
    receive(store, "TEE", 10, supply["id"])
    assert run_job(container) == 0
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 0


def test_backordered_units_cannot_ship(store):
    order = place(store, [("TEE", 5)])
    pay(store, order)
    problem = ok(store.post(f"{ORDERS}/{order['id']}/shipments",
                            json={"lines": [{"line_no": 1, "quantity": 3}]}), 422)
    assert problem["errors"][0]["field"] == "lines.0.quantity"
    shipped = ok(store.post(f"{ORDERS}/{order['id']}/shipments",
                            json={"lines": [{"line_no": 1, "quantity": 2}]}), 201)
    assert shipped["lines"][0]["quantity"] == 2
    after = ok(store.get(f"{ORDERS}/{order['id']}"))
    assert (after["status"], line(after)["backordered_quantity"]) == ("partially_shipped", 3)


def test_two_backorders_of_the_same_sku_are_served_oldest_first(client, container):
    shop(client, {"TEE": {"ber": 0}})
    backorderable(client, "TEE")
    allow_backorders(client)
    first_supply = expect(client, "TEE", 3, "2026-12-03")
    expect(client, "TEE", 3, "2026-12-10")
    older = place(client, [("TEE", 3)])
    newer = place(client, [("TEE", 3)])
    assert line(older)["backorder_promised_date"] == "2026-12-03"
    assert line(newer)["backorder_promised_date"] == "2026-12-10"
    receive(client, "TEE", 3, first_supply["id"])
    assert run_job(container) == 1
    older = ok(client.get(f"{ORDERS}/{older['id']}"))
    newer = ok(client.get(f"{ORDERS}/{newer['id']}"))
    assert line(older)["backordered_quantity"] == 0
    assert (line(newer)["backordered_quantity"], line(newer)["backorder_promised_date"]) == (
        3, "2026-12-10")


def test_stock_arriving_short_is_never_oversold(client, container):
    shop(client, {"TEE": {"ber": 0}})
    backorderable(client, "TEE")
    allow_backorders(client)
    orders = [place(client, [("TEE", 2)]) for _ in range(3)]
    receive(client, "TEE", 3)
    assert run_job(container) == 2  # the oldest gets 2, the next 1 of its 2
    backordered = [line(ok(client.get(f"{ORDERS}/{o['id']}")))["backordered_quantity"]
                   for o in orders]
    assert backordered == [0, 1, 2]
    row = stock_of(client, "TEE")["locations"][0]
    assert (row["on_hand"], row["reserved"]) == (3, 3)
    assert run_job(container) == 0
    assert_no_drift_for(container)


def test_an_agent_can_source_an_orders_backorders_now(store):
    order = place(store, [("TEE", 5)])
    nothing = ok(store.post(f"{ORDERS}/{order['id']}/backorders/source", json={}))
    assert nothing["sourced_units"] == 0
    receive(store, "TEE", 1)
    done = ok(store.post(f"{ORDERS}/{order['number']}/backorders/source",
                         json={"reason": "customer called"}))
    assert done["sourced_units"] == 1
    assert line(done["order"])["backordered_quantity"] == 2
    assert [e["payload"]["lines"][0]["quantity"]
            for e in events(store, "order.backorder_sourced")] == [1]


def test_sourcing_backorders_now_is_refused_when_there_are_none_or_the_order_is_held(
        store, uow):
    plain = place(store, [("TEE", 1)])
    refused(store, uow, "POST", f"{ORDERS}/{plain['id']}/backorders/source", 409, json={})
    refused(store, uow, "POST", f"{ORDERS}/ord_nope/backorders/source", 404, json={})
    held = place(store, [("TEE", 3)])
    ok(store.post(f"{ORDERS}/{held['id']}/hold", json={"reason": "fraud check"}))
    refused(store, uow, "POST", f"{ORDERS}/{held['id']}/backorders/source", 409, json={})


def test_an_order_on_hold_is_not_sourced_until_its_hold_is_released(store, container):
    order = place(store, [("TEE", 5)])
    ok(store.post(f"{ORDERS}/{order['id']}/hold", json={"reason": "fraud check"}))
    receive(store, "TEE", 3)
    assert run_job(container) == 0
    ok(store.post(f"{ORDERS}/{order['id']}/release-hold", json={}))
    assert run_job(container) == 1
    assert line(ok(store.get(f"{ORDERS}/{order['id']}")))["backordered_quantity"] == 0


def test_refunding_units_not_shipped_takes_them_off_the_backorder_first(store):
    order = place(store, [("TEE", 5)])
    ok(store.post(f"{ORDERS}/{order['id']}/payments",
                  json={"provider": "test", "source": "4242424242424242", "capture": True}),
       201)
    ok(store.post(f"{ORDERS}/{order['id']}/refunds",
                  json={"lines": [{"line_no": 1, "quantity": 2}], "reason": "out of stock"}),
       201)
    after = ok(store.get(f"{ORDERS}/{order['id']}"))
    assert (line(after)["refunded_quantity"], line(after)["backordered_quantity"]) == (2, 1)
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 2


def test_lowering_a_backordered_lines_quantity_shortens_its_backorder_first(store):
    order = place(store, [("TEE", 5)])
    after = ok(store.post(f"{ORDERS}/{order['id']}/edits",
                          json={"edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3}]}))
    assert (line(after)["open_quantity"], line(after)["backordered_quantity"]) == (3, 1)
    assert stock_of(store, "TEE")["locations"][0]["reserved"] == 2


def test_old_backorders_that_cannot_be_served_do_not_keep_newer_ones_waiting(store, uow):
    from ordermesh.sourcing.backorders import source_backorders

    make_location(store, "kiosk", capabilities=["pickup"])
    stuck = [place(store, [("TEE", 3)]) for _ in range(3)]  # the 2 in stock go to the first
    make_product(store, "BOOK", backorderable=True)
    waiting = place(store, [("BOOK", 1)])
    receive(store, "TEE", 9, location="kiosk")  # a store that does not ship
    receive(store, "BOOK", 1)
    with uow() as u:
        assert source_backorders(u, 1) == 1
    assert line(ok(store.get(f"{ORDERS}/{waiting['id']}")))["backordered_quantity"] == 0
    assert [line(ok(store.get(f"{ORDERS}/{o['id']}")))["backordered_quantity"]
            for o in stuck] == [1, 3, 3]
