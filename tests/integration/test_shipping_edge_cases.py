"""Review of packing, shipping and tracking: bad input changes nothing, events are kept,
tracking follows the docs (docs/packing.md, docs/shipping.md)."""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.jobs import SlaWatch, TrackingPoll
from tests.helpers import ok
from tests.packing_helpers import packing_shop, picked_order, stock_at
from tests.shipping_helpers import (
    ADDRESS,
    SECRET,
    fo_status,
    fulfilment_order,
    make_carrier,
    packed_fo,
    place,
    post_webhook,
    ready_shop,
    shipped,
    sign,
)

JSON = {"Content-Type": "application/json"}
BOOK = {"weight_grams": 600, "dimensions": {"length_mm": 240, "width_mm": 170,
                                              "height_mm": 40}}
BIG = {"weight_grams": 2000, "dimensions": {"length_mm": 380, "width_mm": 280,
                                              "height_mm": 200}}


# --- helpers -------------------------------------------------------------------------

LATER = datetime(2026, 12, 10, tzinfo=UTC)


def all_events(client, type_: str | None = None) -> list[dict]:
    items = ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]
    return [e for e in items if type_ is None or e["type"] == type_]


def count_rows(container, table) -> int:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(func.count()).select_from(table)).scalar_one()


def event(number: str, status: str, at: str, event_id: str | None = None) -> dict:
    return {"event_id": event_id or f"{number}-{status}-{at}", "tracking_number": number,
            "status": status, "occurred_at": at}


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.json()


# --- fulfilment orders named by their number -------------------------------------------

