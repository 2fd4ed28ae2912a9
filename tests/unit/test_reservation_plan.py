from hypothesis import given
from hypothesis import strategies as st

from ordermesh.inventory.model import plan_reservation


def test_one_location_with_enough_takes_the_whole_line():
    assert plan_reservation({"a": 2, "b": 10, "c": 5}, 5) == [("b", 5)]


def test_a_line_is_split_only_when_no_location_has_enough():
    assert plan_reservation({"a": 3, "b": 4, "c": 1}, 6) == [("a", 2), ("b", 4)]


def test_not_enough_in_total_gives_no_plan():
    assert plan_reservation({"a": 3, "b": 2}, 6) == []


def test_locations_with_nothing_available_are_ignored():
    assert plan_reservation({"a": 0, "b": -2, "c": 1}, 1) == [("c", 1)]


@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                       st.integers(-5, 50), max_size=8),
       st.integers(1, 200))
def test_a_plan_takes_exactly_the_quantity_never_more_than_available_in_lock_order(stock, qty):
    plan = plan_reservation(stock, qty)
    if sum(max(0, v) for v in stock.values()) < qty:
        assert plan == []
        return
    assert sum(q for _, q in plan) == qty
    assert all(0 < q <= stock[loc] for loc, q in plan)
    assert [loc for loc, _ in plan] == sorted(loc for loc, _ in plan)
