"""Stock movements, reservations and the stock level signals write exactly the declared
events (tests/event_contract.py); refused movements write none."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ordermesh.cli import app
from ordermesh.worker import Worker
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import make_location, ok, order_body, shop, stock_of

INVENTORY = "/api/v1/inventory"


def _on_hand(client, sku: str, location: str = "ber") -> int:
    found = [lv for lv in stock_of(client, sku)["locations"] if lv["location"] == location]
    return found[0]["on_hand"] if found else 0


def test_stock_level_events_follow_the_available_units_across_zero_and_the_threshold(client):
    shop(client, {"TEE": {}})
    make_location(client, "ber")
    _, written = assert_writes(client, "inventory.adjust.first_stock", lambda: ok(client.post(
        f"{INVENTORY}/adjustments", json={"sku": "TEE", "location": "ber",
                                         "quantity_delta": 10, "reason": "received"}), 201))
    back = of_type(written, "inventory.back_in_stock")["payload"]
    assert (back["previous_available"], back["available"]) == (0, 10)
    ok(client.put("/api/v1/products/TEE/stock-policy", json={"low_stock_threshold": 5}))
    _, written = assert_writes(client, "inventory.adjust.low_stock", lambda: ok(client.post(
        f"{INVENTORY}/adjustments", json={"sku": "TEE", "location": "ber",
                                         "quantity_delta": -6, "reason": "correction"}), 201))
    assert of_type(written, "inventory.low_stock")["payload"]["available"] == 4
    _, written = assert_writes(client, "inventory.adjust.stock_out", lambda: ok(client.post(
        f"{INVENTORY}/adjustments", json={"sku": "TEE", "location": "ber",
                                         "quantity_delta": -4, "reason": "correction"}), 201))
    assert of_type(written, "inventory.stock_out")["payload"]["available"] == 0
    below_zero = assert_writes_nothing(client, lambda: client.post(
        f"{INVENTORY}/adjustments", json={"sku": "TEE", "location": "ber",
                                         "quantity_delta": -1, "reason": "correction"}))
    assert below_zero.status_code in (409, 422)
    assert _on_hand(client, "TEE") == 0


def test_adjusting_stock_that_stays_in_stock_writes_only_inventory_adjusted(client):
    shop(client, {"TEE": {"ber": 10}})
    _, written = assert_writes(client, "inventory.adjust", lambda: ok(client.post(
        f"{INVENTORY}/adjustments", json={"sku": "TEE", "location": "ber",
                                         "quantity_delta": 5, "reason": "received"}), 201))
    assert of_type(written, "inventory.adjusted")["payload"]["quantity_delta"] == 5
    assert _on_hand(client, "TEE") == 15


def test_supply_receipts_counts_and_damage_write_their_events(client):
    shop(client, {"TEE": {"ber": 10}})
    supply, written = assert_writes(client, "supply.create", lambda: ok(client.post(
        f"{INVENTORY}/supply", json={"sku": "TEE", "location": "ber", "quantity": 10,
                                     "expected_date": "2026-12-03",
                                     "kind": "purchase_order"}), 201))
    assert of_type(written, "supply.created")["payload"]["quantity"] == 10
    _, written = assert_writes(client, "inventory.receive", lambda: ok(client.post(
        f"{INVENTORY}/receipts", json={"sku": "TEE", "location": "ber", "quantity": 4,
                                       "supply_id": supply["id"]}), 201))
    received = of_type(written, "inventory.received")["payload"]
    assert (received["quantity"], received["supply_status"]) == (4, "open")
    _, written = assert_writes(client, "supply.cancel", lambda: ok(client.post(
        f"{INVENTORY}/supply/{supply['id']}/cancel", json={})))
    assert of_type(written, "supply.cancelled")["payload"]["cancelled"] == 6
    again = assert_writes_nothing(client, lambda: client.post(
        f"{INVENTORY}/supply/{supply['id']}/cancel", json={}))
    assert again.status_code == 409
    _, written = assert_writes(client, "inventory.count", lambda: ok(client.post(
        f"{INVENTORY}/counts", json={"location": "ber", "lines": [
            {"sku": "TEE", "counted": 12}]}), 201))
    assert of_type(written, "inventory.counted")["payload"]["differences"][0]["difference"] \
        == -2
    assert _on_hand(client, "TEE") == 12
    for action, quantity, use_case, event_type in (
            ("quarantine", 4, "inventory.quarantine", "inventory.quarantined"),
            ("restore", 2, "inventory.restore", "inventory.restored"),
            ("write_off", 2, "inventory.write_off", "inventory.written_off")):
        _, written = assert_writes(client, use_case, lambda a=action, q=quantity: ok(
            client.post(f"{INVENTORY}/damage", json={"sku": "TEE", "location": "ber",
                                                     "action": a, "quantity": q}), 201))
        assert of_type(written, event_type)["payload"]["quantity"] == quantity
    too_many = assert_writes_nothing(client, lambda: client.post(
        f"{INVENTORY}/damage", json={"sku": "TEE", "location": "ber", "action": "restore",
                                     "quantity": 1}))
    assert too_many.status_code in (409, 422)
    assert _on_hand(client, "TEE") == 10


def test_a_transfer_writes_shipped_then_received(client):
    shop(client, {"TEE": {"ber": 10}})
    make_location(client, "ham")
    transfer, written = assert_writes(client, "transfer.ship", lambda: ok(client.post(
        f"{INVENTORY}/transfers", json={"from": "ber", "to": "ham", "lines": [
            {"sku": "TEE", "quantity": 6}]}), 201))
    assert of_type(written, "transfer.shipped")["payload"]["lines"] == [
        {"sku": "TEE", "quantity": 6}]
    _, written = assert_writes(client, "transfer.receive", lambda: ok(client.post(
        f"{INVENTORY}/transfers/{transfer['id']}/receipts", json={"lines": [
            {"sku": "TEE", "quantity": 6}]}), 201))
    assert of_type(written, "transfer.received")["payload"]["status"] == "received"
    assert (_on_hand(client, "TEE"), _on_hand(client, "TEE", "ham")) == (4, 6)
    more = assert_writes_nothing(client, lambda: client.post(
        f"{INVENTORY}/transfers/{transfer['id']}/receipts", json={"lines": [
            {"sku": "TEE", "quantity": 1}]}))
    assert more.status_code in (409, 422)


def _hold(client, quantity: int = 2) -> dict:
    return ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": quantity}]}), 201)


def test_reservations_write_created_released_and_converted(client):
    shop(client, {"TEE": {"ber": 10}})
    hold, written = assert_writes(client, "reservation.create", lambda: _hold(client))
    assert of_type(written, "reservation.created")["payload"]["status"] == "active"
    _, written = assert_writes(client, "reservation.release", lambda: ok(client.post(
        f"/api/v1/reservations/{hold['id']}/release", json={"reason": "cart emptied"})))
    assert of_type(written, "reservation.released")["payload"]["reason"] == "cart emptied"
    again = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/reservations/{hold['id']}/release", json={}))
    assert again.status_code == 409
    cart = _hold(client)
    order, written = assert_writes(client, "order.place.from_reservation", lambda: ok(
        client.post("/api/v1/orders", json=order_body(
            [("TEE", 2, "10.00")], reservation_id=cart["id"])), 201))
    assert of_type(written, "reservation.converted")["payload"]["order_id"] == order["id"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2
    too_many = assert_writes_nothing(client, lambda: client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 9}]}))
    assert too_many.status_code == 409


def test_the_worker_expires_a_due_reservation_and_writes_reservation_expired(
        client, container, clock):
    shop(client, {"TEE": {"ber": 10}})
    hold = _hold(client)
    clock.advance(timedelta(hours=2))
    _, written = assert_writes(client, "reservation.expire",
                               lambda: Worker(container).run_pass())
    assert of_type(written, "reservation.expired")["aggregate_id"] == hold["id"]
    assert of_type(written, "reservation.expired")["actor"].startswith("worker")
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0


def test_repairing_a_drifted_counter_writes_inventory_repaired(client, db_url):
    shop(client, {"TEE": {"ber": 5}})
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET on_hand = on_hand + 1"))
    engine.dispose()
    run = CliRunner().invoke
    result, written = assert_writes(client, "inventory.repair", lambda: run(
        app, ["inventory", "verify", "--repair"], env={"ORDERMESH_DATABASE_URL": db_url}))
    assert result.exit_code == 0, result.output
    repaired = of_type(written, "inventory.repaired")["payload"]
    assert (repaired["was"]["on_hand"], repaired["now"]["on_hand"]) == (6, 5)
    assert _on_hand(client, "TEE") == 5