def test_a_packed_fulfilment_order_named_by_its_number_can_be_booked_and_handed_over(
        client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    number = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{number}/ship"), 201)
    assert shipment["fulfilment_order_id"] == fo_id
    assert fo_status(container, fo_id) == "label_created"
    handed = ok(client.post(f"/api/v1/fulfilment-orders/{number}/handover", json={}))
    assert (handed["id"], handed["status"]) == (fo_id, "shipped")


def test_the_shipment_of_a_fulfilment_order_can_be_read_by_its_number(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    number = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    by_number = ok(client.get(f"/api/v1/fulfilment-orders/{number}/shipment"))
    assert by_number["id"] == shipment["id"]


def test_rates_can_be_quoted_for_a_fulfilment_order_named_by_its_number(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    number = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]
    by_id = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/rates"))
    by_number = ok(client.get(f"/api/v1/fulfilment-orders/{number}/rates"))
    assert by_number == by_id


# --- shipping refusals change nothing ---------------------------------------------------

def test_shipping_a_cancelled_fulfilment_order_is_refused_and_books_nothing(client, container):
    ready_shop(client, container)
    order = place(client, 1)
    fo_id = fulfilment_order(client, order)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert fo_status(container, fo_id) == "cancelled"
    problem = is_problem(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 409)
    assert problem["code"] == "illegal-transition"
    assert client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment").status_code == 404
    assert all_events(client, "shipment.booked") == []
    assert all_events(client, "package.tracking_assigned") == []


def test_two_concurrent_ship_requests_book_one_shipment(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    results = []

    def ship() -> None:
        results.append(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"))

    threads = [threading.Thread(target=ship) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    assert len(all_events(client, "shipment.booked")) == 1
    assert len(all_events(client, "fulfilment.label_created")) == 1
    winner = next(r.json() for r in results if r.status_code == 201)
    assert winner["parcels"][0]["tracking_number"] == "SIM00000001016"  # sequence 1 used


def test_an_idempotency_key_reused_for_another_fulfilment_order_is_refused(client, container):
    ready_shop(client, container)
    first = packed_fo(client, container, quantity=1)
    second = packed_fo(client, container, quantity=1)
    headers = {"Idempotency-Key": "ship-key"}
    ok(client.post(f"/api/v1/fulfilment-orders/{first}/ship", headers=headers), 201)
    reused = client.post(f"/api/v1/fulfilment-orders/{second}/ship", headers=headers)
    is_problem(reused, 422)
    assert fo_status(container, second) == "packed"


def test_rates_for_an_unknown_carrier_are_not_found(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    is_problem(client.get(f"/api/v1/fulfilment-orders/{fo_id}/rates",
                          params={"carrier": "nobody"}), 404)


def test_rates_before_packing_are_a_conflict(client, container):
    ready_shop(client, container)
    fo_id = fulfilment_order(client, place(client, 1))
    is_problem(client.get(f"/api/v1/fulfilment-orders/{fo_id}/rates"), 409)


# --- carriers ------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"webhook_secret": "short-secret"},
    {"settings": {"holidays": "2026-12-24"}},
    {"settings": {"holidays": [20261224]}},
    {"settings": {"delay_days": 61}},
    {"settings": {"delay_days": 1.5}},
    {"settings": {"delay_days": True}},
    {"settings": {"exception_rate": "NaN"}},
    {"settings": {"exception_rate": "1.5"}},
    {"settings": {"exception_rate": [1]}},
    {"settings": {"seed": "7"}},
    {"settings": {"fail_postal_codes": "99999"}},
    {"settings": {"damage_postal_codes": [99999]}},
    {"settings": {"timezone": "Mars/Olympus"}},
    {"settings": {"timezone": ["UTC"]}},
    {"adapter": "pigeon"},
    {"code": "Has Spaces"},
])
def test_a_carrier_with_bad_settings_is_refused_and_nothing_is_stored(client, body):
    created = client.post("/api/v1/carriers", json={
        "code": "acme", "name": "Acme", "adapter": "simulated",
        "webhook_secret": SECRET, **body})
    is_problem(created, 422)
    assert client.get("/api/v1/carriers/acme").status_code == 404
    assert all_events(client, "carrier.created") == []


@pytest.mark.parametrize("code", ["acme", "sim"])
@pytest.mark.parametrize("body", [
    {"webhook_secret": "too-short"},
    {"settings": {"delay_days": -1}},
    {"settings": {"timezone": "Nowhere/Town"}},
    {"name": None},
    {"settings": None},
    {"active": None},
    {"unknown": 1},
])
def test_a_bad_carrier_patch_is_refused_and_changes_nothing(client, code, body):
    if code == "acme":
        make_carrier(client, "acme", delay_days=2)
    before = ok(client.get(f"/api/v1/carriers/{code}"))
    updated_before = len(all_events(client, "carrier.updated"))
    is_problem(client.patch(f"/api/v1/carriers/{code}", json=body), 422)
    assert ok(client.get(f"/api/v1/carriers/{code}")) == before
    assert len(all_events(client, "carrier.updated")) == updated_before


def test_patching_a_carrier_name_keeps_its_settings_and_webhook_secret(client, container):
    _fo_id, (number,) = shipped(client, container)
    before = ok(client.get("/api/v1/carriers/sim"))
    patched = ok(client.patch("/api/v1/carriers/sim", json={"name": "Renamed"}))
    assert patched["name"] == "Renamed"
    assert patched["settings"] == before["settings"]
    assert patched["has_webhook_secret"] is True
    assert SECRET not in json.dumps(patched)
    container.clock.set(LATER)  # the carrier reports after the events
    assert ok(post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")]))[
        "stored"] == 1
    [updated] = all_events(client, "carrier.updated")
    assert updated["payload"]["changed"] == ["name"]


def test_patching_an_unknown_carrier_is_not_found(client):
    is_problem(client.patch("/api/v1/carriers/nobody", json={"name": "X"}), 404)


# --- tracking webhook ------------------------------------------------------------------

def test_a_parcel_reported_delivered_late_but_received_first_decides_when_the_fo_was_delivered(
        client, container):
    # Promised 2026-12-01 (sim, UTC). Parcel 2 is delivered after midnight, parcel 1 the
    # evening before; the carrier's webhook for parcel 2 arrives first.
    fo_id, (first, second) = shipped(client, container, quantity=2, split=[1, 1])
    container.clock.set(LATER)  # the carrier reports after the events
    ok(post_webhook(client, "sim", [event(second, "DLV", "2026-12-02T01:00:00Z")]))
    assert fo_status(container, fo_id) == "shipped"  # the first parcel is not delivered yet
    ok(post_webhook(client, "sim", [event(first, "DLV", "2026-12-01T23:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    # an FO of two parcels is delivered when the second one is
    assert shipment["delivered_at"] == "2026-12-02T01:00:00Z"
    assert (shipment["on_time"], shipment["days_late"]) == (False, 1)


def test_a_tracking_event_the_fulfilment_order_refuses_leaves_the_parcel_as_it_was(
        client, container):
    fo_id, (number,) = shipped(client, container)
    container.clock.set(LATER)  # the carrier reports after the events
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    after = ok(post_webhook(client, "sim", [event(number, "OFD", "2026-12-02T08:00:00Z")]))
    assert after["stored"] == 1 and after["moved"] == 0
    assert fo_status(container, fo_id) == "delivered"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert shipment["status"] == "delivered"
    assert [p["status"] for p in shipment["parcels"]] == ["delivered"]


def test_one_webhook_batch_moving_one_fulfilment_order_several_steps_counts_it_once(
        client, container):
    fo_id, (number,) = shipped(client, container)
    container.clock.set(LATER)  # the carrier reports after the events
    result = ok(post_webhook(client, "sim", [
        event(number, "DEP", "2026-11-26T19:00:00Z"),
        event(number, "OFD", "2026-12-01T08:00:00Z"),
        event(number, "DLV", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    # "moved": fulfilment orders whose status changed
    assert result == {"stored": 3, "duplicates": 0, "ignored": 0, "moved": 1, "parked": 0,
                      "parked_events": []}


@pytest.mark.parametrize("at", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_a_tracking_event_at_the_edge_of_the_calendar_is_refused_not_a_server_error(
        client, container, at):
    fo_id, (number,) = shipped(client, container)
    response = post_webhook(client, "sim", [event(number, "DEP", at)])
    is_problem(response, 422)
    assert fo_status(container, fo_id) == "label_created"


def test_a_tracking_event_without_a_time_zone_is_refused_and_nothing_is_stored(
        client, container):
    from ordermesh.shipping.tables import tracking_events

    fo_id, (number,) = shipped(client, container)
    response = post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00")])
    problem = is_problem(response, 422)
    assert any("occurred_at" in e["field"] for e in problem["errors"])
    assert count_rows(container, tracking_events) == 0
    assert fo_status(container, fo_id) == "label_created"


def test_more_than_500_events_in_one_webhook_are_refused(client, container):
    from ordermesh.shipping.tables import tracking_events

    _fo_id, (number,) = shipped(client, container)
    events = [event(number, "DEP", "2026-11-26T19:00:00Z", f"e-{i}") for i in range(501)]
    is_problem(post_webhook(client, "sim", events), 422)
    assert count_rows(container, tracking_events) == 0


@pytest.mark.parametrize("raw", [b"[]", b'{"events": []}', b'"events"', b"{", b"null"])
def test_malformed_webhook_bodies_with_a_good_signature_are_422(client, container, raw):
    fo_id, _ = shipped(client, container)
    before = fo_status(container, fo_id)
    response = client.post("/api/v1/tracking/sim", content=raw,
                           headers={"X-Ordermesh-Signature": sign(raw), **JSON})
    problem = is_problem(response, 422)
    assert problem["code"] == "invalid-input" and problem["errors"], problem
    assert fo_status(container, fo_id) == before


def test_a_webhook_for_a_carrier_without_a_secret_is_unauthenticated(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    number = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"),
                201)["parcels"][0]["tracking_number"]
    is_problem(post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")]),
               401)
    assert fo_status(container, fo_id) == "label_created"


def test_an_event_of_another_carrier_account_does_not_move_our_parcel(client, container):
    fo_id, (number,) = shipped(client, container)
    make_carrier(client, "other")
    result = ok(post_webhook(client, "other", [event(number, "DLV", "2026-12-01T13:00:00Z")]))
    assert result["ignored"] == 1
    assert fo_status(container, fo_id) == "label_created"


# --- on time in the carrier's time zone ------------------------------------------------

def test_a_delivery_late_in_the_evening_of_the_promised_day_local_time_is_on_time(
        client, container):
    ready_shop(client, container)
    make_carrier(client, "sim", timezone="America/New_York")
    fo_id = packed_fo(client, container)  # released Thu 26 Nov 07:00 in New York
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    assert shipment["promised_date"] == "2026-12-01"
    number = shipment["parcels"][0]["tracking_number"]
    # 22:30 on 1 December in New York is 03:30 UTC on 2 December
    container.clock.set(LATER)  # the carrier reports after the events
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-02T03:30:00Z")]))
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["on_time"], shipment["days_late"]) == (True, 0)
    [measured] = all_events(client, "fulfilment.delivery_measured")
    assert measured["payload"]["delivered_on"] == "2026-12-01"
    perf = ok(client.get("/api/v1/delivery-performance",
                         params={"from": "2026-12-02", "to": "2026-12-02"}))["items"]
    assert [(i["key"], i["delivered"], i["on_time"]) for i in perf] == [("sim", 1, 1)]


def test_a_delivery_just_after_local_midnight_is_one_day_late(client, container):
    ready_shop(client, container)
    make_carrier(client, "sim", timezone="Europe/Berlin")
    fo_id = packed_fo(client, container)
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    number = shipment["parcels"][0]["tracking_number"]
    # 23:30 UTC on 1 December is 00:30 on 2 December in Berlin
    container.clock.set(LATER)  # the carrier reports after the events
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-01T23:30:00Z")]))
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["on_time"], shipment["days_late"]) == (False, 1)


# --- polling and the promise watch -------------------------------------------------------

def test_a_damage_postal_code_moves_the_polled_fulfilment_order_to_damaged(
        client, container, clock):
    ready_shop(client, container)
    make_carrier(client, "sim", damage_postal_codes=["66666"])
    fo_id = packed_fo(client, container, address={**ADDRESS, "postal_code": "666 66"})
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    clock.set(datetime(2026, 11, 30, 18, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "in_transit"
    clock.set(datetime(2026, 12, 1, 6, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "damaged"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert shipment["status"] == "damaged" and shipment["delivered_at"] is None
    damaged = all_events(client, "fulfilment.damaged")
    assert [e["payload"]["details"]["carrier_status"] for e in damaged] == ["DMG"]
    clock.set(datetime(2026, 12, 2, 1, tzinfo=UTC))
    assert SlaWatch().run_once(container) == 1  # not delivered by the promised date
    clock.set(datetime(2026, 12, 3, 1, tzinfo=UTC))
    assert SlaWatch().run_once(container) == 0
    assert len(all_events(client, "fulfilment.late")) == 1


def test_a_delayed_and_failing_delivery_is_polled_to_returned_to_sender_and_late(
        client, container, clock):
    ready_shop(client, container)
    make_carrier(client, "sim", delay_days=1, fail_postal_codes=["99999"])
    fo_id = packed_fo(client, container, address={**ADDRESS, "postal_code": "99999"})
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    clock.set(datetime(2026, 12, 1, 18, tzinfo=UTC))  # promised day: one day of delay
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "in_transit"
    clock.set(datetime(2026, 12, 2, 14, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "delivery_failed"
    clock.set(datetime(2026, 12, 4, 11, tzinfo=UTC))
    TrackingPoll().run_once(container)
    assert fo_status(container, fo_id) == "returned_to_sender"
    for day in (5, 6):
        clock.set(datetime(2026, 12, day, 1, tzinfo=UTC))
        SlaWatch().run_once(container)
    assert len(all_events(client, "fulfilment.late")) == 1


def test_the_sla_watch_raises_at_risk_and_late_once_across_fresh_runs(client, container, clock):
    ready_shop(client, container)
    fo_id = fulfilment_order(client, place(client, 1))  # ship by Thu 26 Nov 16:00 UTC
    for hour in (16, 17, 23):
        clock.set(datetime(2026, 11, 26, hour, tzinfo=UTC))
        SlaWatch().run_once(container)
    assert [e["aggregate_id"] for e in all_events(client, "fulfilment.at_risk")] == [fo_id]
    for day in (2, 3, 4):
        clock.set(datetime(2026, 12, day, 0, 0, tzinfo=UTC))
        SlaWatch().run_once(container)
    assert [e["aggregate_id"] for e in all_events(client, "fulfilment.late")] == [fo_id]
    assert len(all_events(client, "fulfilment.at_risk")) == 1


def test_a_fulfilment_order_handed_over_before_the_cut_off_is_never_at_risk(client, container,
                                                                        clock):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    clock.set(datetime(2026, 11, 26, 17, tzinfo=UTC))
    assert SlaWatch().run_once(container) == 0
    assert all_events(client, "fulfilment.at_risk") == []


def test_a_shipment_late_only_by_the_carriers_local_midnight_is_late_then(client, container,
                                                                          clock):
    ready_shop(client, container)
    make_carrier(client, "sim", timezone="America/New_York")
    fo_id = packed_fo(client, container)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)  # promised 1 Dec
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    clock.set(datetime(2026, 12, 2, 4, 59, tzinfo=UTC))  # 23:59 on 1 Dec in New York
    assert SlaWatch().run_once(container) == 0
    clock.set(datetime(2026, 12, 2, 5, 0, tzinfo=UTC))
    assert SlaWatch().run_once(container) == 1
    assert [e["aggregate_id"] for e in all_events(client, "fulfilment.late")] == [fo_id]


@pytest.mark.parametrize("params", [
    {"group_by": ""}, {"group_by": "CARRIER"}, {"from": "2026-13-01"}, {"to": "yesterday"},
    {"from": "2026-12-02", "to": "2026-12-01"},
])
def test_delivery_performance_refuses_bad_parameters(client, params):
    problem = is_problem(client.get("/api/v1/delivery-performance", params=params), 422)
    named = {e["field"].removeprefix("query.") for e in problem.get("errors", [])}
    assert named & set(params), problem  # names a parameter that was sent


# --- packing ---------------------------------------------------------------------------

def test_packing_units_of_a_cancelled_line_is_refused_and_changes_nothing(client, container):
    packing_shop(client, {"BOOK": BOOK, "BIG": BIG})
    order, fo_id = picked_order(client, container, [("BOOK", 1), ("BIG", 1)])
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 2, "quantity": 1}]}))
    serial = ok(client.get("/api/v1/sscc-settings"))["next_serial"]
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 2, "quantity": 1}]}]})
    problem = is_problem(response, 422)
    assert problem["errors"][0]["code"] == "more_than_picked"
    assert ok(client.get("/api/v1/sscc-settings"))["next_serial"] == serial
    assert stock_at(client, "PKG-BOX-M") == 20
    assert all_events(client, "package.created") == []
    done = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    assert done["complete"] and done["fulfilment_order_status"] == "packed"
    assert [ln for p in done["packages"] for ln in p["lines"]] == [{"line_no": 1,
                                                                   "quantity": 1}]


@pytest.mark.parametrize("lines", [
    [{"line_no": 1, "quantity": 0}],
    [{"line_no": 1, "quantity": -1}],
    [{"line_no": 0, "quantity": 1}],
    [{"line_no": 1, "quantity": "1"}],
    [{"line_no": 1, "quantity": 1.0}],
    [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 1}],  # 2 > 1 picked
    [],
])
def test_bad_package_lines_are_refused_and_change_nothing(client, container, lines):
    packing_shop(client, {"BOOK": BOOK})
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    serial = ok(client.get("/api/v1/sscc-settings"))["next_serial"]
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-S", "lines": lines}]})
    is_problem(response, 422)
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []
    assert ok(client.get("/api/v1/sscc-settings"))["next_serial"] == serial
    assert stock_at(client, "PKG-BOX-S") == 20
    assert all_events(client, "package.created") == []


def test_two_hazmat_products_may_not_share_a_package(client, container):
    packing_shop(client, {"CELL": {"weight_grams": 100, "handling": ["hazmat"],
                                   "dimensions": {"length_mm": 50, "width_mm": 50,
                                                  "height_mm": 50}},
                          "SPRAY": {"weight_grams": 100, "handling": ["hazmat"],
                                    "dimensions": {"length_mm": 50, "width_mm": 50,
                                                   "height_mm": 50}}})
    _, fo_id = picked_order(client, container, [("CELL", 1), ("SPRAY", 1)])
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "DG-4G", "lines": [{"line_no": 1, "quantity": 1},
                                                           {"line_no": 2, "quantity": 1}]}]})
    is_problem(response, 422)
    bare = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1}]}]})
    is_problem(bare, 422)
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []


