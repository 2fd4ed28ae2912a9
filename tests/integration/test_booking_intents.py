"""Carrier bookings go through intents, outside any transaction, against a carrier served
over real HTTP: a booking after which the carrier hangs, a deadlock rerun, a crash between
the call and the record and a carrier that does not answer never book twice, and a
timeout leaves nothing half-written."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from ordermesh.apikeys.service import ENV_ADMIN
from ordermesh.flows import booking, booking_calls
from ordermesh.flows.booking_calls import CarrierBookingResume
from ordermesh.http.deps import RequestContext
from ordermesh.kit.db import Transactions
from ordermesh.shipping import booking_intents
from ordermesh.shipping.tables import booking_intents as intents_table
from tests.carrier_server import add_http_carrier, running_carrier
from tests.helpers import ok
from tests.payment_gateway import DeadlockingFirstCommits
from tests.shipping_helpers import fo_status, packed_fo, ready_shop

POLICY = booking_intents.POLICY


@pytest.fixture
def carrier(client, container):
    with running_carrier() as running:
        ready_shop(client, container)
        add_http_carrier(client, running)
        yield running


def _ship(client, fo_id: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", headers=headers,
                       json={"carrier": "net"})


def _intents(uow) -> list:
    with uow(write=False) as u:
        return list(u.execute(select(intents_table).order_by(intents_table.c.seq)))


def _booked_events(client) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": "shipment.booked",
                                                  "limit": 200}))["items"]


def _nothing_recorded(client, container, fo_id: str) -> None:
    assert client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment").status_code == 404
    assert fo_status(container, fo_id) == "packed"
    packages = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]
    assert [p["tracking_number"] for p in packages] == [None] * len(packages)
    assert _booked_events(client) == []


def test_a_booking_through_the_http_carrier_records_the_shipment_and_closes_its_intent(
        client, container, uow, carrier):
    fo_id = packed_fo(client, container, split=[1, 1])
    shipment = ok(_ship(client, fo_id, "book-1"), 201)
    [label] = carrier.labels
    assert shipment["label_reference"] == label
    assert sorted(p["tracking_number"] for p in shipment["parcels"]) == [
        p["tracking_number"] for p in carrier.labels[label]["parcels"]]
    assert fo_status(container, fo_id) == "label_created"
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts, intent.fo_id) == ("succeeded", 1, fo_id)
    assert intent.shipment_id == shipment["id"]
    assert carrier.keys_sent() == [intent.carrier_key]
    assert ok(_ship(client, fo_id, "book-1"), 201)["id"] == shipment["id"]  # replayed
    assert len(carrier.labels) == 1


def test_a_carrier_that_books_then_hangs_books_once_when_the_request_is_retried(
        client, container, uow, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.append("book_then_hang")
    first = _ship(client, fo_id, "book-1")
    assert first.status_code == 503
    assert first.headers["Retry-After"]
    problem = first.json()
    assert problem["type"].endswith("booking-outcome-unknown")
    assert problem["intent_status"] == "unknown"
    assert len(carrier.labels) == 1  # booked, but we never heard it
    _nothing_recorded(client, container, fo_id)
    [intent] = _intents(uow)
    assert intent.id == problem["intent_id"]

    shipment = ok(_ship(client, fo_id, "book-1"), 201)
    assert len(carrier.labels) == 1
    assert shipment["label_reference"] == next(iter(carrier.labels))
    assert carrier.keys_sent() == [intent.carrier_key] * 2
    assert len(_booked_events(client)) == 1
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts) == ("succeeded", 2)


def test_a_request_without_the_key_finishes_the_open_booking_instead_of_booking_again(
        client, container, uow, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.append("book_then_hang")
    assert _ship(client, fo_id).status_code == 503
    shipment = ok(_ship(client, fo_id), 201)
    assert len(carrier.labels) == 1
    assert shipment["label_reference"] == next(iter(carrier.labels))
    assert len(set(carrier.keys_sent())) == 1
    assert another_service_is_refused_while_open(client, container, carrier)


def another_service_is_refused_while_open(client, container, carrier) -> bool:
    fo_id = packed_fo(client, container)
    carrier.faults.append("hang")
    assert _ship(client, fo_id).status_code == 503
    other = client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship",
                        json={"carrier": "net", "service": "sim-express"})
    assert other.status_code == 409
    assert other.json()["intent_status"] == "unknown"
    return True


def test_a_deadlock_rerun_of_either_transaction_books_once(client, container, uow, carrier):
    fo_id = packed_fo(client, container)
    runner = DeadlockingFirstCommits(lambda: uow(actor="api:shop"))
    shipment = booking.ship(runner, fo_id, "net", None)
    assert len(carrier.labels) == 1
    assert len(carrier.keys_sent()) == 1
    assert shipment.label_reference == next(iter(carrier.labels))
    assert [i.status for i in _intents(uow)] == ["succeeded"]
    assert len(_booked_events(client)) == 1
    assert fo_status(container, fo_id) == "label_created"


def _crash(*_args, **_kwargs):
    raise KeyboardInterrupt("the process stopped between the call and the record")


def test_a_crash_between_the_call_and_the_record_is_finished_by_the_worker(
        client, container, uow, clock, carrier, monkeypatch):
    fo_id = packed_fo(client, container)
    runner = Transactions(lambda: uow(actor="api:shop"))
    with monkeypatch.context() as patched:
        patched.setattr(booking_calls, "_recorded", _crash)
        with pytest.raises(KeyboardInterrupt):
            booking.ship(runner, fo_id, "net", None)
    assert len(carrier.labels) == 1
    _nothing_recorded(client, container, fo_id)
    [intent] = _intents(uow)
    assert intent.status == "pending"
    busy = _ship(client, fo_id)  # the crashed call's lease still holds
    assert busy.status_code == 409
    assert busy.json()["type"].endswith("booking-in-progress")

    job = CarrierBookingResume()
    assert job.run_once(container) == 0  # not before the lease ends
    clock.advance(POLICY.lease)
    assert job.run_once(container) == 1
    assert len(carrier.labels) == 1
    assert carrier.keys_sent() == [intent.carrier_key] * 2
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment"))
    assert shipment["label_reference"] == next(iter(carrier.labels))
    assert fo_status(container, fo_id) == "label_created"
    assert _intents(uow)[0].status == "succeeded"
    [event] = _booked_events(client)
    assert event["actor"] == "api:shop"


def test_a_timeout_leaves_nothing_half_written_and_the_worker_books_once_later(
        client, container, uow, clock, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.extend(["hang", "error"])
    assert _ship(client, fo_id, "book-1").status_code == 503
    assert carrier.labels == {}
    _nothing_recorded(client, container, fo_id)
    job = CarrierBookingResume()
    assert job.run_once(container) == 0  # not due before its backoff
    clock.advance(POLICY.backoff(1))
    assert job.run_once(container) == 0  # the carrier answers 503: still unknown
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts, intent.last_error) == (
        "unknown", 2, "the carrier answered 503")
    _nothing_recorded(client, container, fo_id)
    clock.advance(POLICY.backoff(2))
    assert job.run_once(container) == 1
    assert len(carrier.labels) == 1
    assert fo_status(container, fo_id) == "label_created"
    assert ok(_ship(client, fo_id, "book-1"), 201)["label_reference"] == next(
        iter(carrier.labels))


def test_a_booking_the_carrier_never_answers_is_failed_after_the_last_attempt(
        client, container, uow, clock, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.extend(["error"] * POLICY.max_attempts)
    assert _ship(client, fo_id, "book-1").status_code == 503
    job = CarrierBookingResume()
    for _ in range(POLICY.max_attempts):
        clock.advance(POLICY.last_backoff)
        job.run_once(container)
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts) == ("failed", POLICY.max_attempts)
    again = _ship(client, fo_id, "book-1")
    assert again.status_code == 409
    assert again.json()["intent_id"] == intent.id
    assert carrier.labels == {}
    _nothing_recorded(client, container, fo_id)


def test_a_slow_carrier_within_the_timeout_is_simply_waited_for(client, container, carrier):
    carrier.faults.append("slow")
    ok(_ship(client, packed_fo(client, container)), 201)


def test_a_booking_the_carrier_refuses_leaves_no_intent_and_the_key_free(
        client, container, uow, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.append("refuse")
    refused = _ship(client, fo_id, "book-1")
    assert refused.status_code == 422
    assert "do not serve" in refused.text
    assert _intents(uow) == []
    _nothing_recorded(client, container, fo_id)
    ok(_ship(client, fo_id, "book-1"), 201)
    assert len(carrier.labels) == 1


def test_a_booking_answered_after_the_order_was_handed_over_otherwise_fails_with_its_label(
        client, container, uow, clock, carrier):
    fo_id = packed_fo(client, container)
    carrier.faults.append("book_then_hang")
    assert _ship(client, fo_id, "book-1").status_code == 503
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover",
                   json={"reason": "the van could not wait: labelled by hand"}))
    clock.advance(POLICY.backoff(1))
    assert CarrierBookingResume().run_once(container) == 0
    [intent] = _intents(uow)
    [label] = carrier.labels
    assert intent.status == "failed"
    assert label in intent.last_error and "cancel the label" in intent.last_error
    assert fo_status(container, fo_id) == "shipped"
    assert client.get(f"/api/v1/fulfilment-orders/{fo_id}/shipment").status_code == 404
    assert _booked_events(client) == []


def test_an_http_carrier_account_needs_a_url_and_a_bounded_timeout_and_hides_its_key(client):
    def create(code: str, **settings):
        return client.post("/api/v1/carriers", json={
            "code": code, "name": code, "adapter": "http", "settings": settings})

    assert create("a", timeout_s=5).status_code == 422
    assert create("b", base_url="ftp://carrier.example").status_code == 422
    assert create("c", base_url="https://carrier.example", timeout_s=120).status_code == 422
    account = ok(create("d", base_url="https://carrier.example", api_key="k-1"), 201)
    assert account["settings"] == {"base_url": "https://carrier.example", "api_key": "***"}


def test_a_slow_answer_past_the_request_deadline_is_still_recorded(client, container,
                                                                    carrier):
    fo_id = packed_fo(client, container)
    carrier.slow_s = 0.35  # within the carrier's timeout, past the request's deadline
    carrier.faults.append("slow")
    ctx = RequestContext(container, ENV_ADMIN, "POST /api/v1/fulfilment-orders/{id}/ship",
                         None, deadline=time.monotonic() + 0.25)
    shipment = booking.ship(ctx.transactions(), fo_id, "net", None)
    assert shipment.label_reference == next(iter(carrier.labels))
    assert fo_status(container, fo_id) == "label_created"
