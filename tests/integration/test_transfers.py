"""Transfers between locations through the API, and under contention."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from ordermesh.catalog.tables import products
from ordermesh.flows.placement import place_order
from ordermesh.inventory.counts import DamageAction, DamageMove, move_damaged
from ordermesh.inventory.model import SkuQuantity
from ordermesh.inventory.tables import stock
from ordermesh.inventory.transfers import ShipTransfer, ship_transfer
from ordermesh.kit.errors import Conflict
from ordermesh.locations.tables import locations
from ordermesh.orders.service import PlaceLine, PlaceOrder
from tests.helpers import SHIP_TO, make_location, make_product, ok, order_body, shop
from tests.stock_checks import (
    assert_no_drift,
    event_types,
    movements,
    refused,
)

TRANSFERS = "/api/v1/inventory/transfers"


def counters(uow, sku: str) -> dict[str, tuple[int, int, int, int]]:
    """Location code -> (on_hand, reserved, damaged, in_transit) of one SKU."""
    query = (select(locations.c.code, stock.c.on_hand, stock.c.reserved, stock.c.damaged,
                    stock.c.in_transit)
             .join(products, products.c.id == stock.c.product_id)
             .join(locations, locations.c.id == stock.c.location_id)
             .where(products.c.sku == sku))
    with uow(write=False) as u:
        return {r.code: tuple(r)[1:] for r in u.execute(query)}


def transfer(lines: list[tuple[str, int]], source: str = "ber", dest: str = "ham",
             **extra) -> dict:
    return {"from": source, "to": dest,
            "lines": [{"sku": sku, "quantity": q} for sku, q in lines], **extra}


def arriving(lines: list[tuple[str, int]], **extra) -> dict:
    return {"lines": [{"sku": sku, "quantity": q} for sku, q in lines], **extra}


@pytest.fixture
def store(client):
    """TEE: 10 at 'ber', 4 reserved by an order; MUG: 5 at 'ber'; CAP: none; 'ham' and
    'muc' are empty."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    make_location(client, "ham")
    make_location(client, "muc")
    make_product(client, "CAP")
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 4, "5")])), 201)
    return client


def test_shipping_takes_free_stock_from_the_sender_and_puts_it_in_transit_to_the_receiver(
        store, uow):
    shipped = ok(store.post(TRANSFERS, json=transfer(
        [("TEE", 6), ("MUG", 2)], expected_date="2026-11-30", reference="TR-1",
        note="pallet 3")), 201)
    assert shipped["id"].startswith("trf_")
    assert {k: shipped[k] for k in ("from", "to", "status", "expected_date", "reference",
                                    "note", "received_at")} == {
        "from": "ber", "to": "ham", "status": "in_transit", "expected_date": "2026-11-30",
        "reference": "TR-1", "note": "pallet 3", "received_at": None}
    assert [(ln["sku"], ln["quantity"], ln["received"], ln["outstanding"])
            for ln in shipped["lines"]] == [("MUG", 2, 0, 2), ("TEE", 6, 0, 6)]
    assert counters(uow, "TEE") == {"ber": (4, 4, 0, 0), "ham": (0, 0, 0, 6)}
    assert counters(uow, "MUG") == {"ber": (3, 0, 0, 0), "ham": (0, 0, 0, 2)}
    assert sorted((m["kind"], m["on_hand_delta"], m["in_transit_delta"], m["reference_id"])
                  for m in movements(uow) if m["reference_type"] == "transfer") == [
        ("transfer_in", 0, 2, shipped["id"]), ("transfer_in", 0, 6, shipped["id"]),
        ("transfer_out", -6, 0, shipped["id"]), ("transfer_out", -2, 0, shipped["id"])]
    assert ok(store.get(f"{TRANSFERS}/{shipped['id']}")) == shipped
    assert "transfer.shipped" in event_types(store, "transfer.")
    assert "inventory.stock_out" in event_types(store, "inventory.")  # TEE: 0 free left
    assert_no_drift(uow)