def test_packing_after_the_fulfilment_order_shipped_is_refused(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={})
    problem = is_problem(response, 409)
    assert problem["code"] == "illegal-transition"


def test_the_last_box_in_stock_is_consumed_and_a_stock_out_is_signalled(client, container):
    packing_shop(client, {"BIG": BIG}, boxes_in_stock=1)
    _, fo_id = picked_order(client, container, [("BIG", 1)])
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]}]}),
       201)
    assert stock_at(client, "PKG-BOX-M") == 0
    outs = [e for e in all_events(client, "inventory.stock_out")
            if e["payload"]["sku"] == "PKG-BOX-M"]
    assert len(outs) == 1


def test_packing_with_too_few_boxes_but_allowed_shortage_records_the_missing_one(
        client, container):
    packing_shop(client, {"BIG": BIG}, boxes_in_stock=1)
    _, fo_id = picked_order(client, container, [("BIG", 2)])
    body = {"packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]},
                         {"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]}]}
    refused = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=body)
    problem = is_problem(refused, 409)
    assert (problem["sku"], problem["wanted"], problem["available"]) == ("PKG-BOX-M", 2, 1)
    assert stock_at(client, "PKG-BOX-M") == 1
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages",
                            json={**body, "allow_packaging_shortage": True}), 201)
    assert sorted(p["packaging_shortfall"] for p in packed["packages"]) == [0, 1]
    assert stock_at(client, "PKG-BOX-M") == 0
    [consumed] = all_events(client, "packaging.consumed")
    assert (consumed["payload"]["quantity"], consumed["payload"]["shortfall"]) == (1, 1)


