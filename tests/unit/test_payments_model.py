"""The payment ledger's rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.payments.model import (
    AmountNotAvailable,
    Outcome,
    Payment,
    PaymentMethod,
    PaymentStatus,
    check_capture,
    check_order_capacity,
    check_refund,
    check_void,
    derive_status,
    status_after_authorisation,
    summarise,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
S = PaymentStatus


def eur(amount: str | int) -> Money:
    return Money.of(Decimal(amount), "EUR")


def payment(authorised="100.00", captured="0", refunded="0", voided="0",
            status: PaymentStatus | None = None, requested: str | None = None) -> Payment:
    a, c, r, v = eur(authorised), eur(captured), eur(refunded), eur(voided)
    return Payment(
        id="pay_1", order_id="ord_1", provider="test", method=PaymentMethod.CARD,
        provider_reference="tgch_1", currency="EUR", requested=eur(requested or authorised),
        authorised=a, captured=c, refunded=r, voided=v,
        status=status or derive_status(a, c, r, v), card_last4="4242", card_brand="visa",
        created_at=NOW, updated_at=NOW)


def test_a_fresh_authorisation_is_authorised_and_fully_capturable():
    p = payment()
    assert p.status is S.AUTHORISED
    assert p.open == eur("100.00") and p.refundable == eur(0)


@pytest.mark.parametrize(("amounts", "status"), [
    (("100", "40", "0", "0"), S.PARTIALLY_CAPTURED),
    (("100", "100", "0", "0"), S.CAPTURED),
    (("100", "60", "0", "40"), S.CAPTURED),  # the rest was released: nothing more to take
    (("100", "0", "0", "100"), S.VOIDED),
    (("100", "0", "0", "30"), S.AUTHORISED),  # partly released, the rest still open
    (("100", "100", "30", "0"), S.PARTIALLY_REFUNDED),
    (("100", "100", "100", "0"), S.REFUNDED),
    (("100", "50", "50", "0"), S.PARTIALLY_REFUNDED),  # refunded all captured, 50 still open
])
def test_the_status_follows_from_the_amounts(amounts, status):
    assert derive_status(*(eur(a) for a in amounts)) is status


def test_each_provider_outcome_gives_its_payment_status():
    assert status_after_authorisation(Outcome.APPROVED) is S.AUTHORISED
    assert status_after_authorisation(Outcome.PENDING) is S.PENDING
    assert status_after_authorisation(Outcome.DECLINED) is S.DECLINED
    assert status_after_authorisation(Outcome.FAILED) is S.FAILED


def test_capture_above_what_is_open_is_refused_with_what_is_available():
    p = payment(captured="70.00")
    with pytest.raises(AmountNotAvailable) as refused:
        check_capture(p, eur("30.01"))
    assert refused.value.extra["available"] == "30.00"
    check_capture(p, eur("30.00"))


def test_voided_money_can_no_longer_be_captured():
    with pytest.raises(AmountNotAvailable):
        check_capture(payment(captured="50", voided="40"), eur("10.01"))


def test_a_fully_captured_payment_cannot_be_voided_only_refunded():
    p = payment(captured="100.00")
    with pytest.raises(IllegalTransition, match="refunded"):
        check_void(p, eur("1.00"))
    check_refund(p, eur("100.00"))


def test_refund_above_what_was_captured_is_refused():
    p = payment(captured="40.00", refunded="10.00")
    with pytest.raises(AmountNotAvailable) as refused:
        check_refund(p, eur("30.01"))
    assert refused.value.extra["available"] == "30.00"


def test_nothing_captured_means_nothing_to_refund():
    with pytest.raises(AmountNotAvailable):
        check_refund(payment(), eur("0.01"))


@pytest.mark.parametrize("status", [S.PENDING, S.DECLINED, S.FAILED])
def test_payments_without_money_take_no_capture_void_or_refund(status):
    p = payment(authorised="0", status=status, requested="100")
    for check in (check_capture, check_void, check_refund):
        with pytest.raises(IllegalTransition):
            check(p, eur("1.00"))


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_zero_and_negative_amounts_are_invalid(amount):
    for check in (check_capture, check_void):
        with pytest.raises(InvalidInput) as refused:
            check(payment(captured="10"), eur(amount))
        assert refused.value.errors[0].code == "not_positive"


def test_an_amount_in_another_currency_is_a_currency_mismatch():
    with pytest.raises(InvalidInput) as refused:
        check_capture(payment(), Money.of(10, "USD"))
    assert refused.value.errors[0].code == "currency_mismatch"


def test_an_orders_payments_may_not_exceed_its_total():
    check_order_capacity(eur("100"), eur("60"), eur("40"))
    with pytest.raises(AmountNotAvailable) as refused:
        check_order_capacity(eur("100"), eur("60"), eur("40.01"))
    assert isinstance(refused.value, Conflict)
    assert refused.value.extra["available"] == "40.00"


def test_refunded_and_voided_money_no_longer_counts_against_the_order_total():
    p = payment(captured="80", refunded="30", voided="20")
    assert p.committed == eur("50.00")
    pending = payment(authorised="0", status=S.PENDING, requested="25")
    assert pending.committed == eur("25.00")
    declined = payment(authorised="0", status=S.DECLINED, requested="25")
    assert declined.committed == eur("0.00")


def test_the_summary_adds_up_every_payment():
    ps = [payment(captured="60", refunded="10"),
          payment(authorised="0", status=S.PENDING, requested="20"),
          payment(authorised="0", status=S.DECLINED, requested="500")]
    s = summarise("ord_1", eur("200"), ps)
    assert (s.authorised, s.captured, s.refunded) == (eur(100), eur(60), eur(10))
    assert s.pending == eur(20) and s.open_authorised == eur(40)
    assert s.refundable == eur(50)
    assert s.to_authorise == eur(90)  # 200 - (100 - 10) - 20 pending


OPERATIONS = st.lists(st.tuples(st.sampled_from(["capture", "void", "refund"]),
                                st.integers(min_value=-50, max_value=15000)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_no_sequence_of_operations_breaks_the_ledger_invariants(operations):
    p = payment(authorised="100.00")
    checks = {"capture": check_capture, "void": check_void, "refund": check_refund}
    field = {"capture": "captured", "void": "voided", "refund": "refunded"}
    for kind, cents in operations:
        amount = Money.of(Decimal(cents) / 100, "EUR")
        try:
            checks[kind](p, amount)
        except (Conflict, InvalidInput):
            continue
        moved = {field[kind]: getattr(p, field[kind]) + amount}
        p = replace(p, **moved)
        p = replace(p, status=derive_status(p.authorised, p.captured, p.refunded, p.voided))
        assert Decimal(0) <= p.refunded.amount <= p.captured.amount
        assert p.captured.amount + p.voided.amount <= p.authorised.amount
        assert p.voided.amount >= 0
    assert p.open.amount >= 0 and p.refundable.amount >= 0
