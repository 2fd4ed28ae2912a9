"""Stock holds (reservations): placed over HTTP, expired by the worker, converted by an
order inside its transaction."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ordermesh.channels.service import channel_by_code
from ordermesh.inventory.hold_conversion import convert_hold
from ordermesh.inventory.holds import (
    HoldExpired,
    HoldStatus,
    expire_due_holds,
    get_hold,
)
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.model import Allocation, ReservationRequest
from ordermesh.inventory.tables import channel_reserved, inventory_movements
from ordermesh.kit.errors import IllegalTransition, InsufficientStock, InvalidInput
from tests.conftest import START
from tests.helpers import make_channel, ok, shop, stock_of

URL = "/api/v1/reservations"


def _hold(client, lines: list[tuple[str, int]], status: int = 201, **extra) -> dict:
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}
    return ok(client.post(URL, json=body), status)


def _reserved(client, sku: str) -> int:
    return stock_of(client, sku)["totals"]["reserved"]


def _events(client, prefix: str = "reservation.") -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 1000}))["items"]


def _expire(uow, limit: int = 100) -> int:
    with uow(actor="worker") as u:
        return expire_due_holds(u, limit)


def _ids(uow, *skus: str) -> tuple[str, dict[str, str]]:
    """The 'web' channel's id and the product id of each SKU."""
    from ordermesh.catalog.service import resolve_skus

    with uow(write=False) as u:
        products = resolve_skus(u, list(skus))
        return channel_by_code(u, "web").id, {s: p.id for s, p in products.items()}


def _requests(products: dict[str, str], lines: list[tuple[str, int]]) -> list[ReservationRequest]:
    return [ReservationRequest(i, products[sku], sku, q) for i, (sku, q) in enumerate(lines, 1)]


def _counters(uow) -> tuple[list, list]:
    with uow(write=False) as u:
        return (stock_rows(u), sorted(tuple(r) for r in u.execute(select(channel_reserved))))


def stock_rows(u) -> list:
    from ordermesh.inventory.tables import stock

    return sorted((r.product_id, r.location_id, r.on_hand, r.reserved)
                  for r in u.execute(select(stock)))


# --- placing, reading, releasing ------------------------------------------------------


def test_a_hold_reserves_stock_for_its_channel_until_it_expires(client):
    shop(client, {"TEE": {"ber": 3, "ham": 4}, "MUG": {"ber": 5}})
    hold = _hold(client, [("TEE", 5), ("MUG", 1)], reference="cart-81")
    assert hold["id"].startswith("hld_")
    assert hold["status"] == "active" and hold["channel"] == "web"
    assert hold["reference"] == "cart-81" and hold["order_id"] is None
    assert hold["expires_at"] == (START + timedelta(seconds=900)).isoformat().replace(
        "+00:00", "Z")
    assert [(ln["line_no"], ln["sku"], ln["quantity"]) for ln in hold["lines"]] == [
        (1, "TEE", 5), (2, "MUG", 1)]
    tee = hold["lines"][0]["allocations"]
    assert sorted((a["location"], a["quantity"]) for a in tee) == [("ber", 1), ("ham", 4)]
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 7, "reserved": 5, "available": 2}
    assert _reserved(client, "MUG") == 1
    assert ok(client.get(f"{URL}/{hold['id']}")) == hold
    [created] = _events(client)
    assert created["type"] == "reservation.created" and created["aggregate_id"] == hold["id"]
    assert created["payload"]["lines"] == [{"line_no": 1, "sku": "TEE", "quantity": 5},
                                           {"line_no": 2, "sku": "MUG", "quantity": 1}]


def test_a_sku_on_two_lines_is_held_on_both(client):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 2), ("TEE", 3)], expires_in_seconds=60)
    assert [ln["allocations"] for ln in hold["lines"]] == [
        [{"location": "ber", "quantity": 2}], [{"location": "ber", "quantity": 3}]]
    assert stock_of(client, "TEE")["totals"]["available"] == 0


def test_releasing_a_hold_gives_its_stock_back_and_only_once(client):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 4)])
    released = ok(client.post(f"{URL}/{hold['id']}/release",
                              json={"reason": "cart abandoned"}))
    assert released["status"] == "released"
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 5, "reserved": 0, "available": 5}
    again = ok(client.post(f"{URL}/{hold['id']}/release"), 409)
    assert again["code"] == "illegal-transition" and again["current_status"] == "released"
    types = [(e["type"], e["payload"].get("reason")) for e in _events(client)]
    assert types == [("reservation.created", None), ("reservation.released", "cart abandoned")]