def test_a_transfer_received_in_parts_is_partially_received_then_received(store, uow, clock):
    shipped = ok(store.post(TRANSFERS, json=transfer([("TEE", 6), ("MUG", 2)])), 201)
    url = f"{TRANSFERS}/{shipped['id']}/receipts"
    part = ok(store.post(url, json=arriving([("TEE", 4)], note="first pallet")), 201)
    assert part["status"] == "partially_received" and part["received_at"] is None
    assert counters(uow, "TEE")["ham"] == (4, 0, 0, 2)
    clock.advance(timedelta(hours=3))
    done = ok(store.post(url, json=arriving([("MUG", 2), ("TEE", 2)])), 201)
    assert done["status"] == "received"
    assert done["received_at"].startswith("2026-11-26T15:00")
    assert [(ln["sku"], ln["received"], ln["outstanding"]) for ln in done["lines"]] == [
        ("MUG", 2, 0), ("TEE", 6, 0)]
    assert counters(uow, "TEE") == {"ber": (4, 4, 0, 0), "ham": (6, 0, 0, 0)}
    assert counters(uow, "MUG") == {"ber": (3, 0, 0, 0), "ham": (2, 0, 0, 0)}
    assert event_types(store, "transfer.") == [
        "transfer.shipped", "transfer.received", "transfer.received"]
    assert_no_drift(uow)


def test_receiving_more_than_is_outstanding_is_refused_and_changes_nothing(store, uow):
    shipped = ok(store.post(TRANSFERS, json=transfer([("TEE", 6), ("MUG", 2)])), 201)
    url = f"{TRANSFERS}/{shipped['id']}/receipts"
    ok(store.post(url, json=arriving([("TEE", 5)])), 201)
    problem = refused(store, uow, "POST", url, 409, json=arriving([("MUG", 2), ("TEE", 2)]))
    assert problem["over_outstanding"] == [{"sku": "TEE", "requested": 2, "outstanding": 1}]


def test_a_transfer_received_in_full_cannot_be_received_again(store, uow):
    shipped = ok(store.post(TRANSFERS, json=transfer([("MUG", 2)])), 201)
    url = f"{TRANSFERS}/{shipped['id']}/receipts"
    ok(store.post(url, json=arriving([("MUG", 2)])), 201)
    refused(store, uow, "POST", url, 409, json=arriving([("MUG", 1)]))


def test_receiving_a_sku_that_is_not_on_the_transfer_is_refused(store, uow):
    shipped = ok(store.post(TRANSFERS, json=transfer([("MUG", 2)])), 201)
    refused(store, uow, "POST", f"{TRANSFERS}/{shipped['id']}/receipts", 422, "lines.1.sku",
            json=arriving([("MUG", 1), ("TEE", 1)]))


def test_a_transfer_short_of_free_stock_lists_every_short_sku_and_changes_nothing(
        store, uow):
    problem = refused(store, uow, "POST", TRANSFERS, 409,
                      json=transfer([("TEE", 7), ("MUG", 5), ("CAP", 1)]))
    assert problem["code"] == "insufficient-stock"
    assert problem["shortages"] == [{"sku": "CAP", "requested": 1, "available": 0},
                                    {"sku": "TEE", "requested": 7, "available": 6}]


def test_a_transfer_to_the_location_it_comes_from_is_refused(store, uow):
    problem = refused(store, uow, "POST", TRANSFERS, 422, "to",
                      json=transfer([("MUG", 1)], "ber", "ber"))
    assert problem["code"] == "invalid-input"


@pytest.mark.parametrize(("body", "field"), [
    (transfer([("MUG", 0)]), "lines.0.quantity"),
    (transfer([("MUG", -1)]), "lines.0.quantity"),
    (transfer([("MUG", 1_000_001)]), "lines.0.quantity"),
    (transfer([("MUG", 1), ("MUG", 1)]), "lines.1.sku"),
    (transfer([("MUG", 1), ("NOPE", 1)]), "lines.1.sku"),
    (transfer([]), "lines"),
    (transfer([("MUG", 1)] * 501), "lines"),
    (transfer([("MUG", 1)], "par"), "from"),
    (transfer([("MUG", 1)], "ber", "par"), "to"),
    ({**transfer([("MUG", 1)]), "from_location": "ber"}, "from_location"),
    ({"to": "ham", "lines": [{"sku": "MUG", "quantity": 1}]}, "from"),
    (transfer([("MUG", 1)], expected_date="soon"), "expected_date"),
])
def test_transfers_with_bad_values_are_refused_naming_the_field(store, uow, body, field):
    refused(store, uow, "POST", TRANSFERS, 422, field, json=body)


@pytest.mark.parametrize("lines", [[("MUG", 0)], [("MUG", -2)], []])
def test_transfer_receipts_with_bad_quantities_are_refused(store, uow, lines):
    shipped = ok(store.post(TRANSFERS, json=transfer([("MUG", 2)])), 201)
    refused(store, uow, "POST", f"{TRANSFERS}/{shipped['id']}/receipts", 422,
            json=arriving(lines))


