"""Carrier events dated in the future are parked for review and then released or
discarded; each step writes exactly its declared events (tests/event_contract.py), and a
refused one writes none."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.fulfilment_helpers import order_of
from tests.helpers import ok
from tests.shipping_helpers import fo_status, post_webhook, shipped

FO = "/api/v1/fulfilment-orders"
PARKED = "/api/v1/tracking-events/parked"


def _handed_over(client, container) -> tuple[str, str]:
    fo_id, (number,) = shipped(client, container)
    ok(client.post(f"{FO}/{fo_id}/handover", json={}))
    assert fo_status(container, fo_id) == "shipped"
    return fo_id, number


def _tracking(number: str, status: str, at: str) -> dict:
    return {"event_id": f"{number}-{status}", "tracking_number": number, "status": status,
            "occurred_at": at, "description": status, "location": "Berlin"}


def _send(client, number: str, status: str, at: str) -> dict:
    """A carrier event dated more than 15 minutes after the clock's now: accepted (202)
    but parked."""
    return ok(post_webhook(client, "sim", [_tracking(number, status, at)]), 202)


def _parked_id(answer: dict, written: list[dict], at: str) -> str:
    assert (answer["parked"], answer["moved"]) == (1, 0)
    [parked] = answer["parked_events"]
    event = of_type(written, "tracking.event_parked")["payload"]
    assert (event["id"], event["occurred_at"]) == (parked["id"], at.replace("Z", "+00:00"))
    return parked["id"]


def test_a_parked_tracking_event_is_released_once_its_time_has_come(
        client, container, clock):
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    fo_id, number = _handed_over(client, container)
    at = "2026-11-27T10:00:00Z"
    answer, written = assert_writes(client, "tracking.park",
                                    lambda: _send(client, number, "DEP", at))
    event_id = _parked_id(answer, written, at)
    assert fo_status(container, fo_id) == "shipped"  # a parked event moves nothing
    assert [e["id"] for e in ok(client.get(PARKED))["items"]] == [event_id]
    early = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/tracking-events/{event_id}/release"))
    assert early.status_code == 409  # still dated in the future
    assert fo_status(container, fo_id) == "shipped"
    clock.set(datetime(2026, 11, 27, 10, 30, tzinfo=UTC))
    released, written = assert_writes(client, "tracking.release", lambda: ok(client.post(
        f"/api/v1/tracking-events/{event_id}/release")))
    assert (released["review"], released["applied"]) == ("released", True)
    assert of_type(written, "tracking.event_released")["payload"]["moved"] is True
    assert of_type(written, "fulfilment.in_transit")["aggregate_id"] == fo_id
    assert fo_status(container, fo_id) == "in_transit"
    assert ok(client.get(PARKED))["items"] == []
    again = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/tracking-events/{event_id}/release"))
    assert again.status_code == 409


def test_a_discarded_tracking_event_moves_nothing(client, container, clock):
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    fo_id, number = _handed_over(client, container)
    at = "2026-11-30T10:00:00Z"
    answer, written = assert_writes(client, "tracking.park",
                                    lambda: _send(client, number, "DLV", at))
    event_id = _parked_id(answer, written, at)
    discarded, written = assert_writes(client, "tracking.discard", lambda: ok(client.post(
        f"/api/v1/tracking-events/{event_id}/discard")))
    assert (discarded["review"], discarded["applied"]) == ("discarded", False)
    assert of_type(written, "tracking.event_discarded")["payload"]["id"] == event_id
    assert ok(client.get(PARKED))["items"] == []
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))  # even once its time has come
    refused = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/tracking-events/{event_id}/release"))
    assert refused.status_code == 409
    assert fo_status(container, fo_id) == "shipped"
    assert of_type(written, "tracking.event_discarded")["payload"][
        "fulfilment_order_id"] == fo_id
    assert order_of(client, ok(client.get(f"{FO}/{fo_id}"))["order_id"])["status"] == \
        "shipped"
