"""Promise dates of backorders: first come, first served over stock and incoming supply."""

from __future__ import annotations

from datetime import date

from ordermesh.kit.money import Money
from ordermesh.orders.model import OrderLine
from ordermesh.sourcing.backorders import Incoming, Queued, promise_dates

TODAY = date(2026, 11, 26)
DEC_1, DEC_8, DEC_15 = date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)


def test_a_backorder_is_promised_the_date_of_the_supply_that_covers_its_last_unit():
    dates = promise_dates([Queued(1, 1, 5)], 0, [Incoming(DEC_1, 3), Incoming(DEC_8, 10)],
                          TODAY)
    assert dates == {(1, 1): DEC_8}


def test_older_backorders_are_served_first_whatever_order_they_are_given_in():
    queue = [Queued(7, 1, 4), Queued(3, 2, 4)]
    dates = promise_dates(queue, 0, [Incoming(DEC_8, 4), Incoming(DEC_1, 4)], TODAY)
    assert dates == {(3, 2): DEC_1, (7, 1): DEC_8}


def test_units_free_in_stock_now_are_promised_today():
    dates = promise_dates([Queued(1, 1, 2), Queued(2, 1, 3)], 2, [Incoming(DEC_15, 3)], TODAY)
    assert dates == {(1, 1): TODAY, (2, 1): DEC_15}


def test_a_backorder_beyond_all_known_supply_has_no_promise():
    dates = promise_dates([Queued(1, 1, 3), Queued(2, 1, 1)], 0, [Incoming(DEC_1, 3)], TODAY)
    assert dates == {(1, 1): DEC_1, (2, 1): None}


def test_overdue_supply_is_promised_no_earlier_than_today():
    dates = promise_dates([Queued(1, 1, 1)], 0, [Incoming(date(2026, 11, 20), 1)], TODAY)
    assert dates == {(1, 1): TODAY}


def test_backordered_units_cannot_ship_but_can_be_cancelled():
    line = OrderLine(1, "prd", "SKU", "Thing", 5, Money.of("10", "EUR"), cancelled_quantity=1,
                     shipped_quantity=1, backordered_quantity=2)
    assert line.cancellable_quantity == 3
    assert line.reserved_quantity == 1