def test_a_hold_past_its_expiry_may_still_be_released_before_the_worker_runs(client, clock):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 4)], expires_in_seconds=60)
    clock.advance(timedelta(minutes=5))
    assert ok(client.post(f"{URL}/{hold['id']}/release"))["status"] == "released"
    assert _reserved(client, "TEE") == 0


def test_an_unknown_reservation_is_not_found(client):
    assert ok(client.get(f"{URL}/hld_nope"), 404)["code"] == "not-found"
    assert ok(client.post(f"{URL}/hld_nope/release"), 404)["code"] == "not-found"


def test_a_retried_hold_with_the_same_idempotency_key_holds_stock_once(client):
    shop(client, {"TEE": {"ber": 5}})
    body = {"channel": "web", "lines": [{"sku": "TEE", "quantity": 2}]}
    key = {"Idempotency-Key": "cart-81-checkout"}
    first = client.post(URL, json=body, headers=key)
    second = client.post(URL, json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()
    assert _reserved(client, "TEE") == 2


# --- refusals that change nothing -------------------------------------------------------


def test_a_hold_cannot_take_more_than_is_available(client):
    shop(client, {"TEE": {"ber": 3, "ham": 1}, "MUG": {"ber": 9}})
    _hold(client, [("TEE", 2)])
    problem = _hold(client, [("MUG", 1), ("TEE", 3)], status=409)
    assert problem["code"] == "insufficient-stock"
    assert problem["shortages"] == [{"sku": "TEE", "requested": 3, "available": 2}]
    assert _reserved(client, "TEE") == 2 and _reserved(client, "MUG") == 0
    assert len(_events(client)) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"lines": [{"sku": "TEE", "quantity": 0}]}, "lines.0.quantity"),
    ({"lines": [{"sku": "TEE", "quantity": -2}]}, "lines.0.quantity"),
    ({"lines": [{"sku": "TEE", "quantity": "2"}]}, "lines.0.quantity"),
    ({"lines": [{"sku": "TEE", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
     "lines.1.sku"),
    ({"lines": []}, "lines"),
    ({"lines": [{"sku": "TEE", "quantity": 1}] * 101}, "lines"),
    ({"expires_in_seconds": 59}, "expires_in_seconds"),
    ({"expires_in_seconds": 86_401}, "expires_in_seconds"),
    ({"expires_in_seconds": 600.0}, "expires_in_seconds"),
    ({"channel": "nope"}, "channel"),
    ({"colour": "red"}, "colour"),
    ({"lines": [{"sku": "TEE", "quantity": 1, "price": "5"}]}, "lines.0.price"),
])
def test_bad_input_is_refused_with_the_field_named_and_changes_nothing(client, change, field):
    shop(client, {"TEE": {"ber": 5}})
    body = {"channel": "web", "lines": [{"sku": "TEE", "quantity": 1}], **change}
    problem = ok(client.post(URL, json=body), 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert _reserved(client, "TEE") == 0
    assert _events(client) == []


def test_the_service_refuses_what_the_api_schema_would(uow, client):
    from ordermesh.inventory.holds import PlaceHold, place_hold
    from ordermesh.inventory.model import SkuQuantity

    shop(client, {"TEE": {"ber": 5}})
    with uow() as u, pytest.raises(InvalidInput) as refused:
        place_hold(u, PlaceHold("web", [SkuQuantity("TEE", 0)], expires_in_seconds=10))
    assert [e.field for e in refused.value.errors] == ["lines.0.quantity",
                                                        "expires_in_seconds"]


# --- expiry -------------------------------------------------------------------------------


def test_a_hold_expires_once_the_clock_passes_its_expiry_and_gives_the_stock_back(
        client, uow, clock):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 4)], expires_in_seconds=600)
    clock.advance(timedelta(seconds=599))
    assert _expire(uow) == 0
    assert _reserved(client, "TEE") == 4
    clock.advance(timedelta(seconds=1))
    assert _expire(uow) == 1
    assert ok(client.get(f"{URL}/{hold['id']}"))["status"] == "expired"
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 5, "reserved": 0, "available": 5}
    expired = _events(client)[-1]
    assert expired["type"] == "reservation.expired" and expired["aggregate_id"] == hold["id"]
    assert expired["payload"]["status"] == "expired"
    assert _expire(uow) == 0
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_expiry_leaves_holds_that_have_not_expired_alone(client, uow, clock):
    shop(client, {"TEE": {"ber": 10}})
    short = _hold(client, [("TEE", 1)], expires_in_seconds=60)
    long = _hold(client, [("TEE", 2)], expires_in_seconds=3600)
    released = _hold(client, [("TEE", 3)], expires_in_seconds=60)
    ok(client.post(f"{URL}/{released['id']}/release"))
    clock.advance(timedelta(minutes=10))
    assert _expire(uow) == 1
    status = {h["id"]: ok(client.get(f"{URL}/{h['id']}"))["status"]
              for h in (short, long, released)}
    assert status == {short["id"]: "expired", long["id"]: "active",
                      released["id"]: "released"}
    assert _reserved(client, "TEE") == 2


