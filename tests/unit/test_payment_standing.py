"""The order's payment status and the ship gate, as pure functions of the ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ordermesh.kit.money import Money
from ordermesh.payments.standing import (
    LedgerTotals,
    OrderPaymentStatus,
    PaymentOverride,
    PaymentRequired,
    PaymentStanding,
    check_may_leave,
)


def eur(value: str) -> Money:
    return Money.of(value, "EUR")


def standing(owed="100", authorised="0", captured="0", refunded="0", voided="0",
             deferred="0", override=None) -> PaymentStanding:
    return PaymentStanding(LedgerTotals(eur(owed), eur(authorised), eur(captured),
                                        eur(refunded), eur(voided), eur(deferred)),
                           override=override)


@pytest.mark.parametrize(("amounts", "expected"), [
    ({}, OrderPaymentStatus.UNPAID),
    ({"authorised": "100", "voided": "100"}, OrderPaymentStatus.UNPAID),
    ({"authorised": "60"}, OrderPaymentStatus.AUTHORISED),
    ({"authorised": "100", "captured": "40"}, OrderPaymentStatus.PARTLY_PAID),
    ({"authorised": "100", "captured": "100"}, OrderPaymentStatus.PAID),
    ({"owed": "0"}, OrderPaymentStatus.PAID),
    ({"authorised": "100", "captured": "100", "refunded": "30"},
     OrderPaymentStatus.PARTLY_REFUNDED),
    ({"authorised": "100", "captured": "100", "refunded": "100"}, OrderPaymentStatus.REFUNDED),
])
def test_the_order_payment_status_follows_the_ledger_amounts(amounts, expected):
    assert standing(**amounts).status is expected


def test_capture_at_order_needs_the_money_captured_or_paid_later_methods():
    with pytest.raises(PaymentRequired) as refused:
        check_may_leave("OM-000001", "order", standing(authorised="100"))
    assert refused.value.extra["needs"] == "captured"
    check_may_leave("OM-000001", "order", standing(authorised="100", captured="100"))
    check_may_leave("OM-000001", "order", standing(authorised="100", deferred="100"))


def test_capture_per_shipment_needs_the_whole_amount_authorised():
    with pytest.raises(PaymentRequired):
        check_may_leave("OM-000001", "shipment", standing(authorised="99.99"))
    check_may_leave("OM-000001", "shipment", standing(authorised="100"))
    check_may_leave("OM-000001", "shipment", standing(authorised="100", captured="40"))


def test_an_override_releases_an_unpaid_order():
    override = PaymentOverride("apikey:ops", "trusted customer", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(PaymentRequired):  # the same unpaid order without the override
        check_may_leave("OM-000001", "order", standing())
    assert check_may_leave("OM-000001", "order", standing(override=override)) is None
    assert standing(override=override).override == override
