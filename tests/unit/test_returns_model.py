"""The return rules and state machine, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordermesh.kit.errors import IllegalTransition
from ordermesh.returns.model import (
    AskedLine,
    LineFacts,
    Resolution,
    ReturnPolicy,
    ReturnStatus,
    check_transition,
    judge,
    return_number,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FACTS = {1: LineFacts(1, "TEE", "shirts", shipped=3, in_returns=1, refunded_shipped=1),
         2: LineFacts(2, "SOCKS", "underwear", shipped=2, in_returns=0, refunded_shipped=0)}
REASONS = {"defective", "other"}


def _rules(policy=ReturnPolicy(), lines=(), start=NOW, override=False):
    judged = judge(policy, list(lines), FACTS, REASONS, start, NOW, override)
    return [r.rule for r in judged.refusals], [r.rule for r in judged.overridden]


def test_returnable_units_are_shipped_less_those_in_returns_and_refunded():
    assert FACTS[1].returnable == 1
    assert _rules(lines=[AskedLine(1, 1, "defective", Resolution.REFUND)]) == ([], [])
    assert _rules(lines=[AskedLine(1, 2, "defective", Resolution.REFUND)]) == (
        ["exceeds_returnable"], [])


def test_the_window_and_final_sale_refuse_unless_waived_the_quantity_never():
    policy = ReturnPolicy(window_days=14, final_sale_categories=("underwear",))
    late = NOW - timedelta(days=15)
    lines = [AskedLine(2, 3, "other", Resolution.REFUND)]
    assert _rules(policy, lines, late) == (
        ["exceeds_returnable", "final_sale", "outside_window"], [])
    assert _rules(policy, lines, late, override=True) == (
        ["exceeds_returnable"], ["final_sale", "outside_window"])
    assert _rules(policy, [AskedLine(2, 1, "other", Resolution.REFUND)],
                  NOW - timedelta(days=14)) == (["final_sale"], [])


def test_a_line_twice_an_unknown_line_reason_or_resolution_each_name_their_rule():
    lines = [AskedLine(1, 1, "defective", Resolution.REFUND),
             AskedLine(1, 1, "defective", Resolution.REFUND),
             AskedLine(7, 1, "defective", Resolution.REFUND),
             AskedLine(2, 1, "bored", Resolution.EXCHANGE)]
    assert _rules(lines=lines)[0] == ["line_twice", "unknown_line", "unknown_reason",
                                      "exchange_sku", "resolution_not_offered"]
    refund_for = [AskedLine(1, 1, "defective", Resolution.REFUND, exchange_for="TEE-L")]
    assert _rules(lines=refund_for)[0] == ["exchange_sku"]


def test_only_the_allowed_transitions_happen():
    S = ReturnStatus
    check_transition(S.REQUESTED, S.AUTHORISED, "R-1")
    check_transition(S.PARTIALLY_RECEIVED, S.PARTIALLY_RECEIVED, "R-1")
    for current, target in ((S.RECEIVED, S.CANCELLED), (S.REJECTED, S.AUTHORISED),
                            (S.RESOLVED, S.RESOLVED), (S.REQUESTED, S.RECEIVED)):
        with pytest.raises(IllegalTransition):
            check_transition(current, target, "R-1")


def test_a_return_number_counts_the_returns_of_its_order():
    assert return_number("OM-000123", 2) == "R-000123-2"


def test_fees_are_capped_at_the_refund_and_spare_the_sellers_fault():
    from ordermesh.kit.money import Money
    from ordermesh.returns.model import ReturnFees, deductions

    fees = ReturnFees(return_shipping=Decimal("6.00"), restocking_percent=Decimal("50"))
    eur = lambda v: Money.of(v, "EUR")  # noqa: E731
    kept = deductions(fees, [("changed_mind", eur("8.00"))], True, "EUR")
    assert [(d.kind, d.amount.amount) for d in kept] == [
        ("restocking_fee", Decimal("4.00")), ("return_shipping_fee", Decimal("4.00"))]
    assert deductions(fees, [("defective", eur("8.00"))], True, "EUR") == []
    assert deductions(fees, [("changed_mind", eur("8.00"))], False, "EUR") == []
