"""Polling carriers, the promise watch (at risk, late) and delivery performance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.jobs import SlaWatch, TrackingPoll
from tests.helpers import make_channel, ok
from tests.shipping_helpers import (
    ADDRESS,
    fo_status,
    fulfilment_order,
    make_carrier,
    packed_fo,
    place,
    post_webhook,
    ready_shop,
)


def events_of(client, type_: str) -> list[dict]:
    items = ok(client.get("/api/v1/events", params={"limit": 500}))["items"]
    return [e for e in items if e["type"] == type_]


def ship(client, fo_id: str, **body) -> dict:
    return ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", json=body or None), 201)


def test_polling_moves_a_shipment_through_to_delivered(client, container, clock):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    ship(client, fo_id)
    poll = TrackingPoll()
    assert poll.run_once(container) == 1
    assert fo_status(container, fo_id) == "label_created"  # only the label so far
    order_id = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["order_id"]
    assert ok(client.get(f"/api/v1/orders/{order_id}"))["status"] == "processing"
    assert poll.run_once(container) == 0  # polled a moment ago
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    poll.run_once(container)
    assert fo_status(container, fo_id) == "in_transit"
    # the driver's pick-up scan was the hand-over: shipped, then in transit
    timeline = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["timeline"]
    assert [t["status"] for t in timeline if t["type"] == "status"][-3:] == [
        "label_created", "shipped", "in_transit"]
    assert ok(client.get(f"/api/v1/orders/{order_id}"))["status"] == "shipped"
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))
    poll.run_once(container)
    assert fo_status(container, fo_id) == "out_for_delivery"
    clock.set(datetime(2026, 12, 1, 18, tzinfo=UTC))
    poll.run_once(container)
    assert fo_status(container, fo_id) == "delivered"
    clock.advance(timedelta(days=1))
    assert poll.run_once(container) == 0  # delivered shipments are not polled
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["on_time"], shipment["days_late"]) == (True, 0)
    measured = events_of(client, "fulfilment.delivery_measured")
    assert [e["payload"]["on_time"] for e in measured] == [True]
    assert ok(client.get(f"/api/v1/orders/{shipment['order_id']}"))["status"] == "completed"


def test_a_failing_postal_code_ends_in_a_failed_delivery_and_a_return(client, container,
                                                                      clock):
    ready_shop(client, container)
    make_carrier(client, "sim", fail_postal_codes=["99999"])
    fo_id = packed_fo(client, container, address={**ADDRESS, "postal_code": "99999"})
    ship(client, fo_id)
    clock.set(datetime(2026, 12, 1, 18, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "delivery_failed"
    clock.set(datetime(2026, 12, 4, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "returned_to_sender"
    clock.advance(timedelta(days=1))
    assert TrackingPoll().run_once(container) == 0  # returned: nothing more to follow
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert shipment["delivered_at"] is None and shipment["on_time"] is None


def test_polling_and_the_webhook_together_store_each_event_once(client, container, clock):
    ready_shop(client, container)
    make_carrier(client, "sim")
    fo_id = packed_fo(client, container)
    number = ship(client, fo_id)["parcels"][0]["tracking_number"]
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    ok(post_webhook(client, "sim", [{"event_id": f"{number}-PCK", "tracking_number": number,
                                     "status": "PCK", "occurred_at": "2026-11-26T16:00:00Z"}]))
    TrackingPoll().run_once(container)
    from ordermesh.shipping.tracking import events_for

    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        timeline = events_for(uow, [fo_id])[fo_id]
    assert [(e["carrier_status"], e["source"]) for e in timeline] == [
        ("LBL", "poll"), ("PCK", "webhook"), ("DEP", "poll")]


def test_a_delayed_delivery_is_late_and_measured_in_days(client, container, clock):
    ready_shop(client, container)
    make_carrier(client, "slowco", delay_days=2)
    fo_id = packed_fo(client, container)
    ship(client, fo_id, carrier="slowco")
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=UTC))  # promised 2026-12-01, not delivered
    watch = SlaWatch()
    assert watch.run_once(container) == 1
    assert watch.run_once(container) == 0
    late = events_of(client, "fulfilment.late")
    assert [e["aggregate_id"] for e in late] == [fo_id]
    assert late[0]["payload"]["promised_date"] == "2026-12-01"
    clock.set(datetime(2026, 12, 4, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "delivered"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["on_time"], shipment["days_late"]) == (False, 2)
    assert watch.run_once(container) == 0


def test_a_fulfilment_order_not_shipped_by_the_cut_off_is_at_risk_once(client, container,
                                                                        clock):
    ready_shop(client, container)
    order = place(client, 1)
    fo_id = fulfilment_order(client, order)  # ship by Thu 26 Nov, 16:00 UTC
    watch = SlaWatch()
    clock.set(datetime(2026, 11, 26, 15, 59, tzinfo=UTC))
    assert watch.run_once(container) == 0
    clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    assert watch.run_once(container) == 1
    assert watch.run_once(container) == 0
    at_risk = events_of(client, "fulfilment.at_risk")
    assert [(e["aggregate_id"], e["payload"]["ship_by"]) for e in at_risk] == [
        (fo_id, "2026-11-26")]
    clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # past the promised 1 Dec too
    assert watch.run_once(container) == 1
    assert watch.run_once(container) == 0
    assert len(events_of(client, "fulfilment.late")) == 1
    assert len(events_of(client, "fulfilment.at_risk")) == 1


def test_on_time_rates_per_carrier_location_and_channel_codes(client, container, clock):
    ready_shop(client, container)
    make_channel(client, "shop")
    make_carrier(client, "slowco", delay_days=3)
    on_time = packed_fo(client, container)
    also_on_time = packed_fo(client, container, channel="shop")
    late = packed_fo(client, container)
    ship(client, on_time)
    ship(client, also_on_time)
    ship(client, late, carrier="slowco")
    clock.set(datetime(2026, 12, 10, tzinfo=UTC))
    TrackingPoll().run_once(container)
    by_carrier = ok(client.get("/api/v1/delivery-performance",
                               params={"group_by": "carrier"}))
    assert by_carrier["items"] == [
        {"key": "sim", "delivered": 2, "on_time": 2, "late": 0, "on_time_rate": "1.0000",
         "average_days_late": None},
        {"key": "slowco", "delivered": 1, "on_time": 0, "late": 1, "on_time_rate": "0.0000",
         "average_days_late": "3.00"}]
    by_location = ok(client.get("/api/v1/delivery-performance",
                                params={"group_by": "location"}))["items"]
    assert [(i["key"], i["delivered"], i["on_time_rate"]) for i in by_location] == [
        ("ber", 3, "0.6667")]
    by_channel = ok(client.get("/api/v1/delivery-performance",
                               params={"group_by": "channel"}))["items"]
    assert [(i["key"], i["delivered"], i["on_time"]) for i in by_channel] == [
        ("shop", 1, 1), ("web", 2, 1)]
    window = ok(client.get("/api/v1/delivery-performance", params={
        "group_by": "carrier", "from": "2026-12-02", "to": "2026-12-31"}))["items"]
    assert [(i["key"], i["delivered"]) for i in window] == [("slowco", 1)]
    assert client.get("/api/v1/delivery-performance",
                      params={"from": "2026-12-31", "to": "2026-12-01"}).status_code == 422
    assert client.get("/api/v1/delivery-performance",
                      params={"group_by": "weather"}).status_code == 422


def test_pollers_on_postgresql_skip_shipments_another_worker_holds(client, container,
                                                                    db_url):
    import pytest
    from sqlalchemy import select

    from ordermesh.shipping.jobs import poll_tracking
    from ordermesh.shipping.tables import shipments

    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nothing to skip")
    ready_shop(client, container)
    for _ in range(4):
        ship(client, packed_fo(client, container))
    with UnitOfWork(container.engine, container.clock) as busy:
        held = busy.execute(select(shipments.c.id).order_by(shipments.c.id).limit(2)
                            .with_for_update()).scalars().all()
        with UnitOfWork(container.engine, container.clock) as other:
            assert poll_tracking(other, 10) == 2
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            polled = uow.execute(select(shipments.c.id).where(
                shipments.c.polled_at.is_not(None))).scalars().all()
        assert set(polled).isdisjoint(held) and len(polled) == 2