def test_a_retried_shipment_and_receipt_happen_once(store, uow):
    key = {"Idempotency-Key": "tr-9"}
    first = ok(store.post(TRANSFERS, json=transfer([("MUG", 2)]), headers=key), 201)
    assert ok(store.post(TRANSFERS, json=transfer([("MUG", 2)]), headers=key), 201) == first
    url = f"{TRANSFERS}/{first['id']}/receipts"
    got = ok(store.post(url, json=arriving([("MUG", 1)]), headers={"Idempotency-Key": "a"}),
             201)
    again = ok(store.post(url, json=arriving([("MUG", 1)]), headers={"Idempotency-Key": "a"}),
               201)
    assert again == got and got["lines"][0]["received"] == 1
    assert counters(uow, "MUG") == {"ber": (3, 0, 0, 0), "ham": (1, 0, 0, 1)}
    assert len(ok(store.get(TRANSFERS))["items"]) == 1


def test_transfers_are_listed_newest_first_and_filtered_by_status_and_location(
        store, clock):
    first = ok(store.post(TRANSFERS, json=transfer([("MUG", 1)])), 201)
    clock.advance(timedelta(minutes=1))
    second = ok(store.post(TRANSFERS, json=transfer([("MUG", 1)], "ber", "muc")), 201)
    ok(store.post(f"{TRANSFERS}/{first['id']}/receipts", json=arriving([("MUG", 1)])), 201)

    def ids(**params) -> list[str]:
        return [t["id"] for t in ok(store.get(TRANSFERS, params=params))["items"]]

    assert ids() == [second["id"], first["id"]]
    assert ids(status="in_transit") == [second["id"]]
    assert ids(status="received", location="ham") == [first["id"]]
    assert ids(location="ber") == [second["id"], first["id"]]
    assert ids(location="muc", status="received") == []
    page = ok(store.get(TRANSFERS, params={"limit": 1}))
    rest = ok(store.get(TRANSFERS, params={"limit": 1, "cursor": page["next_cursor"]}))
    assert [t["id"] for t in page["items"] + rest["items"]] == ids()


@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", f"{TRANSFERS}/trf_unknown", None),
    ("POST", f"{TRANSFERS}/trf_unknown/receipts", arriving([("MUG", 1)])),
])
def test_an_unknown_transfer_is_not_found(store, uow, method, url, body):
    assert refused(store, uow, method, url, 404, json=body)["code"] == "not-found"


def test_stock_shipped_quarantined_and_ordered_at_once_is_never_oversold_nor_drifts(
        client, uow):
    """Twenty threads take units of the same rows at once: transfers both ways listing
    the SKUs in either order, quarantines and orders. Every unit stays accounted for."""
    shop(client, {"A": {"ber": 20, "ham": 5}, "B": {"ber": 20, "ham": 5}})
    ber_to_ham = ShipTransfer("ber", "ham", [SkuQuantity("A", 1), SkuQuantity("B", 1)])
    ham_to_ber = ShipTransfer("ham", "ber", [SkuQuantity("B", 1), SkuQuantity("A", 1)])
    quarantine = DamageMove("A", "ber", DamageAction.QUARANTINE, 1)
    order = PlaceOrder(channel="web", lines=[PlaceLine("B", 1, Decimal(5)),
                                             PlaceLine("A", 1, Decimal(5))],
                       shipping_address=SHIP_TO)
    work = [("out", ship_transfer, ber_to_ham), ("back", ship_transfer, ham_to_ber),
            ("quarantine", move_damaged, quarantine), ("order", place_order, order)] * 15
    barrier, outcome, lock = threading.Barrier(20), Counter(), threading.Lock()

    def act(i: int) -> None:
        if i < 20:
            barrier.wait()
        label, use_case, command = work[i]
        try:
            with uow(actor=f"worker-{i}") as u:
                use_case(u, command)
            result = "done"
        except Conflict:  # not enough free stock; anything else fails the test
            result = "refused"
        with lock:
            outcome[label, result] += 1

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(act, range(len(work))))
    a, b = counters(uow, "A"), counters(uow, "B")
    for rows in (a, b):
        assert all(min(r) >= 0 and r[1] <= r[0] for r in rows.values()), rows
        assert sum(r[0] + r[2] + r[3] for r in rows.values()) == 25  # nothing made or lost
        assert rows["ham"][3] == outcome["out", "done"] > 0
        assert rows["ber"][3] == outcome["back", "done"] > 0
        assert rows["ham"][0] == 5 - outcome["back", "done"]
        assert rows["ber"][1] + rows["ham"][1] == outcome["order", "done"] > 0
    assert a["ber"][2] == outcome["quarantine", "done"] > 0
    assert a["ber"][0] == 20 - outcome["out", "done"] - outcome["quarantine", "done"]
    assert sum(n for (_, result), n in outcome.items() if result == "refused") > 0
    assert_no_drift(uow)
