"""The tracking webhook: signatures, normalisation, dedupe, ordering, fulfilment statuses."""

from __future__ import annotations

from datetime import UTC, datetime

from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.tracking import events_for
from tests.helpers import ok
from tests.shipping_helpers import (
    fo_status,
    make_carrier,
    post_webhook,
    ready_shop,
    sign,
)
from tests.shipping_helpers import shipped as booked

# The carrier reports after the fact: these tests read at a time after every event they
# send (an event dated after its arrival is parked, see test_tracking_plausibility.py).
AFTER_THE_EVENTS = datetime(2026, 12, 10, tzinfo=UTC)

JSON = {"Content-Type": "application/json"}


def event(number: str, status: str, at: str, event_id: str | None = None) -> dict:
    return {"event_id": event_id or f"{number}-{status}-{at}", "tracking_number": number,
            "status": status, "occurred_at": at, "description": f"{status} at hub",
            "location": "Berlin"}


def shipped(client, container, **kwargs) -> tuple[str, list[str]]:
    shipment = booked(client, container, **kwargs)
    container.clock.set(AFTER_THE_EVENTS)
    return shipment


def stored(container, fo_id: str) -> list[dict]:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return events_for(uow, [fo_id])[fo_id]


def test_a_signed_event_moves_the_fulfilment_order_and_shows_on_the_timeline(client,
                                                                              container):
    fo_id, (number,) = shipped(client, container)
    result = ok(post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")]))
    assert result == {"stored": 1, "duplicates": 0, "ignored": 0, "moved": 1, "parked": 0,
                      "parked_events": []}
    assert fo_status(container, fo_id) == "in_transit"
    (timeline,) = stored(container, fo_id)
    assert (timeline["status"], timeline["carrier_status"], timeline["source"]) == (
        "in_transit", "DEP", "webhook")
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    tracking = [e for e in fo["timeline"] if e["type"] == "tracking"]
    assert [(e["status"], e["details"]["tracking_number"]) for e in tracking] == [
        ("in_transit", number)]


def test_a_tampered_or_unsigned_webhook_is_refused_and_nothing_is_stored(client, container):
    fo_id, (number,) = shipped(client, container)
    body = [event(number, "DLV", "2026-12-01T13:00:00Z")]
    wrong_secret = post_webhook(client, "sim", body, secret="another-secret-0123456789")
    assert wrong_secret.status_code == 401
    assert wrong_secret.headers["content-type"] == "application/problem+json"
    assert post_webhook(client, "sim", body, signature=None).status_code == 401
    assert post_webhook(client, "sim", body, signature="sha256=00").status_code == 401
    raw = b'{"events": []}'
    tampered = client.post("/api/v1/tracking/sim", content=raw.replace(b"[]", b"[{}]"),
                           headers={"X-Ordermesh-Signature": sign(raw), **JSON})
    assert tampered.status_code == 401
    assert stored(container, fo_id) == []
    assert fo_status(container, fo_id) == "label_created"


def test_the_webhook_needs_no_api_key_but_an_unknown_carrier_is_refused(client, container):
    _fo_id, (number,) = shipped(client, container)
    raw = b'{"events": [{"event_id": "e1", "tracking_number": "%s", "status": "DEP", ' \
          b'"occurred_at": "2026-11-26T19:00:00Z"}]}' % number.encode()
    anonymous = client.post("/api/v1/tracking/sim", content=raw, headers={
        "Authorization": "", "X-Ordermesh-Signature": sign(raw), **JSON})
    assert anonymous.status_code == 200, anonymous.text
    assert post_webhook(client, "nobody", []).status_code == 401


def test_an_unknown_carrier_status_is_refused_and_nothing_is_stored(client, container):
    fo_id, (number,) = shipped(client, container)
    refused = post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z"),
                                           event(number, "TELEPORTED", "2026-11-26T20:00:00Z")])
    assert refused.status_code == 422
    assert refused.json()["code"] == "unknown-carrier-status"
    assert stored(container, fo_id) == []
    assert fo_status(container, fo_id) == "label_created"


def test_a_duplicate_event_is_ignored(client, container):
    fo_id, (number,) = shipped(client, container)
    body = [event(number, "DEP", "2026-11-26T19:00:00Z", "evt-1")]
    ok(post_webhook(client, "sim", body))
    again = ok(post_webhook(client, "sim", body))
    assert again == {"stored": 0, "duplicates": 1, "ignored": 0, "moved": 0, "parked": 0,
                      "parked_events": []}
    assert len(stored(container, fo_id)) == 1


def test_an_event_for_an_unknown_tracking_number_is_accepted_and_ignored(client, container):
    _fo_id, _ = shipped(client, container)
    result = ok(post_webhook(client, "sim", [event("SIM99999999999", "DLV",
                                                   "2026-12-01T13:00:00Z")]))
    assert result["ignored"] == 1 and result["stored"] == 0


