"""Shipping a packed fulfilment order: booking, tracking numbers, pick-up, shipped."""

from __future__ import annotations

from datetime import date

from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.promise import promise_for
from ordermesh.shipping.simulated import valid_tracking_number
from tests.helpers import ok
from tests.shipping_helpers import ADDRESS, make_carrier, packed_fo, place, ready_shop

# The test clock starts on Thursday 2026-11-26 12:00 UTC.


def events_of(client, type_: str) -> list[dict]:
    items = ok(client.get("/api/v1/events", params={"limit": 500}))["items"]
    return [e for e in items if e["type"] == type_]


def test_promise_uses_the_locations_processing_days_and_the_simulated_service(
        client, container):
    locations = ready_shop(client, container)
    loc = locations["ber"]["id"]
    with UnitOfWork(container.engine, container.clock) as uow:
        standard = promise_for(uow, loc, ADDRESS, "standard", "ship", container.clock.now())
        express = promise_for(uow, loc, ADDRESS, "express", "ship", container.clock.now())
        pickup = promise_for(uow, loc, None, "standard", "pickup", container.clock.now())
    assert (standard.carrier, standard.service) == ("sim", "sim-standard")
    assert (standard.ship_by, standard.promised_date) == (date(2026, 11, 26), date(2026, 12, 1))
    assert (express.service, express.promised_date) == ("sim-express", date(2026, 11, 27))
    assert (pickup.carrier, pickup.ship_by, pickup.promised_date) == (
        "pickup", date(2026, 11, 26), date(2026, 11, 26))
    ok(client.patch(f"/api/v1/locations/{loc}", json={"fulfilment": {"processing_days": 1}}))
    with UnitOfWork(container.engine, container.clock) as uow:
        later = promise_for(uow, loc, ADDRESS, "standard", "ship", container.clock.now())
    assert (later.ship_by, later.promised_date) == (date(2026, 11, 27), date(2026, 12, 2))


def test_booking_gives_a_tracking_number_per_package_and_the_hand_over_ships_the_order(
        client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container, quantity=3, split=[2, 1])
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                              headers={"Idempotency-Key": "ship-1"}), 201)
    assert shipment["carrier"] == "sim" and shipment["service"] == "sim-standard"
    numbers = [p["tracking_number"] for p in shipment["parcels"]]
    assert len(numbers) == 2 and all(valid_tracking_number(n) for n in numbers)
    assert numbers == ["SIM00000001016", "SIM00000001024"]
    assert shipment["pickup"] == {"start": "2026-11-26T14:00:00Z",
                                  "end": "2026-11-26T16:00:00Z"}
    assert shipment["promised_date"] == "2026-12-01"
    with UnitOfWork(container.engine, container.clock) as uow:
        from ordermesh.fulfilment.service import get_fulfilment_order
        from ordermesh.packing.service import packages_for

        fo = get_fulfilment_order(uow, fo_id)
        assert fo.status == "label_created"
        assert sorted(p.tracking_number for p in packages_for(uow, fo_id)) == numbers
        order_id = fo.order_id
    assert ok(client.get(f"/api/v1/orders/{order_id}"))["status"] == "processing"
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    order = ok(client.get(f"/api/v1/orders/{order_id}"))
    assert order["status"] == "shipped"
    again = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                           headers={"Idempotency-Key": "ship-1"}), 201)
    assert again["id"] == shipment["id"]
    booked = events_of(client, "shipment.booked")
    assert len(booked) == 1 and booked[0]["payload"]["tracking_numbers"] == numbers


def test_shipping_twice_or_before_packing_is_refused_and_changes_nothing(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    again = client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship")
    assert again.status_code == 409
    order = place(client, 1)
    from tests.shipping_helpers import fulfilment_order

    unpacked = fulfilment_order(client, order)
    refused = client.post(f"/api/v1/fulfilment-orders/{unpacked}/ship")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/fulfilment-orders/{unpacked}/shipment").status_code == 404
    assert len(events_of(client, "shipment.booked")) == 1


def test_an_unknown_service_or_carrier_is_refused(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container)
    bad = client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", json={"service": "warp"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["service"]
    nope = client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", json={"carrier": "nope"})
    assert nope.status_code == 404
    assert "nope" in nope.json()["detail"]
    assert client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment").status_code == 404
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"] == "packed"


def test_a_configured_carrier_account_books_express_with_its_own_sequence(client, container):
    ready_shop(client, container)
    make_carrier(client, "fastco", timezone="Europe/Berlin")
    fo_id = packed_fo(client, container)
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                              json={"carrier": "fastco", "service": "sim-express"}), 201)
    assert shipment["carrier"] == "fastco"
    # 12:00 UTC is 13:00 in Berlin: before the 14:00 express cut-off there.
    assert shipment["pickup"]["end"] == "2026-11-26T13:00:00Z"
    # the account's code and its own booking sequence (1): no number of another account
    assert shipment["parcels"][0]["tracking_number"].startswith("FASTCO0000000101")


def test_carrier_accounts_never_show_their_webhook_secret(client, container):
    created = make_carrier(client, "acme", delay_days=2)
    assert "webhook_secret" not in created and created["has_webhook_secret"] is True
    listed = ok(client.get("/api/v1/carriers"))["items"]
    assert [c["code"] for c in listed] == ["sim", "acme"] or \
        sorted(c["code"] for c in listed) == ["acme", "sim"]
    assert all("webhook_secret" not in c for c in listed)
    patched = ok(client.patch("/api/v1/carriers/acme", json={
        "settings": {"delay_days": 1, "api_key": "k-123"}, "active": False}))
    assert patched["settings"] == {"delay_days": 1, "api_key": "***"}
    assert patched["active"] is False
    assert client.post("/api/v1/carriers", json={
        "code": "acme", "name": "again"}).status_code == 409
    bad = client.post("/api/v1/carriers", json={"code": "zz", "name": "Z",
                                               "settings": {"timezone": "Mars/Base"}})
    assert bad.status_code == 422
    assert client.post("/api/v1/carriers", json={"code": "yy", "name": "Y",
                                                 "adapter": "ups"}).status_code == 422
    assert client.patch("/api/v1/carriers/acme", json={
        "settings": {"delay_days": -1}}).status_code == 422


def test_rates_are_quoted_per_service_for_the_packages(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container, quantity=3, split=[2, 1])
    quotes = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/rates"))
    assert quotes["carrier"] == "sim"
    # two packages of 800 g and 400 g: 2 x base + 2 x 1 started kg, domestic
    assert {q["service"]: q["price"] for q in quotes["items"]} == {
        "sim-express": "23.80", "sim-standard": "11.80", "sim-economy": "8.20"}
    assert all(q["currency"] == "EUR" for q in quotes["items"])