@pytest.mark.parametrize("body", [
    {"company_prefix": "401234"},
    {"company_prefix": "40123456789"},
    {"company_prefix": "40l2345"},
    {"company_prefix": 4012345},
    {"company_prefix": "4012345", "extension_digit": 10},
    {"company_prefix": "4012345", "extension_digit": -1},
    {"company_prefix": "4012345", "extension_digit": "3"},
    {"company_prefix": "4012345", "next_serial": -1},
    {"company_prefix": "4012345", "serial_limit": 1_000_000_000},
    {"company_prefix": "4012345", "next_serial": 12, "serial_limit": 10},
    {"company_prefix": "4012345", "next_serial": 10, "serial_limit": 20},  # backwards: 409
    {"company_prefix": "4012345", "serial_limit": 50},  # below serials handed out: 409
])
def test_bad_sscc_settings_are_refused_and_change_nothing(client, body):
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                 "extension_digit": 0, "next_serial": 100}))
    before = ok(client.get("/api/v1/sscc-settings"))
    changed = len(all_events(client, "packing.sscc_settings_changed"))
    response = client.put("/api/v1/sscc-settings", json=body)
    assert response.status_code in (409, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ok(client.get("/api/v1/sscc-settings")) == before
    assert len(all_events(client, "packing.sscc_settings_changed")) == changed


def test_the_very_last_serial_of_the_range_is_used_then_packing_is_refused(client, container):
    packing_shop(client, {"BOOK": BOOK})
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                 "extension_digit": 3,
                                                 "next_serial": 999_999_999}))
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    one = {"packages": [{"packaging_code": "BOX-S", "lines": [{"line_no": 1, "quantity": 1}]}]}
    first = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=one), 201)
    assert first["packages"][0]["sscc"][:17] == "34012345999999999"
    assert ok(client.get("/api/v1/sscc-settings"))["remaining"] == 0
    refused = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=one)
    problem = is_problem(refused, 409)
    assert problem["remaining"] == 0 and problem["needed"] == 1
    assert stock_at(client, "PKG-BOX-S") == 19
    assert len(all_events(client, "package.created")) == 1


