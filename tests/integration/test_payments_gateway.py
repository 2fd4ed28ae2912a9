"""The test gateway keeps its state in the database like a remote gateway keeps it on
its servers; the ledger's invariants hold in the database whatever the code does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError

from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.kit.money import Money
from ordermesh.payments import ledger
from ordermesh.payments.model import (
    AmountNotAvailable,
    AuthoriseCall,
    Outcome,
    PaymentMethod,
    TransactionKind,
)
from ordermesh.payments.providers.test import SETTLE_AFTER, TestGateway
from ordermesh.payments.tables import payments, test_gateway_charges
from tests.helpers import capture_later, ok, order_body, shop

A, D, P = Outcome.APPROVED, Outcome.DECLINED, Outcome.PENDING


def eur(value: str) -> Money:
    return Money.of(value, "EUR")


def _authorise(u, source: str = "4242424242424242", amount: str = "100.00",
               key: str = "auth-1"):
    return TestGateway().authorise(u, AuthoriseCall(eur(amount), PaymentMethod.CARD, key,
                                                    source, "OM-000001"))


def test_partial_captures_are_approved_up_to_the_authorised_amount(uow):
    gateway = TestGateway()
    with uow() as u:
        charge = _authorise(u).reference
        assert gateway.capture(u, charge, eur("60.00"), "c1").outcome is A
        assert gateway.capture(u, charge, eur("40.00"), "c2").outcome is A
        over = gateway.capture(u, charge, eur("0.01"), "c3")
        u.commit()
    assert (over.outcome, over.code) == (D, "amount_too_large")


def test_only_captured_money_can_be_refunded_and_only_open_money_voided(uow):
    gateway = TestGateway()
    with uow() as u:
        charge = _authorise(u).reference
        assert gateway.refund(u, charge, eur("0.01"), "r0").outcome is D
        gateway.capture(u, charge, eur("30.00"), "c1")
        assert gateway.refund(u, charge, eur("30.01"), "r1").outcome is D
        assert gateway.refund(u, charge, eur("30.00"), "r2").outcome is A
        assert gateway.void(u, charge, eur("70.01"), "v1").outcome is D
        assert gateway.void(u, charge, eur("70.00"), "v2").outcome is A
        assert gateway.capture(u, charge, eur("0.01"), "c2").outcome is D
        row = u.execute(select(test_gateway_charges)).one()
    assert (row.captured, row.refunded, row.voided) == (30, 30, 70)


def test_the_same_key_gets_the_first_answer_and_moves_money_once(uow):
    gateway = TestGateway()
    with uow() as u:
        first = _authorise(u)
        assert _authorise(u) == first
        captures = [gateway.capture(u, first.reference, eur("25.00"), "c1") for _ in range(3)]
        reused = gateway.capture(u, first.reference, eur("26.00"), "c1")
        row = u.execute(select(test_gateway_charges)).one()
    assert len({c.reference for c in captures}) == 1
    assert row.captured == 25
    assert (reused.outcome, reused.code) == (Outcome.FAILED, "idempotency_error")


def test_another_process_sees_the_same_charges(uow, db_url, clock):
    with uow() as u:
        charge = _authorise(u).reference
        u.commit()
    other = build_engine(db_url, pool_size=1, max_overflow=0)  # as another process would
    try:
        with UnitOfWork(other, clock) as u:
            assert TestGateway().capture(u, charge, eur("100.00"), "c1").outcome is A
            u.commit()
    finally:
        other.dispose()
    with uow() as u:
        assert TestGateway().capture(u, charge, eur("0.01"), "c2").outcome is D


def test_a_3d_secure_charge_settles_only_once_its_delay_has_passed(uow, clock):
    gateway = TestGateway()
    with uow() as u:
        charge = _authorise(u, "4000000000003220").reference
        assert gateway.capture(u, charge, eur("1.00"), "c0").outcome is D
        assert gateway.status(u, charge).outcome is P
        clock.advance(SETTLE_AFTER - timedelta(seconds=1))
        assert gateway.status(u, charge).outcome is P
        clock.advance(timedelta(seconds=1))
        settled = gateway.status(u, charge)
        assert (settled.outcome, settled.card_last4) == (A, "3220")
        assert gateway.capture(u, charge, eur("100.00"), "c1").outcome is A


def test_a_saved_card_declines_again_as_it_did_the_first_time(uow):
    with uow() as u:
        first = _authorise(u, "4000000000009995")
        again = _authorise(u, first.reference, key="auth-2")
    assert (again.outcome, again.code, again.card_last4) == (D, "insufficient_funds", "9995")
    assert again.reference != first.reference


# ------------------------------------------------------ invariants in the database


@pytest.fixture
def payment_id(client) -> str:
    shop(client, {"A": {"ber": 10}})
    capture_later(client)
    order = ok(client.post("/api/v1/orders", json=order_body([("A", 1, "100.00")])), 201)
    payment = ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": "4242424242424242"}), 201)
    ok(client.post(f"/api/v1/payments/{payment['id']}/capture", json={"amount": "60.00"}))
    return payment["id"]


def test_the_conditional_update_refuses_what_the_python_checks_would_let_through(
        uow, payment_id):
    with uow() as u:
        payment = ledger.get_payment(u, payment_id, for_update=True)
        with pytest.raises(AmountNotAvailable):
            ledger.add_amount(u, payment, TransactionKind.CAPTURE, eur("40.01"))
        with pytest.raises(AmountNotAvailable):
            ledger.add_amount(u, payment, TransactionKind.REFUND, eur("60.01"))
        with pytest.raises(AmountNotAvailable):
            ledger.add_amount(u, payment, TransactionKind.VOID, eur("40.01"))
        assert ledger.add_amount(u, payment, TransactionKind.VOID, eur("40.00")).status \
            .value == "captured"


@pytest.mark.parametrize("values", [
    {"captured_amount": payments.c.authorised_amount + 1},
    {"refunded_amount": payments.c.captured_amount + 1},
    {"voided_amount": payments.c.authorised_amount - payments.c.captured_amount + 1},
    {"refunded_amount": -1},
    {"authorised_amount": payments.c.requested_amount + 1},
    {"card_last4": "424242"},
])
def test_the_database_refuses_a_broken_ledger_row(uow, payment_id, values):
    with uow() as u, pytest.raises((IntegrityError, DataError)):  # PG: too long for VARCHAR(4)
        u.execute(update(payments).where(payments.c.id == payment_id).values(values))


def test_the_database_refuses_more_than_the_last_four_digits_of_a_card(uow):
    with uow() as u:
        charge = _authorise(u).reference
        with pytest.raises((IntegrityError, DataError)):
            u.execute(update(test_gateway_charges)
                      .where(test_gateway_charges.c.reference == charge)
                      .values(card_last4="4242424242424242"))
