"""Many callers moving the same money at once, one transaction per thread: the ledger
never captures more than was authorised nor refunds more than was captured, and it
always agrees with its transactions and with the gateway."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from ordermesh.kit.db import Transactions
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.payments import service
from ordermesh.payments.service import AmountIn, AuthoriseRequest
from ordermesh.payments.tables import payment_transactions, payments, test_gateway_charges
from tests.helpers import capture_later, ok, order_body, shop

THREADS = 30


def _at_once(uow, jobs: list[Callable], threads: int = THREADS) -> Counter:
    """Run each job with its own caller's transactions (``service`` use cases commit an
    intent, call the gateway and record its answer), ``threads`` of them starting
    together."""
    barrier = threading.Barrier(min(threads, len(jobs)))
    outcome: Counter = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        if i < threads:
            barrier.wait()
        try:
            done = jobs[i](Transactions(lambda: uow(actor=f"caller-{i}")))
            result = "declined" if done is not None and not done.approved else "done"
        except (Conflict, InvalidInput):
            result = "refused"
        with lock:
            outcome[result] += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, range(len(jobs))))
    return outcome


def _order(client, total: str = "100.00") -> str:
    shop(client, {"A": {"ber": 10}})
    capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body([("A", 1, total)])), 201)["id"]


def _payment(client, order_id: str, capture: bool = False) -> str:
    return ok(client.post(f"/api/v1/orders/{order_id}/payments", json={
        "provider": "test", "source": "4242424242424242", "capture": capture}), 201)["id"]


def _check_ledger(uow, payment_id: str) -> dict:
    """Columns == sums of approved transactions == the gateway's own numbers."""
    with uow(write=False) as u:
        p = u.execute(select(payments).where(payments.c.id == payment_id)).one()
        t = payment_transactions.c
        sums = dict(u.execute(
            select(t.kind, func.sum(t.amount)).where(t.payment_id == payment_id,
                                                     t.status == "approved")
            .group_by(t.kind)).all())
        charge = u.execute(select(test_gateway_charges).where(
            test_gateway_charges.c.reference == p.provider_reference)).one()
    assert 0 <= p.refunded_amount <= p.captured_amount
    assert p.captured_amount + p.voided_amount <= p.authorised_amount
    for kind, column, gateway in (("capture", p.captured_amount, charge.captured),
                                  ("void", p.voided_amount, charge.voided),
                                  ("refund", p.refunded_amount, charge.refunded)):
        assert sums.get(kind, 0) == column == gateway, kind
    return {"captured": p.captured_amount, "refunded": p.refunded_amount,
            "voided": p.voided_amount}


def test_thirty_callers_capturing_the_same_payment_capture_exactly_what_was_authorised(
        client, uow):
    payment_id = _payment(client, _order(client))
    capture = AmountIn(Decimal("3.00"))
    outcome = _at_once(uow, [lambda u: service.capture(u, payment_id, capture)] * 40)
    assert outcome == Counter(done=33, refused=7)
    assert _check_ledger(uow, payment_id)["captured"] == Decimal("99.00")


def test_concurrent_refunds_never_give_back_more_than_was_captured(client, uow):
    payment_id = _payment(client, _order(client), capture=True)
    refund = AmountIn(Decimal("7.00"))
    outcome = _at_once(uow, [lambda u: service.refund(u, payment_id, refund, "rush")] * 40)
    assert outcome == Counter(done=14, refused=26)
    assert _check_ledger(uow, payment_id)["refunded"] == Decimal("98.00")


def test_captures_voids_and_refunds_racing_on_one_payment_keep_every_invariant(client, uow):
    payment_id = _payment(client, _order(client))
    rng = random.Random(5)
    jobs = []
    for _ in range(90):
        amount = AmountIn(Decimal(rng.choice(["1.00", "2.50", "4.99", "10.00"])))
        jobs.append(rng.choice([
            lambda u, a=amount: service.capture(u, payment_id, a),
            lambda u, a=amount: service.void(u, payment_id, a),
            lambda u, a=amount: service.refund(u, payment_id, a, "race"),
        ]))
    outcome = _at_once(uow, jobs)
    assert outcome["done"] > 0 and "declined" not in outcome
    _check_ledger(uow, payment_id)


def test_order_level_captures_and_refunds_racing_over_several_payments(client, uow):
    order_id = _order(client)
    ids = [ok(client.post(f"/api/v1/orders/{order_id}/payments", json={
        "provider": "test", "source": "4242424242424242", "amount": amount}), 201)["id"]
        for amount in ("30.00", "30.00", "40.00")]
    eur = Money.of(Decimal("6.00"), "EUR")

    def capture(i: int) -> Callable:
        def job(u):
            service.capture_for_order(u, order_id, eur, f"ship-{i}")
            u.commit()
        return lambda t: t.run(job)

    def refund(i: int) -> Callable:
        def job(u):
            service.refund_for_order(u, order_id, eur, "race", f"refund-{i}")
            u.commit()
        return lambda t: t.run(job)

    _at_once(uow, [capture(i) if i % 3 else refund(i) for i in range(60)])
    totals = Counter()
    for payment_id in ids:
        for name, value in _check_ledger(uow, payment_id).items():
            totals[name] += value
    assert totals["captured"] == Decimal("100.00")  # 40 captures of 6 asked, 100 there
    assert totals["refunded"] <= totals["captured"]


def test_concurrent_authorisations_never_exceed_the_order_total(client, uow):
    order_id = _order(client)

    def authorise(i: int) -> Callable:
        def job(t):
            cmd = AuthoriseRequest(provider="manual", amount=Money.of(Decimal("10.00"), "EUR"))
            return service.authorise_payment(t, order_id, cmd)
        return job

    outcome = _at_once(uow, [authorise(i) for i in range(40)])
    assert outcome == Counter(done=10, refused=30)
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).authorised == Money.of(100, "EUR")


def test_the_same_key_retried_at_once_captures_once(client, uow):
    order_id = _order(client)
    _payment(client, order_id)
    eur = Money.of(Decimal("25.00"), "EUR")

    def job(u):
        assert service.capture_for_order(u, order_id, eur, "ship-1") == eur
        u.commit()

    assert _at_once(uow, [lambda t: t.run(job)] * 20, threads=20) == Counter(done=20)
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).captured == eur