# --- labels and slips ---------------------------------------------------------------------

def test_labels_and_slips_of_unknown_ids_are_not_found(client, container):
    packing_shop(client, {"BOOK": BOOK})
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    is_problem(client.get("/api/v1/packages/pkg_nope/label.pdf"), 404)
    is_problem(client.get("/api/v1/fulfilment-orders/fo_nope/packing-slip.pdf"), 404)
    is_problem(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-slip.pdf"), 404)
    is_problem(client.get("/api/v1/fulfilment-orders/fo_nope/packing-proposal"), 404)
    is_problem(client.post("/api/v1/fulfilment-orders/fo_nope/packages", json={}), 404)


def test_a_label_before_booking_has_only_the_sscc_and_after_booking_the_tracking_number(
        client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    [package] = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]
    before = client.get(package["label_url"])
    assert before.status_code == 200 and before.content.startswith(b"%PDF")
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    after = client.get(package["label_url"])
    assert after.status_code == 200 and after.content != before.content
    number = shipment["parcels"][0]["tracking_number"]
    assert ok(client.get(f"/api/v1/packages/{package['id']}"))["tracking_number"] == number


def test_the_label_and_slip_of_a_3pl_package_without_sscc_are_pdfs(client, container):
    ready_shop(client, container, locations=("tpl",), kind="3pl")
    fo_id = fulfilment_order(client, place(client, 1))
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/3pl/shipped", json={"packages": [
        {"tracking_number": "3PL-0001", "lines": [{"line_no": 1, "quantity": 1}]}]}))
    [package] = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]
    assert package["sscc"] is None
    label = client.get(package["label_url"])
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    slip = client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-slip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


