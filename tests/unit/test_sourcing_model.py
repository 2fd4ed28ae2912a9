"""The sourcing engine on its own: candidates, rules, splits and explanations."""

from decimal import Decimal

from ordermesh.inventory.model import plan_reservation
from ordermesh.kit.money import Money
from ordermesh.sourcing.engine import decide
from ordermesh.sourcing.model import (
    Assignment,
    Demand,
    Destination,
    ShippingRates,
    Site,
    SourcingProblem,
    SourcingRule,
    SourcingSettings,
    haversine_km,
)

R = SourcingRule
BER = Site("l-ber", "ber", True, False, 52.52, 13.405)
MUC = Site("l-muc", "muc", True, True, 48.137, 11.575)
HAM = Site("l-ham", "ham", True, False, 53.551, 9.994)
NEAR_MUC = Destination("DE", "DE-BY", 48.2, 11.6, "address")


def problem(demands, free, sites=(BER, MUC, HAM), dest=NEAR_MUC, **settings):
    caps = {p: sum(v.values()) for p, v in free.items()}
    return SourcingProblem(tuple(demands), free, caps, tuple(sites), dest,
                           SourcingSettings(**settings))


def test_haversine_berlin_munich_is_about_504_km():
    assert 500 < haversine_km(52.52, 13.405, 48.137, 11.575) < 510


def test_without_distance_the_default_chain_plans_like_plan_reservation():
    free = {"p": {"l-ber": 3, "l-muc": 5, "l-ham": 5}}
    for quantity in (1, 5, 6, 13):
        result = decide(problem([Demand(1, "p", "P", quantity)], free, dest=Destination()))
        expected = plan_reservation(free["p"], quantity)
        assert sorted((a.location_id, a.quantity) for a in result.assignments) == expected


def test_nearest_location_wins_when_distance_is_in_the_chain():
    result = decide(problem([Demand(1, "p", "P", 2)], {"p": {"l-ber": 9, "l-muc": 2}}))
    assert result.assignments == (Assignment("l-muc", 1, 2),)
    assert "distance" in result.explanation and "muc" in result.explanation


def test_fewest_shipments_avoids_a_split_that_per_line_ranking_would_make():
    free = {"a": {"l-muc": 1, "l-ber": 1}, "b": {"l-ber": 1}}
    demands = [Demand(1, "a", "A", 1), Demand(2, "b", "B", 1)]
    per_line = decide(problem(demands, free))
    assert {a.location_id for a in per_line.assignments} == {"l-muc", "l-ber"}
    fewest = decide(problem(demands, free, rules=(R.FEWEST_SHIPMENTS, R.DISTANCE)))
    assert {a.location_id for a in fewest.assignments} == {"l-ber"}
    assert "fewest shipments (1 against 2)" in fewest.explanation


def test_max_splits_leaves_what_it_cannot_cover_unsourced():
    free = {"a": {"l-muc": 1}, "b": {"l-ber": 1}}
    demands = [Demand(1, "a", "A", 1), Demand(2, "b", "B", 1)]
    result = decide(problem(demands, free, rules=(R.DISTANCE,), max_splits=0))
    assert result.assignments == (Assignment("l-muc", 1, 1),)
    assert result.unsourced == {2: 1}
    assert "within max_splits 0" in result.explanation
    split = decide(problem(demands, free, rules=(R.DISTANCE,), max_splits=1))
    assert split.unsourced == {} and len(split.chosen) == 2


def test_a_location_whose_capacity_is_used_up_is_skipped():
    full = Site("l-muc", "muc", True, False, 48.137, 11.575, daily_capacity=2, used_today=2)
    result = decide(problem([Demand(1, "p", "P", 1)], {"p": {"l-muc": 5, "l-ber": 5}},
                            sites=(BER, full)))
    assert result.chosen == ["l-ber"]
    muc = next(c for c in result.candidates if c.code == "muc")
    assert not muc.eligible and "daily capacity used up (2/2)" in muc.reasons


def test_a_location_that_does_not_serve_the_region_is_not_eligible():
    bavaria_only = Site("l-ber", "ber", True, False, 52.52, 13.405, regions=("DE-BY",))
    dest = Destination("DE", "BE", 52.5, 13.4, "address")
    result = decide(problem([Demand(1, "p", "P", 1)], {"p": {"l-ber": 5, "l-muc": 5}},
                            sites=(bavaria_only, MUC), dest=dest))
    assert result.chosen == ["l-muc"]
    assert "does not serve DE-BE" in result.explanation
    unknown = decide(problem([Demand(1, "p", "P", 1)], {"p": {"l-ber": 5}},
                             sites=(bavaria_only,), dest=Destination()))
    assert unknown.chosen == ["l-ber"]


def test_priority_decides_between_otherwise_equal_locations():
    low = Site("l-a", "a", True, False, priority=5)
    high = Site("l-b", "b", True, False, priority=1)
    result = decide(problem([Demand(1, "p", "P", 1)], {"p": {"l-a": 5, "l-b": 5}},
                            sites=(low, high), dest=Destination(), rules=(R.PRIORITY,)))
    assert result.chosen == ["l-b"]


def test_pickup_orders_are_sourced_only_from_the_pickup_location():
    dest = Destination(pickup_location_id="l-muc")
    result = decide(problem([Demand(1, "p", "P", 3)], {"p": {"l-ber": 9, "l-muc": 2}},
                            dest=dest))
    assert result.assignments == (Assignment("l-muc", 1, 2),) and result.unsourced == {1: 1}


def test_shipping_cost_prefers_the_cheaper_shipment_and_reports_each_estimate():
    rates = ShippingRates(Money.of("4.00", "EUR"), Money.of("1.00", "EUR"))
    result = decide(problem([Demand(1, "p", "P", 1, weight_g=2000)],
                            {"p": {"l-ber": 5, "l-ham": 5}}, sites=(BER, HAM),
                            rules=(R.SHIPPING_COST,), rates=rates))
    assert result.chosen == ["l-ber"]
    costs = {c.code: c.scores["shipping_cost"] for c in result.candidates}
    assert Decimal(costs["ber"]) < Decimal(costs["ham"])


def test_an_excluded_location_is_not_used_again_for_that_line():
    result = decide(problem([Demand(1, "p", "P", 1, exclude=frozenset({"l-muc"}))],
                            {"p": {"l-muc": 5, "l-ber": 5}}))
    assert result.chosen == ["l-ber"]
    muc = next(c for c in result.candidates if c.code == "muc")
    assert "excluded" in muc.reasons[0]


def test_many_locations_are_searched_greedily():
    sites = tuple(Site(f"l-{i:02d}", f"s{i:02d}", True, False) for i in range(14))
    free = {"a": {s.id: 1 for s in sites}, "b": {"l-13": 1}}
    result = decide(problem([Demand(1, "a", "A", 1), Demand(2, "b", "B", 1)], free,
                            sites=sites, dest=Destination(), rules=(R.FEWEST_SHIPMENTS,)))
    assert result.method == "per_order_greedy" and result.chosen == ["l-13"]
