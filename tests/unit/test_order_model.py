from datetime import UTC, datetime

import pytest

from ordermesh.kit.errors import IllegalTransition, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.orders.model import (
    CANCELLABLE,
    TRANSITIONS,
    CancelRequest,
    OrderLine,
    OrderStatus,
    check_transition,
    order_number,
    parse_order_number,
    plan_cancellation,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _lines():
    return [OrderLine(1, "p1", "A", "a", 3, Money.of("2.50", "EUR")),
            OrderLine(2, "p2", "B", "b", 1, Money.of("10", "EUR"), cancelled_quantity=1)]


def test_every_status_has_a_row_in_the_transition_table():
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize("final", [OrderStatus.COMPLETED, OrderStatus.CANCELLED])
def test_final_statuses_allow_no_transition(final):
    for target in OrderStatus:
        with pytest.raises(IllegalTransition):
            check_transition(final, target)


def test_a_shipped_order_cannot_be_cancelled():
    with pytest.raises(IllegalTransition) as exc:
        check_transition(OrderStatus.SHIPPED, OrderStatus.CANCELLED)
    assert exc.value.extra == {"current_status": "shipped", "requested_status": "cancelled"}


def test_a_confirmed_order_can_be_held_and_cancelled():
    # check_transition raises for a move that is not allowed, and answers nothing otherwise
    assert check_transition(OrderStatus.CONFIRMED, OrderStatus.ON_HOLD) is None
    assert check_transition(OrderStatus.ON_HOLD, OrderStatus.CONFIRMED) is None
    assert check_transition(OrderStatus.CONFIRMED, OrderStatus.CANCELLED) is None
    assert OrderStatus.CONFIRMED in CANCELLABLE and OrderStatus.ON_HOLD in CANCELLABLE
    with pytest.raises(IllegalTransition) as exc:  # what it may not do, for contrast
        check_transition(OrderStatus.CONFIRMED, OrderStatus.COMPLETED)
    assert exc.value.extra == {"current_status": "confirmed", "requested_status": "completed"}


def test_order_numbers_round_trip():
    assert order_number(42) == "OM-000042"
    assert parse_order_number("OM-000042") == 42
    assert parse_order_number("ord_123") is None


def test_cancelling_everything_plans_each_open_unit():
    assert plan_cancellation(_lines(), None) == {1: 3}


def test_partial_cancellation_adds_up_repeated_lines():
    plan = plan_cancellation(_lines(), [CancelRequest(1, 1), CancelRequest(1, 2)])
    assert plan == {1: 3}


def test_cancelling_more_than_is_open_names_the_line():
    with pytest.raises(InvalidInput) as exc:
        plan_cancellation(_lines(), [CancelRequest(2, 1)])
    assert exc.value.errors[0].field == "lines.0.quantity"


def test_cancelling_an_unknown_line_is_refused():
    with pytest.raises(InvalidInput) as exc:
        plan_cancellation(_lines(), [CancelRequest(9, 1)])
    assert exc.value.errors[0].field == "lines.0.line_no"


def test_line_total_counts_only_open_units():
    line = OrderLine(1, "p", "A", "a", 4, Money.of("1.25", "EUR"), cancelled_quantity=1)
    assert line.line_total == Money.of("3.75", "EUR")


@pytest.mark.parametrize("text", ["OM-²", "OM-١٢", "OM-", "OM-12a", "XX-000001"])
def test_only_ascii_digits_make_an_order_number(text):
    assert parse_order_number(text) is None