# --- more -------------------------------------------------------------------------------

class _CarrierDown:
    """A carrier whose tracking API is unreachable (every other call behaves as `sim`)."""

    def __init__(self, settings):
        from ordermesh.shipping.simulated import SimulatedCarrier

        self._sim = SimulatedCarrier.from_settings(settings)
        self.calendar = self._sim.calendar

    def services(self):
        return self._sim.services()

    def quote(self, shipment):
        return self._sim.quote(shipment)

    def book(self, shipment, idempotency_key=None):
        return self._sim.book(shipment, idempotency_key)

    def normalise(self, code):
        return self._sim.normalise(code)

    def track(self, parcel, now):
        raise ConnectionError("carrier API unreachable")


def test_one_carrier_whose_tracking_api_is_down_does_not_stop_polling_of_the_others(
        client, container, clock):
    from ordermesh.shipping import carriers

    carriers.register("review-down", _CarrierDown)
    try:
        ready_shop(client, container)
        ok(client.post("/api/v1/carriers", json={"code": "down", "name": "Down",
                                                 "adapter": "review-down"}), 201)
        broken = packed_fo(client, container, quantity=1)
        ok(client.post(f"/api/v1/fulfilment-orders/{broken}/ship",
                       json={"carrier": "down"}), 201)
        healthy = packed_fo(client, container, quantity=1)
        ok(client.post(f"/api/v1/fulfilment-orders/{healthy}/ship"), 201)
        clock.set(datetime(2026, 12, 1, 18, tzinfo=UTC))
        for _ in range(3):
            with contextlib.suppress(ConnectionError):  # the worker logs it and goes on
                TrackingPoll().run_once(container)
            clock.advance(timedelta(hours=1))
        assert fo_status(container, healthy) == "delivered"
    finally:
        carriers._REGISTRY.pop("review-down", None)


