"""Tracking events that cannot be believed are parked; inactive carrier accounts accept
nothing; tracking numbers of two accounts never collide; performance by codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.jobs import TrackingPoll
from ordermesh.shipping.tables import shipment_parcels
from tests.helpers import ok
from tests.shipping_helpers import (
    fo_status,
    make_carrier,
    packed_fo,
    post_webhook,
    ready_shop,
    shipped,
)

# shipped() only books the carrier: the fulfilment order is label_created and its order
# still processing; the hand-over (POST .../handover or the carrier's first plausible
# scan) ships them.
BOOKED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the test clock's start: label time


def event(number: str, status: str, at: datetime | str, event_id: str | None = None) -> dict:
    at = at if isinstance(at, str) else at.isoformat().replace("+00:00", "Z")
    return {"event_id": event_id or f"{number}-{status}-{at}", "tracking_number": number,
            "status": status, "occurred_at": at}


def events_of(client, type_: str) -> list[dict]:
    items = ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]
    return [e for e in items if e["type"] == type_]


def parked(client, **params) -> list[dict]:
    return ok(client.get("/api/v1/tracking-events/parked", params=params))["items"]


def shipment(client, fo_id: str) -> dict:
    return ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))


def order_status(client, fo_id: str) -> str:
    order_id = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["order_id"]
    return ok(client.get(f"/api/v1/orders/{order_id}"))["status"]


def tracking_timeline(client, fo_id: str) -> list[dict]:
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    return [e for e in fo["timeline"] if e["type"] == "tracking"]


def test_a_delivery_dated_two_days_ahead_is_parked_and_neither_completes_nor_counts(
        client, container):
    fo_id, (number,) = shipped(client, container)
    answer = post_webhook(client, "sim", [event(number, "DLV", BOOKED + timedelta(days=2))])
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert (result["stored"], result["parked"], result["moved"]) == (0, 1, 0)
    [why] = result["parked_events"]
    assert why["tracking_number"] == number and "dated in the future" in why["reason"]
    # parked: not even the hand-over (first scan) happened, let alone the delivery
    assert fo_status(container, fo_id) == "label_created"
    assert order_status(client, fo_id) == "processing"
    got = shipment(client, fo_id)
    assert (got["status"], got["delivered_at"], got["on_time"]) == ("label_created", None, None)
    assert got["parcels"][0]["last_event_at"] is None
    assert ok(client.get("/api/v1/delivery-performance"))["items"] == []
    [waiting] = parked(client)
    assert (waiting["id"], waiting["review"], waiting["status"], waiting["applied"]) == (
        why["id"], "parked", "delivered", False)
    [timeline] = tracking_timeline(client, fo_id)
    assert timeline["details"]["review"] == "parked"
    [recorded] = events_of(client, "tracking.event_parked")
    assert recorded["payload"]["tracking_number"] == number
    assert recorded["payload"]["fulfilment_order_id"] == fo_id
    assert "dated in the future" in recorded["payload"]["reason"]


def test_an_event_dated_2999_never_blocks_later_real_events(client, container, clock):
    fo_id, (number,) = shipped(client, container)
    far = post_webhook(client, "sim", [event(number, "DLV", "2999-01-01T00:00:00Z")])
    assert far.status_code == 202 and far.json()["parked"] == 1
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    result = ok(post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")]))
    assert (result["stored"], result["moved"], result["parked"]) == (1, 1, 0)
    assert fo_status(container, fo_id) == "in_transit"  # first real scan: handed over
    assert order_status(client, fo_id) == "shipped"
    clock.set(datetime(2026, 12, 1, 14, tzinfo=UTC))
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    assert shipment(client, fo_id)["on_time"] is True


def test_an_event_dated_before_the_label_was_created_is_parked(client, container):
    fo_id, (number,) = shipped(client, container)
    answer = post_webhook(client, "sim", [event(number, "DLV", "2026-11-20T10:00:00Z")])
    assert answer.status_code == 202
    assert "before the label was created" in answer.json()["parked_events"][0]["reason"]
    assert fo_status(container, fo_id) == "label_created"  # a parked scan hands nothing over
    assert order_status(client, fo_id) == "processing"


def test_a_clock_a_little_ahead_is_allowed_and_the_allowance_is_a_carrier_setting(
        client, container):
    fo_id, (number,) = shipped(client, container)
    result = ok(post_webhook(client, "sim", [event(number, "PCK", BOOKED + timedelta(
        minutes=14))]))
    assert (result["stored"], result["parked"], result["moved"]) == (1, 0, 1)
    assert fo_status(container, fo_id) == "shipped"  # the pick-up scan is the hand-over
    ok(client.patch("/api/v1/carriers/sim", json={"settings": {
        "tracking_clock_skew_minutes": 0}}))
    strict = post_webhook(client, "sim", [event(number, "OFD", BOOKED + timedelta(minutes=1))])
    assert strict.status_code == 202 and strict.json()["parked"] == 1
    assert fo_status(container, fo_id) == "shipped"
    bad = client.patch("/api/v1/carriers/sim", json={"settings": {
        "tracking_clock_skew_minutes": -5}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "settings.tracking_clock_skew_minutes"


def test_a_parked_event_is_released_once_its_time_has_come_or_discarded(client, container,
                                                                        clock):
    fo_id, (number,) = shipped(client, container)
    dlv_at = datetime(2026, 12, 1, 13, tzinfo=UTC)
    early = post_webhook(client, "sim", [event(number, "DLV", dlv_at),
                                         event(number, "OFD", "2999-12-31T08:00:00Z")])
    ids = {p["event_id"].split("-")[1]: p["id"] for p in early.json()["parked_events"]}
    too_soon = client.post(f"/api/v1/tracking-events/{ids['DLV']}/release")
    assert too_soon.status_code == 409 and "still dated in the future" in too_soon.json()[
        "detail"]
    assert fo_status(container, fo_id) == "label_created"
    assert order_status(client, fo_id) == "processing"

    clock.set(datetime(2026, 12, 1, 14, tzinfo=UTC))
    released = ok(client.post(f"/api/v1/tracking-events/{ids['DLV']}/release"))
    assert (released["review"], released["applied"]) == ("released", True)
    assert released["reviewed_at"] == "2026-12-01T14:00:00Z"
    # released, the delivery is also the parcel's first scan: handed over, then delivered
    assert fo_status(container, fo_id) == "delivered"
    assert order_status(client, fo_id) == "completed"
    assert shipment(client, fo_id)["on_time"] is True
    discarded = ok(client.post(f"/api/v1/tracking-events/{ids['OFD']}/discard"))
    assert (discarded["review"], discarded["applied"]) == ("discarded", False)
    assert parked(client) == []
    again = client.post(f"/api/v1/tracking-events/{ids['OFD']}/release")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert client.post("/api/v1/tracking-events/trk_nope/discard").status_code == 404
    [r] = events_of(client, "tracking.event_released")
    [d] = events_of(client, "tracking.event_discarded")
    assert (r["payload"]["id"], r["payload"]["moved"]) == (ids["DLV"], True)
    assert d["payload"]["id"] == ids["OFD"]


def test_parked_events_are_listed_per_carrier(client, container):
    _fo_id, (number,) = shipped(client, container)
    post_webhook(client, "sim", [event(number, "DLV", "2999-01-01T00:00:00Z")])
    assert len(parked(client, carrier="sim")) == 1
    assert parked(client, carrier="other") == []
    assert client.get("/api/v1/tracking-events/parked",
                      params={"limit": 0}).status_code == 422


def test_an_inactive_carrier_account_accepts_no_webhook_and_is_not_polled(client, container,
                                                                          clock):
    fo_id, (number,) = shipped(client, container)
    ok(client.patch("/api/v1/carriers/sim", json={"active": False}))
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    refused = post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")])
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "inactive" in refused.json()["detail"]
    assert tracking_timeline(client, fo_id) == []
    assert TrackingPoll().run_once(container) == 0
    assert fo_status(container, fo_id) == "label_created"
    assert order_status(client, fo_id) == "processing"
    assert tracking_timeline(client, fo_id) == []
    ok(client.patch("/api/v1/carriers/sim", json={"active": True}))
    assert TrackingPoll().run_once(container) == 1
    assert fo_status(container, fo_id) == "in_transit"


def test_two_accounts_of_the_simulated_carrier_never_share_a_tracking_number(client,
                                                                            container):
    ready_shop(client, container)
    make_carrier(client, "sim")
    make_carrier(client, "sim-eu")
    first, second = packed_fo(client, container), packed_fo(client, container)
    a = ok(client.post(f"/api/v1/fulfilment-orders/{first}/ship"), 201)
    b = ok(client.post(f"/api/v1/fulfilment-orders/{second}/ship",
                       json={"carrier": "sim-eu"}), 201)
    numbers = (a["parcels"][0]["tracking_number"], b["parcels"][0]["tracking_number"])
    assert numbers == ("SIM00000001016", "SIM-EU00000001016")  # both booking no. 1
    clock_ok = post_webhook(client, "sim-eu", [event(numbers[1], "PCK", BOOKED)])
    assert ok(clock_ok)["moved"] == 1
    assert fo_status(container, second) == "shipped"  # sim-eu's pick-up scan: handed over
    assert fo_status(container, first) == "label_created"  # sim's parcel: untouched


def test_the_database_refuses_a_tracking_number_twice_for_one_carrier_account(client,
                                                                             container):
    _fo_id, (number,) = shipped(client, container)
    with pytest.raises(IntegrityError), UnitOfWork(container.engine, container.clock) as uow:
        uow.execute(insert(shipment_parcels).values(
            tracking_number=number, carrier="sim", shipment_id="shp_other",
            package_id="pkg_other", status="label_created", last_event_at=None))
    with UnitOfWork(container.engine, container.clock) as uow:  # another account: fine
        uow.execute(insert(shipment_parcels).values(
            tracking_number=number, carrier="acme", shipment_id="shp_other",
            package_id="pkg_other", status="label_created", last_event_at=None))
        uow.commit()