def test_an_older_event_arriving_late_does_not_move_the_status_backwards(client, container):
    fo_id, (number,) = shipped(client, container)
    ok(post_webhook(client, "sim", [event(number, "OFD", "2026-12-01T08:00:00Z")]))
    assert fo_status(container, fo_id) == "out_for_delivery"
    late = ok(post_webhook(client, "sim", [event(number, "DEP", "2026-11-26T19:00:00Z")]))
    assert late == {"stored": 1, "duplicates": 0, "ignored": 0, "moved": 0, "parked": 0,
                      "parked_events": []}
    assert fo_status(container, fo_id) == "out_for_delivery"
    timeline = stored(container, fo_id)
    assert [(e["carrier_status"], e["applied"]) for e in timeline] == [
        ("DEP", False), ("OFD", True)]
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"


def test_events_in_one_batch_are_applied_in_carrier_time_order(client, container):
    fo_id, (number,) = shipped(client, container)
    ok(post_webhook(client, "sim", [event(number, "DLV", "2026-12-01T13:00:00Z"),
                                    event(number, "OFD", "2026-12-01T08:00:00Z"),
                                    event(number, "DEP", "2026-11-26T19:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"


def test_a_fulfilment_order_of_two_parcels_is_delivered_with_the_second_one(client, container):
    fo_id, numbers = shipped(client, container, quantity=2, split=[1, 1])
    first, second = numbers
    ok(post_webhook(client, "sim", [event(first, "DLV", "2026-12-01T11:00:00Z"),
                                    event(second, "OFD", "2026-12-01T08:00:00Z")]))
    assert fo_status(container, fo_id) == "out_for_delivery"
    ok(post_webhook(client, "sim", [event(second, "DLV", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["status"], shipment["on_time"], shipment["days_late"]) == (
        "delivered", True, 0)


def test_a_failed_delivery_then_a_return_to_sender(client, container):
    fo_id, (number,) = shipped(client, container)
    ok(post_webhook(client, "sim", [event(number, "NDL", "2026-12-01T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivery_failed"
    ok(post_webhook(client, "sim", [event(number, "RTS", "2026-12-03T10:00:00Z")]))
    assert fo_status(container, fo_id) == "returned_to_sender"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert shipment["status"] == "returned_to_sender" and shipment["delivered_at"] is None


def test_a_malformed_body_with_a_good_signature_is_invalid_input(client, container):
    fo_id, _ = shipped(client, container)
    raw = b'{"events": [{"tracking_number": "x"}]}'
    response = client.post("/api/v1/tracking/sim", content=raw,
                           headers={"X-Ordermesh-Signature": sign(raw), **JSON})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"]: e["code"] for e in response.json()["errors"]} == {
        "events.0.event_id": "missing", "events.0.status": "missing",
        "events.0.occurred_at": "missing"}
    raw = b'not json'
    response = client.post("/api/v1/tracking/sim", content=raw,
                           headers={"X-Ordermesh-Signature": sign(raw), **JSON})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body", "message": "the body is not JSON", "code": "invalid"}]
    assert stored(container, fo_id) == []


def test_the_same_event_delivered_concurrently_is_stored_and_applied_once(client, container):
    from concurrent.futures import ThreadPoolExecutor

    fo_id, (number,) = shipped(client, container)
    body = [event(number, "DLV", "2026-12-01T13:00:00Z", "evt-race")]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: post_webhook(client, "sim", body), range(6)))
    assert [r.status_code for r in results] == [200] * 6
    assert sorted(r.json()["stored"] for r in results) == [0, 0, 0, 0, 0, 1]
    assert len(stored(container, fo_id)) == 1
    assert fo_status(container, fo_id) == "delivered"
    delivered = [e for e in ok(client.get("/api/v1/events", params={"limit": 500}))["items"]
                 if e["type"] == "fulfilment.delivered"]
    assert len(delivered) == 1


def test_a_3pl_shipment_recorded_here_is_tracked_like_our_own(client, container):
    from ordermesh.packing.service import packages_for
    from ordermesh.shipping.service import record_external_shipment
    from tests.shipping_helpers import fulfilment_order, place

    ready_shop(client, container, locations=("tpl",), kind="3pl")
    make_carrier(client, "sim")
    order = place(client, 1)
    fo_id = fulfilment_order(client, order)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/3pl/shipped", json={"packages": [
        {"tracking_number": "SIM00000099990", "carrier": "sim",
         "lines": [{"line_no": 1, "quantity": 1}]}]}))
    with UnitOfWork(container.engine, container.clock) as uow:  # no account: not followed
        numbers = {p.id: p.tracking_number for p in packages_for(uow, fo_id)}
        assert record_external_shipment(uow, fo_id, "nobody", numbers) is None
    container.clock.set(AFTER_THE_EVENTS)
    ok(post_webhook(client, "sim", [event("SIM00000099990", "DLV", "2026-11-30T13:00:00Z")]))
    assert fo_status(container, fo_id) == "delivered"
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert (shipment["on_time"], shipment["label_reference"]) == (True, "external")