def test_two_packers_packing_the_same_fulfilment_order_at_once_pack_it_once(client,
                                                                            container):
    packing_shop(client, {"BOOK": BOOK})
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    results = []

    def pack() -> None:
        results.append(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}))

    threads = [threading.Thread(target=pack) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
    packages = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]
    assert sum(ln["quantity"] for p in packages for ln in p["lines"]) == 2
    assert len(all_events(client, "fulfilment.packed")) == 1


@pytest.mark.parametrize("body", [
    {"max_weight_g": 100},  # not more than its own weight (150 g)
    {"own_weight_g": 5000},
    {"material_sku": "NOPE"},
    {"length_mm": 0},
    {"handling": ["bubbly"]},
    {"cost": {"amount": "-1", "currency": "EUR"}},
    {"cost": {"amount": "0.001", "currency": "EUR"}},
    {"code": "RENAMED"},
])
def test_a_bad_packaging_type_change_is_refused_and_changes_nothing(client, body):
    packing_shop(client, {"BOOK": BOOK})
    before = ok(client.get("/api/v1/packaging-types/BOX-S"))
    is_problem(client.patch("/api/v1/packaging-types/BOX-S", json=body), 422)
    assert ok(client.get("/api/v1/packaging-types/BOX-S")) == before
    assert all_events(client, "packaging_type.updated") == []


def test_changing_an_unknown_packaging_type_or_hazmat_mark_is_not_found(client):
    is_problem(client.patch("/api/v1/packaging-types/NOPE", json={"name": "x"}), 404)
    is_problem(client.put("/api/v1/hazmat-marks/NOPE", json={"mark": "UN1234"}), 404)


def test_shipping_with_an_inactive_carrier_is_refused_and_uses_no_booking_number(client,
                                                                                container):
    ready_shop(client, container)
    make_carrier(client, "acme")
    ok(client.patch("/api/v1/carriers/acme", json={"active": False}))
    fo_id = packed_fo(client, container)
    is_problem(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                           json={"carrier": "acme"}), 422)
    assert fo_status(container, fo_id) == "packed"
    ok(client.patch("/api/v1/carriers/acme", json={"active": True}))
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                              json={"carrier": "acme"}), 201)
    assert shipment["label_reference"] == "SIMLBL-00000001"


def test_a_booked_fulfilment_order_not_handed_over_by_the_cut_off_is_at_risk(
        client, container, clock):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)  # labels, no hand-over
    clock.set(datetime(2026, 11, 26, 17, tzinfo=UTC))
    assert SlaWatch().run_once(container) == 1
    assert [e["aggregate_id"] for e in all_events(client, "fulfilment.at_risk")] == [fo_id]