def test_two_workers_never_expire_the_same_hold_twice(client, uow, clock):
    from ordermesh.inventory.holds import PlaceHold, place_hold
    from ordermesh.inventory.model import SkuQuantity

    shop(client, {"A": {"ber": 100, "ham": 100}, "B": {"ber": 100}})
    for i in range(40):
        lines = [SkuQuantity("A", 1 + i % 3), SkuQuantity("B", 1)][:: 1 - 2 * (i % 2)]
        with uow() as u:
            place_hold(u, PlaceHold("web", lines, expires_in_seconds=60 + i))
    clock.advance(timedelta(hours=1))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work() -> None:
        barrier.wait()
        total = 0
        while done := _expire(uow, limit=3):
            total += done
        counts.append(total)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sum(counts) == 40
    expired = [e["aggregate_id"] for e in _events(client, "reservation.expired")]
    assert len(expired) == len(set(expired)) == 40
    assert _reserved(client, "A") == _reserved(client, "B") == 0
    with uow(write=False) as u:
        assert ledger_drift(u) == []
        releases = u.execute(select(inventory_movements.c.reference_id).where(
            inventory_movements.c.kind == "release")).scalars().all()
    assert len(set(releases)) == 40


# --- conversion by an order ---------------------------------------------------------------


def test_converting_a_hold_moves_its_units_to_the_order_without_changing_counters(
        client, uow):
    shop(client, {"TEE": {"ber": 2, "ham": 3}})
    hold = _hold(client, [("TEE", 4)])
    channel, products = _ids(uow, "TEE")
    before = _counters(uow)
    with uow() as u:
        taken = convert_hold(u, hold["id"], channel, _requests(products, [("TEE", 4)]),
                             ("order", "ord_1"))
        u.commit()
    holds_at = {a["location"]: a["quantity"] for a in hold["lines"][0]["allocations"]}
    assert sum(a.quantity for a in taken) == 4 and all(a.line_no == 1 for a in taken)
    assert len(taken) == len(holds_at)
    assert _counters(uow) == before
    converted = ok(client.get(f"{URL}/{hold['id']}"))
    assert converted["status"] == "converted" and converted["order_id"] == "ord_1"
    with uow(write=False) as u:
        assert ledger_drift(u) == []
        order_rows = u.execute(select(inventory_movements.c.reserved_delta).where(
            inventory_movements.c.reference_id == "ord_1")).scalars().all()
    assert sum(order_rows) == 4
    event = _events(client)[-1]
    assert event["type"] == "reservation.converted"
    assert event["payload"]["order_id"] == "ord_1" and event["payload"]["taken"] == 4


def test_an_order_wanting_more_than_the_hold_reserves_the_extra_units(client, uow):
    shop(client, {"TEE": {"ber": 5}, "MUG": {"ber": 5}})
    hold = _hold(client, [("TEE", 2)])
    channel, products = _ids(uow, "TEE", "MUG")
    with uow() as u:
        taken = convert_hold(u, hold["id"], channel,
                             _requests(products, [("TEE", 3), ("MUG", 1)]), ("order", "ord_2"))
        u.commit()
    assert [(a.line_no, a.quantity) for a in taken] == [(1, 3), (2, 1)]
    assert _reserved(client, "TEE") == 3 and _reserved(client, "MUG") == 1
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_hold_units_the_order_does_not_take_are_released(client, uow):
    shop(client, {"TEE": {"ber": 5}, "MUG": {"ber": 5}, "CAP": {"ham": 5}})
    hold = _hold(client, [("TEE", 3), ("MUG", 2)])
    channel, products = _ids(uow, "TEE", "CAP")
    with uow() as u:
        taken = convert_hold(u, hold["id"], channel,
                             _requests(products, [("TEE", 1), ("CAP", 2)]), ("order", "ord_3"))
        u.commit()
    assert [(a.line_no, a.product_id, a.quantity) for a in taken] == [
        (1, products["TEE"], 1), (2, products["CAP"], 2)]
    assert (_reserved(client, "TEE"), _reserved(client, "MUG"), _reserved(client, "CAP")) == (
        1, 0, 2)
    released = _events(client)[-1]["payload"]["released"]
    assert sorted(released, key=lambda r: r["sku"]) == [
        {"sku": "MUG", "location": "ber", "quantity": 2},
        {"sku": "TEE", "location": "ber", "quantity": 2}]
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_a_conversion_short_of_extra_stock_counts_the_held_units_and_changes_nothing(
        client, uow):
    shop(client, {"TEE": {"ber": 3}})
    hold = _hold(client, [("TEE", 2)])
    channel, products = _ids(uow, "TEE")
    with uow() as u, pytest.raises(InsufficientStock) as short:
        convert_hold(u, hold["id"], channel, _requests(products, [("TEE", 5)]),
                     ("order", "ord_4"))
    assert [(s.sku, s.requested, s.available) for s in short.value.shortages] == [
        ("TEE", 5, 3)]
    assert ok(client.get(f"{URL}/{hold['id']}"))["status"] == "active"
    assert _reserved(client, "TEE") == 2


