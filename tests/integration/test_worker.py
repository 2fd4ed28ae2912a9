"""The background worker: its loop, its hold expiry job, and ``ordermesh worker``."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.testing import CliRunner

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code
from ordermesh.cli import app
from ordermesh.flows.placement import place_order
from ordermesh.inventory.hold_conversion import convert_hold
from ordermesh.inventory.holds import (
    PlaceHold,
    expire_due_holds,
    place_hold,
    release_hold,
)
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.model import ReservationRequest, SkuQuantity
from ordermesh.inventory.tables import holds, inventory_movements
from ordermesh.kit.errors import Conflict, InsufficientStock
from ordermesh.orders.service import PlaceLine, PlaceOrder
from ordermesh.worker import HoldExpiry, PaymentSync, Worker
from tests.helpers import SHIP_TO, ok, order_body, shop, stock_of

runner = CliRunner()


class Scripted:
    """A job that reports the work (or raises the error) it is given for each pass."""

    def __init__(self, name: str, outcomes: list, on_last=None) -> None:
        self.name = name
        self.outcomes = list(outcomes)
        self.calls = 0
        self.on_last = on_last

    def run_once(self, container) -> int:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if not self.outcomes and self.on_last:
            self.on_last()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class RecordingWorker(Worker):
    """Records the idle waits instead of sleeping through them."""

    waits: list[float]

    def _wait(self, seconds: float) -> None:
        self.waits = [*getattr(self, "waits", []), seconds]


def _locked() -> DBAPIError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def test_the_loop_runs_again_at_once_while_there_is_work_and_waits_when_there_is_none():
    worker = RecordingWorker(None, interval=7)  # type: ignore[arg-type]
    job = Scripted("job", [3, 1, 0, 2, 0, 0], on_last=worker.stop)
    worker.jobs = [job]
    worker.run()
    assert job.calls == 6
    assert worker.waits == [7, 7]  # after the two idle passes before the last one


def test_a_busy_database_or_a_failing_job_is_logged_and_retried_next_pass(caplog):
    busy = Scripted("busy", [_locked(), 4])
    broken = Scripted("broken", [ValueError("bug"), 1])
    healthy = Scripted("healthy", [2, 0])
    worker = Worker(None, [busy, broken, healthy])  # type: ignore[arg-type]
    first = worker.run_pass()
    assert (first.busy, first.failed, first.done) == (["busy"], ["broken"], {"healthy": 2})
    second = worker.run_pass()
    assert second.done == {"busy": 4, "broken": 1, "healthy": 0}
    assert "database busy" in caplog.text and "job broken failed" in caplog.text


class Terminating:
    name = "terminating"

    def run_once(self, container) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs here, in the main thread
        return 1


def test_sigterm_stops_the_worker_once_the_running_job_has_finished():
    original = signal.getsignal(signal.SIGTERM)
    after = Scripted("after", [1])
    worker = Worker(None, [Terminating(), after], interval=60)  # type: ignore[arg-type]
    worker.run()
    assert worker.stopping and after.calls == 0
    assert signal.getsignal(signal.SIGTERM) == original


def _place(uow, lines, expires_in_seconds=60, channel="web") -> str:
    with uow() as u:
        return place_hold(u, PlaceHold(channel, [SkuQuantity(s, q) for s, q in lines],
                                       expires_in_seconds)).hold.id


def test_hold_expiry_works_off_a_backlog_one_batch_per_transaction(client, uow, clock, container):
    shop(client, {"TEE": {"ber": 20}})
    for _ in range(7):
        _place(uow, [("TEE", 2)])
    _place(uow, [("TEE", 1)], expires_in_seconds=3600)
    clock.advance(timedelta(minutes=5))
    assert HoldExpiry(batch=3).run_once(container) == 7
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1
    done = Worker(container).run(once=True).done
    # TEE at ber had no forecast; no feedback secret is set, so no feedback requests
    idle = {"hold-expiry": 0, "payment-intents": 0, "payment-sync": 0, "backorder-sourcing": 0,
            "pickup-expiry": 0, "carrier-bookings": 0,
            "tracking-poll": 0, "sla-watch": 0, "forecast-refresh": 0, "webhook-fan-out": 0,
            "webhook-sender": 0, "nats-relay": 0, "feedback-requests": 0,
            "idempotency-retention": 0, "message-queueing": 0, "campaigns": 0,
            "message-sender": 0,
            "connector-sync": 0, "connector-pushes": 0, "connector-poll": 0,
            "purchase-order-mailer": 0, "dropship-cancellations": 0}
    # the webhook relay passed over every event so far (no endpoint wanted them)
    assert done["webhook-fan-out"] > 0
    assert done == {**idle, "forecast-refresh": 1, "webhook-fan-out": done["webhook-fan-out"]}
    assert Worker(container).run(once=True).done == idle


def test_worker_once_on_the_command_line_expires_the_holds_that_are_due(db_url, client, clock):
    shop(client, {"TEE": {"ber": 5}})
    # The command runs on the system clock: place one hold that expired an hour ago.
    clock.set(datetime.now(UTC) - timedelta(hours=2))
    due = ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 2}]}), 201)
    clock.set(datetime.now(UTC))
    later = ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 1}],
        "expires_in_seconds": 3600}), 201)
    result = runner.invoke(app, ["worker", "--once"], env={"ORDERMESH_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "hold-expiry: 1 done" in result.output
    assert ok(client.get(f"/api/v1/reservations/{due['id']}"))["status"] == "expired"
    assert ok(client.get(f"/api/v1/reservations/{later['id']}"))["status"] == "active"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_expiry_racing_carts_orders_and_conversions_never_deadlocks_and_the_ledger_agrees(
        client, uow, clock):
    shop(client, {"A": {"ber": 150, "ham": 150}, "B": {"ber": 150, "ham": 150}, "C": {"ber": 150}})
    with uow(write=False) as u:
        channel = channel_by_code(u, "web").id
        products = {s: p.id for s, p in resolve_skus(u, ["A", "B", "C"]).items()}
    errors: list[BaseException] = []
    stop = threading.Event()

    def customer(seed: int) -> None:
        rnd = random.Random(seed)
        for i in range(25):
            skus = rnd.sample(["A", "B", "C"], rnd.randint(1, 3))
            lines = [(s, rnd.randint(1, 3)) for s in skus]
            try:
                hold_id = _place(uow, lines, expires_in_seconds=60 + rnd.randint(0, 120))
                if i % 3 == 0:
                    with uow() as u:
                        release_hold(u, hold_id)
                elif i % 3 == 1:
                    wanted = [(s, rnd.randint(1, 4)) for s in rnd.sample(["A", "B", "C"], 2)]
                    with uow() as u:
                        convert_hold(u, hold_id, channel, [
                            ReservationRequest(n, products[s], s, q)
                            for n, (s, q) in enumerate(wanted, 1)], ("order", f"ord_{seed}_{i}"))
                        u.commit()
                else:
                    with uow() as u:
                        place_order(u, PlaceOrder("web", [PlaceLine(s, q, Decimal("1")) for s, q in
                                                          reversed(lines)],
                                                   shipping_address=SHIP_TO))
            except (InsufficientStock, Conflict):  # sold out, or the worker was first
                pass
            except BaseException as exc:
                errors.append(exc)

    def expirer() -> None:
        while not stop.is_set():
            try:
                with uow(actor="worker") as u:
                    expire_due_holds(u, limit=5)
                clock.advance(timedelta(seconds=20))
            except BaseException as exc:
                errors.append(exc)

    customers = [threading.Thread(target=customer, args=(n,)) for n in range(6)]
    expirers = [threading.Thread(target=expirer) for _ in range(2)]
    for t in customers + expirers:
        t.start()
    for t in customers:
        t.join(timeout=120)
    stop.set()
    for t in expirers:
        t.join(timeout=60)
    assert errors == []
    clock.advance(timedelta(days=1))
    while _expire(uow):
        pass
    with uow(write=False) as u:
        assert ledger_drift(u) == []
        active = u.execute(select(holds.c.id).where(holds.c.status == "active")).all()
        for_orders = u.execute(select(func.sum(inventory_movements.c.reserved_delta)).where(
            inventory_movements.c.reference_type == "order")).scalar_one()
    assert active == []
    reserved = sum(stock_of(client, s)["totals"]["reserved"] for s in ("A", "B", "C"))
    assert reserved == for_orders > 0


def _expire(uow) -> int:
    with uow(actor="worker") as u:
        return expire_due_holds(u)


def test_the_worker_settles_a_pending_card_payment_once_the_bank_has_decided(
        client, clock, container):
    shop(client, {"TEE": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.00")])), 201)
    pending = ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                             json={"provider": "test", "source": "4000000000003220"}), 202)
    assert Worker(container, jobs=[PaymentSync()]).run(once=True).done == {"payment-sync": 0}
    clock.advance(timedelta(seconds=31))
    assert Worker(container, jobs=[PaymentSync()]).run(once=True).done == {"payment-sync": 1}
    payment = ok(client.get(f"/api/v1/payments/{pending['id']}"))
    assert payment["status"] == "captured"  # the channel captures at order
