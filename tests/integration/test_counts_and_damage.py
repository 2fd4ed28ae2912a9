"""Cycle counts, quarantine, restore and write-off through the API."""

from __future__ import annotations

import pytest

from tests.helpers import make_product, ok, order_body, shop
from tests.stock_checks import (
    assert_no_drift,
    event_types,
    movements,
    refused,
)

COUNTS = "/api/v1/inventory/counts"
DAMAGE = "/api/v1/inventory/damage"


@pytest.fixture
def store(client):
    """TEE: 10 at 'ber', 4 of them reserved by an order; MUG: 3 at 'ber'; CAP: none."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 3}})
    make_product(client, "CAP")
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 4, "5")])), 201)
    return client


def row(client, sku: str, location: str = "ber") -> dict:
    """on_hand and reserved of a SKU at a location, from the stock view."""
    level = next((lv for lv in ok(client.get(f"/api/v1/inventory/{sku}"))["locations"]
                  if lv["location"] == location), {"on_hand": 0, "reserved": 0})
    return {"on_hand": level["on_hand"], "reserved": level["reserved"]}


def damage(action: str, quantity: int, sku: str = "TEE", **extra) -> dict:
    return {"sku": sku, "location": "ber", "action": action, "quantity": quantity, **extra}


def test_a_count_books_each_difference_and_reports_expected_counted_and_difference(
        store, uow):
    counted = ok(store.post(COUNTS, json={"location": "ber", "note": "sheet 17", "lines": [
        {"sku": "TEE", "counted": 8}, {"sku": "MUG", "counted": 3},
        {"sku": "CAP", "counted": 2}]}), 201)
    assert counted["id"].startswith("cnt_") and counted["location"] == "ber"
    assert counted["lines"] == [
        {"sku": "TEE", "expected": 10, "counted": 8, "difference": -2},
        {"sku": "MUG", "expected": 3, "counted": 3, "difference": 0},
        {"sku": "CAP", "expected": 0, "counted": 2, "difference": 2}]
    assert row(store, "TEE") == {"on_hand": 8, "reserved": 4}
    assert row(store, "CAP") == {"on_hand": 2, "reserved": 0}
    booked = movements(uow, "count")
    assert sorted((m["on_hand_delta"], m["reason"], m["reference_id"]) for m in booked) == [
        (-2, "count_correction", counted["id"]), (2, "count_correction", counted["id"])]
    assert "inventory.counted" in event_types(store, "inventory.")
    assert_no_drift(uow)


def test_counting_down_to_exactly_the_reserved_units_is_allowed(store, uow):
    counted = ok(store.post(COUNTS, json={"location": "ber", "lines": [
        {"sku": "TEE", "counted": 4}, {"sku": "MUG", "counted": 0}]}), 201)
    assert [ln["difference"] for ln in counted["lines"]] == [-6, -3]
    assert "inventory.stock_out" in event_types(store, "inventory.")
    assert_no_drift(uow)


def test_counting_below_the_reserved_units_is_refused_naming_the_sku_and_books_no_line(
        store, uow):
    problem = refused(store, uow, "POST", COUNTS, 409, json={"location": "ber", "lines": [
        {"sku": "MUG", "counted": 1}, {"sku": "TEE", "counted": 3}]})
    assert problem["below_reserved"] == [{"sku": "TEE", "counted": 3, "reserved": 4}]
    assert "TEE" in problem["detail"]


def test_a_count_with_one_unknown_sku_books_no_line(store, uow):
    refused(store, uow, "POST", COUNTS, 422, "lines.1.sku", json={"location": "ber", "lines": [
        {"sku": "MUG", "counted": 1}, {"sku": "NOPE", "counted": 3}]})


def test_a_retried_count_is_booked_once_and_answers_as_the_first_time(store, uow):
    body = {"location": "ber", "lines": [{"sku": "TEE", "counted": 7},
                                         {"sku": "MUG", "counted": 3}]}
    key = {"Idempotency-Key": "count-ber-17"}
    first = ok(store.post(COUNTS, json=body, headers=key), 201)
    assert ok(store.post(COUNTS, json=body, headers=key), 201) == first
    assert row(store, "TEE")["on_hand"] == 7
    assert len(movements(uow, "count")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"location": "ber", "lines": [{"sku": "TEE", "counted": -1}]}, "lines.0.counted"),
    ({"location": "ber", "lines": [{"sku": "TEE", "counted": "7"}]}, "lines.0.counted"),
    ({"location": "ber", "lines": [{"sku": "TEE", "counted": 1_000_000_001}]},
     "lines.0.counted"),
    ({"location": "ber", "lines": []}, "lines"),
    ({"location": "ber", "lines": [{"sku": "TEE", "counted": 1}] * 501}, "lines"),
    ({"location": "ber", "lines": [{"sku": "TEE"}]}, "lines.0.counted"),
    ({"location": "par", "lines": [{"sku": "TEE", "counted": 1}]}, "location"),
    ({"location": "ber", "lines": [{"sku": "TEE", "counted": 5},
                                   {"sku": "TEE", "counted": 6}]}, "lines.1.sku"),
])
def test_counts_with_bad_lines_are_refused_naming_the_field(store, uow, body, field):
    refused(store, uow, "POST", COUNTS, 422, field, json=body)


def test_quarantined_units_can_be_restored_or_written_off(store, uow):
    quarantined = ok(store.post(DAMAGE, json=damage("quarantine", 3, note="crushed box")),
                     201)
    assert quarantined["reason"] == "damaged"
    assert {k: quarantined["stock"][k] for k in ("on_hand", "reserved", "available",
                                                 "damaged")} == {
        "on_hand": 7, "reserved": 4, "available": 3, "damaged": 3}
    restored = ok(store.post(DAMAGE, json=damage("restore", 1)), 201)
    assert restored["reason"] == "correction"
    assert (restored["stock"]["on_hand"], restored["stock"]["damaged"]) == (8, 2)
    gone = ok(store.post(DAMAGE, json=damage("write_off", 2, reason="expired")), 201)
    assert (gone["stock"]["on_hand"], gone["stock"]["damaged"]) == (8, 0)
    assert [(m["on_hand_delta"], m["damaged_delta"], m["reason"])
            for m in movements(uow, "damage")] == [
        (-3, 3, "damaged"), (1, -1, "correction"), (0, -2, "expired")]
    assert event_types(store, "inventory.")[-3:] == [
        "inventory.quarantined", "inventory.restored", "inventory.written_off"]
    assert_no_drift(uow)


def test_quarantining_the_last_free_units_signals_a_stock_out(store, uow):
    ok(store.post(DAMAGE, json=damage("quarantine", 3, sku="MUG")), 201)
    assert event_types(store, "inventory.")[-2:] == [
        "inventory.stock_out", "inventory.quarantined"]


def test_quarantining_units_reserved_for_orders_is_refused(store, uow):
    problem = refused(store, uow, "POST", DAMAGE, 409, json=damage("quarantine", 7))
    assert (problem["on_hand"], problem["reserved"], problem["damaged"]) == (10, 4, 0)
    assert "reserved" in problem["detail"]


@pytest.mark.parametrize("action", ["restore", "write_off"])
def test_restoring_or_writing_off_more_than_is_quarantined_is_refused(store, uow, action):
    ok(store.post(DAMAGE, json=damage("quarantine", 1)), 201)
    problem = refused(store, uow, "POST", DAMAGE, 409, json=damage(action, 2))
    assert problem["damaged"] == 1 and "only 1 in quarantine" in problem["detail"]


def test_a_damage_move_where_the_sku_was_never_stocked_is_refused(store, uow):
    problem = refused(store, uow, "POST", DAMAGE, 409, json=damage("quarantine", 1, sku="CAP"))
    assert (problem["on_hand"], problem["damaged"]) == (0, 0)


def test_a_retried_damage_move_is_booked_once(store, uow):
    key = {"Idempotency-Key": "qa-1"}
    ok(store.post(DAMAGE, json=damage("quarantine", 2), headers=key), 201)
    again = ok(store.post(DAMAGE, json=damage("quarantine", 2), headers=key), 201)
    assert (again["stock"]["on_hand"], again["stock"]["damaged"]) == (8, 2)
    assert len(movements(uow, "damage")) == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -2}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"action": "destroy"}, "action"),
    ({"reason": "because"}, "reason"),
    ({"sku": "NOPE"}, "sku"),
    ({"location": "par"}, "location"),
])
def test_damage_moves_with_bad_values_are_refused_naming_the_field(
        store, uow, changes, field):
    refused(store, uow, "POST", DAMAGE, 422, field, json={**damage("quarantine", 1), **changes})