def test_an_expired_hold_cannot_be_converted_even_before_the_worker_runs(client, uow, clock):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 2)], expires_in_seconds=60)
    channel, products = _ids(uow, "TEE")
    clock.advance(timedelta(seconds=60))
    for _ in range(2):  # before and after the worker expired it
        with uow() as u, pytest.raises(HoldExpired) as refused:
            convert_hold(u, hold["id"], channel, _requests(products, [("TEE", 2)]),
                         ("order", "ord_5"))
        assert refused.value.code == "reservation-expired"
        _expire(uow)
    assert ok(client.get(f"{URL}/{hold['id']}"))["status"] == "expired"


def test_a_hold_of_another_channel_or_an_unknown_one_is_bad_input(client, uow):
    shop(client, {"TEE": {"ber": 5}})
    make_channel(client, "amz", kind="marketplace")
    hold = _hold(client, [("TEE", 2)], channel="amz")
    channel, products = _ids(uow, "TEE")
    for hold_id, code in ((hold["id"], "foreign_reservation"),
                          ("hld_nope", "unknown_reservation")):
        with uow() as u, pytest.raises(InvalidInput) as refused:
            convert_hold(u, hold_id, channel, _requests(products, [("TEE", 1)]),
                         ("order", "ord_6"))
        assert [(e.field, e.code) for e in refused.value.errors] == [("reservation_id", code)]
    assert _reserved(client, "TEE") == 2


def test_a_converted_hold_cannot_be_released_or_converted_again(client, uow):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 2)])
    channel, products = _ids(uow, "TEE")
    requests = _requests(products, [("TEE", 2)])
    with uow() as u:
        convert_hold(u, hold["id"], channel, requests, ("order", "ord_7"))
        u.commit()
    problem = ok(client.post(f"{URL}/{hold['id']}/release"), 409)
    assert problem["current_status"] == "converted"
    with uow() as u, pytest.raises(IllegalTransition) as refused:
        convert_hold(u, hold["id"], channel, requests, ("order", "ord_8"))
    assert not isinstance(refused.value, HoldExpired)
    assert _reserved(client, "TEE") == 2
    with uow(write=False) as u:
        assert get_hold(u, hold["id"]).status is HoldStatus.CONVERTED
        assert ledger_drift(u) == []


def test_a_released_hold_cannot_be_converted(client, uow):
    shop(client, {"TEE": {"ber": 5}})
    hold = _hold(client, [("TEE", 2)])
    ok(client.post(f"{URL}/{hold['id']}/release"))
    channel, products = _ids(uow, "TEE")
    with uow() as u, pytest.raises(IllegalTransition):
        convert_hold(u, hold["id"], channel, _requests(products, [("TEE", 2)]),
                     ("order", "ord_9"))
    assert _reserved(client, "TEE") == 0


def test_the_order_allocations_merge_held_and_extra_units_at_one_location(client, uow):
    shop(client, {"TEE": {"ber": 10}})
    hold = _hold(client, [("TEE", 2)])
    channel, products = _ids(uow, "TEE")
    with uow() as u:
        taken = convert_hold(u, hold["id"], channel, _requests(products, [("TEE", 5)]),
                             ("order", "ord_10"))
        u.commit()
    [allocation] = taken
    assert allocation == Allocation(1, products["TEE"], allocation.location_id, 5)
    assert _reserved(client, "TEE") == 5
