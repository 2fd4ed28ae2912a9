"""The inventory health report: velocity, forecasts, projections and risk, from real
orders placed over simulated weeks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ordermesh.inventory.forecasting import refresh_forecasts
from tests.helpers import make_channel, ok, order_body, shop


def sell_daily(client, clock, sku: str, per_day: list[int], channel: str = "web") -> None:
    """One order a day for the days before today (the last entry is yesterday)."""
    today = clock.now()
    for back, units in zip(range(len(per_day), 0, -1), per_day, strict=True):
        if units:
            clock.set(today - timedelta(days=back))
            ok(client.post("/api/v1/orders", json=order_body([(sku, units, "5")], channel)), 201)
    clock.set(today)


def health(client, **params) -> dict:
    return ok(client.get("/api/v1/inventory/health", params=params))


def only(page: dict) -> dict:
    assert page["total"] == 1, page
    return page["items"][0]


def test_a_sku_that_runs_out_before_its_purchase_order_arrives_is_critical(client, clock, uow):
    shop(client, {"TEE": {"ber": 320}})
    sell_daily(client, clock, "TEE", [5] * 60)
    ok(client.put("/api/v1/products/TEE/stock-policy", json={"lead_time_days": 14}))
    po_date = (clock.now() + timedelta(days=10)).date().isoformat()
    ok(client.post("/api/v1/inventory/supply", json={
        "sku": "TEE", "location": "ber", "quantity": 200, "expected_date": po_date,
        "kind": "purchase_order", "reference": "PO-1"}), 201)
    before = only(health(client, sku="TEE"))
    assert before["forecast"]["method"] == "moving_average"
    assert before["forecast"]["computed_at"] is None
    with uow() as u:
        assert refresh_forecasts(u) == 1
    row = only(health(client, sku="TEE"))
    assert row["available"] == 20 and row["on_hand"] == 320 and row["reserved"] == 300
    assert row["velocity"] == {"per_day_7": 5.0, "per_day_28": 5.0, "per_day_90": 3.333,
                               "trend": "steady"}
    assert row["forecast"]["method"] == "simple_exponential"
    assert row["forecast"]["computed_at"] is not None
    assert row["forecast"]["daily_mean"] == pytest.approx(5, abs=0.01)
    today = clock.now().date()
    assert row["projection"]["stockout_date"] == (today + timedelta(days=4)).isoformat()
    assert row["projection"]["next_receipt_date"] == po_date
    assert row["projection"]["demand_until_next_receipt"] == pytest.approx(50, abs=0.1)
    assert row["projection"]["short_before_supply"] is True
    assert row["incoming"] == [{"expected_date": po_date, "quantity": 200,
                                "source": "purchase_order", "reference": "PO-1"}]
    assert row["risk"] == "critical"
    assert row["reorder_point"] == 70  # 5/day over 14 days, no variability
    assert row["suggested_order_quantity"] == 0  # 28 days need 140; 20 + 200 incoming


def test_slow_movers_are_overstocked_and_unsold_skus_have_no_demand(client, clock):
    shop(client, {"SLOW": {"ber": 1000}, "DEAD": {"ber": 10}})
    sell_daily(client, clock, "SLOW", [1] * 30)
    rows = {r["sku"]: r for r in health(client)["items"]}
    assert rows["SLOW"]["risk"] == "overstock"
    assert rows["SLOW"]["projection"]["days_of_cover"] == pytest.approx(970, abs=1)
    assert rows["DEAD"]["risk"] == "no_demand"
    assert rows["DEAD"]["velocity"]["trend"] == "no_sales"
    assert [r["sku"] for r in health(client, sort="sku")["items"]] == ["DEAD", "SLOW"]
    assert [r["sku"] for r in health(client, risk="no_demand")["items"]] == ["DEAD"]


def test_accelerating_sales_are_seen_and_sorted_first(client, clock):
    shop(client, {"HOT": {"ber": 200}, "STEADY": {"ber": 400}})
    sell_daily(client, clock, "HOT", [1] * 21 + [6] * 7)
    sell_daily(client, clock, "STEADY", [2] * 28)
    page = health(client)
    hot = next(r for r in page["items"] if r["sku"] == "HOT")
    assert hot["velocity"]["trend"] == "accelerating"
    assert page["items"][0]["sku"] == "HOT"
    assert [r["sku"] for r in health(client, sort="velocity")["items"]] == ["HOT", "STEADY"]


def test_filters_by_location_category_and_channel(client, clock):
    shop(client, {"TEE": {"ber": 50, "ham": 50}})
    make_channel(client, "mkt", kind="marketplace")
    ok(client.put("/api/v1/channels/mkt/sources", json={"locations": ["ham"]}))
    sell_daily(client, clock, "TEE", [2] * 7, channel="mkt")
    assert health(client)["total"] == 2
    assert only(health(client, location="ham"))["location"] == "ham"
    mkt = only(health(client, channel="mkt"))
    assert mkt["location"] == "ham" and mkt["velocity"]["per_day_7"] == 2.0
    web = health(client, channel="web")
    assert all(r["velocity"]["per_day_7"] == 0 for r in web["items"])
    assert health(client, category="nothing")["total"] == 0
    paged = health(client, limit=1, offset=1)
    assert paged["total"] == 2 and len(paged["items"]) == 1


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 201}, {"offset": -1}, {"risk": "doom"}, {"sort": "price"},
    {"channel": "nope"}, {"location": "nope"}, {"sku": "bad sku"},
])
def test_bad_health_queries_are_refused(client, params):
    shop(client, {"TEE": {"ber": 5}})
    refused = client.get("/api/v1/inventory/health", params=params)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"


def test_forecasts_are_refreshed_once_until_they_are_stale(client, clock, uow):
    shop(client, {"A": {"ber": 100, "ham": 100}, "B": {"ber": 100}})
    with uow() as u:
        assert refresh_forecasts(u) == 3
    with uow() as u:
        assert refresh_forecasts(u) == 0
    clock.set(clock.now() + timedelta(hours=13))
    with uow() as u:
        assert refresh_forecasts(u, limit=2) == 2
    with uow() as u:
        assert refresh_forecasts(u) == 1


def test_two_workers_refresh_each_forecast_exactly_once(client, uow):
    shop(client, {f"S{i}": {"ber": 10, "ham": 10} for i in range(30)})
    done: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with uow(actor="worker") as u:
                n = refresh_forecasts(u, limit=7)
            with lock:
                done.append(n)
            if n == 0:
                return

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == 60


def test_with_a_channel_the_risk_is_that_of_its_own_stock_and_demand(client, clock, uow):
    shop(client, {"TEE": {"ber": 200}})
    make_channel(client, "mkt", kind="marketplace")
    ok(client.post("/api/v1/allocation-rules", json={
        "channel": "web", "kind": "quota", "sku": "TEE", "units": 150}), 201)
    sell_daily(client, clock, "TEE", [5] * 28)
    sell_daily(client, clock, "TEE", [1] * 28, channel="mkt")
    po_date = (clock.now() + timedelta(days=20)).date().isoformat()
    ok(client.post("/api/v1/inventory/supply", json={
        "sku": "TEE", "location": "ber", "quantity": 200, "expected_date": po_date,
        "kind": "purchase_order", "reference": "PO-7"}), 201)
    with uow() as u:
        assert refresh_forecasts(u) == 1
    every = only(health(client, sku="TEE"))
    assert every["available"] == 32  # 200 on hand, 168 reserved
    assert every["forecast"]["daily_mean"] == pytest.approx(6, abs=0.05)
    assert every["forecast"]["channel_share"] is None
    assert every["risk"] == "critical"  # 6 a day runs out in 5 days, the PO lands in 20

    mkt = only(health(client, sku="TEE", channel="mkt"))
    atp = ok(client.get("/api/v1/availability", params={"sku": "TEE", "channel": "mkt"}))
    # web's quota keeps 10 of the 32 back (150 less the 140 it holds): mkt may sell 22.
    assert mkt["available"] == atp["locations"][0]["available"] == 22
    assert mkt["forecast"]["computed_at"] is not None
    assert mkt["forecast"]["channel_share"] == pytest.approx(28 / 168, abs=0.001)
    assert mkt["forecast"]["daily_mean"] == pytest.approx(1, abs=0.05)
    assert mkt["projection"]["stockout_date"] is None
    assert mkt["projection"]["demand_until_next_receipt"] == pytest.approx(20, abs=1)
    assert mkt["projection"]["short_before_supply"] is False
    assert mkt["reorder_point"] == 14  # its 1 a day over the 14-day lead time
    assert mkt["risk"] == "ok"
