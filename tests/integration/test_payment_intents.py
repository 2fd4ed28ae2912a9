"""Provider calls go through intents, outside any transaction, against a card gateway
served over real HTTP: a timeout after the gateway charged, a crash between the call and
the record, a deadlock rerun and a failing gateway never charge twice."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ordermesh.kit.db import Transactions
from ordermesh.kit.money import Money
from ordermesh.payments import gateway_calls, intents, service
from ordermesh.payments.intent_steps import PaymentInProgress
from ordermesh.payments.model import AmountNotAvailable
from ordermesh.payments.operations import AuthoriseRequest
from ordermesh.payments.tables import payment_intents, payments
from ordermesh.worker import PaymentIntentResume
from tests.helpers import capture_later, ok, order_body, shop
from tests.payment_gateway import APPROVED_CARD, DeadlockingFirstCommits, running_gateway

AUTHORISATIONS = "/v1/authorisations"


@pytest.fixture
def gateway():
    with running_gateway() as running:
        yield running


def _order(client, total: str = "100.00") -> str:
    shop(client, {"A": {"ber": 10}})
    capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body([("A", 1, total)])), 201)["id"]


def _authorise(client, order_id: str, key: str | None = None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/orders/{order_id}/payments", headers=headers,
                       json={"provider": "gateway", "source": APPROVED_CARD, **body})


def _intents(uow) -> list:
    with uow(write=False) as u:
        return list(u.execute(select(payment_intents).order_by(payment_intents.c.seq)))


def _payment_count(uow, order_id: str) -> int:
    with uow(write=False) as u:
        return u.execute(select(func.count()).select_from(payments)
                         .where(payments.c.order_id == order_id)).scalar()


def _events(client, type_: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": type_, "limit": 200}))["items"]


def test_a_card_authorised_through_the_http_gateway_closes_its_intent(client, uow, gateway):
    order_id = _order(client)
    payment = ok(_authorise(client, order_id, "auth-1"), 201)
    assert payment["status"] == "authorised"
    assert payment["provider_reference"] in gateway.charges
    [intent] = _intents(uow)
    assert (intent.status, intent.outcome, intent.attempts) == ("succeeded", "approved", 1)
    assert intent.payment_id == payment["id"]
    assert "source" not in intent.details  # no card data is kept once answered
    assert gateway.keys_sent(AUTHORISATIONS) == [intent.provider_key]


def test_a_gateway_that_charges_then_times_out_charges_once_when_the_request_is_retried(
        client, uow, gateway):
    order_id = _order(client)
    gateway.faults.append("charge_then_hang")
    first = _authorise(client, order_id, "auth-1")
    assert first.status_code == 503
    assert first.headers["Retry-After"]
    problem = first.json()
    assert problem["type"].endswith("payment-outcome-unknown")
    assert problem["intent_status"] == "unknown"
    assert len(gateway.charges) == 1  # charged, but we never heard it
    assert _payment_count(uow, order_id) == 0

    payment = ok(_authorise(client, order_id, "auth-1"), 201)
    assert payment["status"] == "authorised"
    assert len(gateway.charges) == 1
    [key] = set(gateway.keys_sent(AUTHORISATIONS))  # the same key both times
    assert len(gateway.keys_sent(AUTHORISATIONS)) == 2
    assert payment["provider_reference"] == next(iter(gateway.charges))
    assert _payment_count(uow, order_id) == 1
    assert len(_events(client, "payment.authorised")) == 1
    [intent] = _intents(uow)
    assert (intent.provider_key, intent.status, intent.attempts) == (key, "succeeded", 2)


def test_a_refund_the_gateway_made_before_timing_out_is_refunded_once_on_retry(
        client, uow, gateway):
    order_id = _order(client)
    payment = ok(_authorise(client, order_id, capture=True), 201)
    assert payment["status"] == "captured"
    gateway.faults.append("charge_then_hang")
    url = f"/api/v1/payments/{payment['id']}/refund"
    body = {"amount": "30.00", "reason": "damaged"}
    first = client.post(url, json=body, headers={"Idempotency-Key": "refund-1"})
    assert first.status_code == 503
    again = ok(client.post(url, json=body, headers={"Idempotency-Key": "refund-1"}))
    assert again["refunded"] == {"amount": "30.00", "currency": "EUR"}
    charge = gateway.charges[payment["provider_reference"]]
    assert charge.refunded == Decimal("30.00")
    assert len(_events(client, "payment.refunded")) == 1


def test_a_slow_gateway_within_the_timeout_is_simply_waited_for(client, gateway):
    gateway.faults.append("slow")
    assert ok(_authorise(client, _order(client)), 201)["status"] == "authorised"


def test_a_card_the_gateway_refuses_leaves_no_intent_and_the_key_free(client, uow, gateway):
    order_id = _order(client)
    refused = _authorise(client, order_id, "auth-1", source="1234")
    assert refused.status_code == 422
    assert _intents(uow) == [] and _payment_count(uow, order_id) == 0
    assert ok(_authorise(client, order_id, "auth-1"), 201)["status"] == "authorised"


def test_a_request_repeated_while_its_call_is_under_way_is_told_so_and_reserves_nothing_twice(
        client, uow, gateway, monkeypatch):
    order_id = _order(client)
    runner = Transactions(lambda: uow(actor="api:shop"))
    request = AuthoriseRequest("gateway", amount=Money.of(Decimal("60.00"), "EUR"),
                               source=APPROVED_CARD, key="checkout-1")
    seen = []
    send = gateway_calls.send

    def send_while_repeated(runner_, intent):
        # outside any transaction, while the first call is under way: the same request
        # again is told to wait, and another one cannot take the reserved amount
        with pytest.raises(PaymentInProgress):
            service.authorise_payment(runner, order_id, request)
        with pytest.raises(AmountNotAvailable):
            service.authorise_payment(runner, order_id, replace(request, key="other"))
        seen.append(intent.id)
        return send(runner_, intent)

    monkeypatch.setattr(gateway_calls, "send", send_while_repeated)
    done = service.authorise_payment(runner, order_id, request)
    assert done.payment.status.value == "authorised" and len(seen) == 1
    assert len(gateway.keys_sent(AUTHORISATIONS)) == 1


def _crash(*_args, **_kwargs):
    raise KeyboardInterrupt("the process stopped between the call and the record")


def test_a_crash_between_the_call_and_the_record_is_finished_by_the_worker(
        client, uow, container, clock, gateway, monkeypatch):
    order_id = _order(client)
    runner = Transactions(lambda: uow(actor="api:shop"))
    request = AuthoriseRequest("gateway", source=APPROVED_CARD)
    with monkeypatch.context() as patched:
        patched.setattr(gateway_calls, "_recorded", _crash)
        with pytest.raises(KeyboardInterrupt):
            service.authorise_payment(runner, order_id, request)
    assert len(gateway.charges) == 1 and _payment_count(uow, order_id) == 0
    [intent] = _intents(uow)
    assert intent.status == "pending"

    job = PaymentIntentResume()
    assert job.run_once(container) == 0  # the crashed call's lease still holds
    clock.advance(intents.LEASE)
    assert job.run_once(container) == 1
    assert len(gateway.charges) == 1
    assert gateway.keys_sent(AUTHORISATIONS) == [intent.provider_key] * 2
    payment = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["items"]
    assert [(p["status"], p["provider_reference"]) for p in payment] == [
        ("authorised", next(iter(gateway.charges)))]
    assert payment[0]["transactions"][0]["actor"] == "api:shop"
    assert len(_events(client, "payment.authorised")) == 1
    assert _intents(uow)[0].status == "succeeded"


def test_a_deadlock_rerun_of_either_transaction_does_not_call_the_gateway_twice(
        client, uow, gateway):
    order_id = _order(client)
    runner = DeadlockingFirstCommits(lambda: uow(actor="api:shop"))
    done = service.authorise_payment(runner, order_id, AuthoriseRequest(
        "gateway", source=APPROVED_CARD, capture=True))
    assert done.payment.status.value == "captured"
    assert len(gateway.keys_sent(AUTHORISATIONS)) == 2  # one authorisation, one capture
    assert len(set(gateway.keys_sent(AUTHORISATIONS))) == 2
    assert len(gateway.charges) == 1
    assert _payment_count(uow, order_id) == 1
    assert [i.status for i in _intents(uow)] == ["succeeded", "succeeded"]
    assert len(_events(client, "payment.captured")) == 1


def test_a_failing_gateway_is_retried_by_the_worker_with_backoff_until_it_answers(
        client, uow, container, clock, gateway):
    order_id = _order(client)
    gateway.faults.extend(["error", "hang"])
    assert _authorise(client, order_id, "auth-1").status_code == 503
    job = PaymentIntentResume()
    assert job.run_once(container) == 0  # not due before its backoff
    clock.advance(intents.backoff(1))
    assert job.run_once(container) == 0  # the gateway hangs: still unknown
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts) == ("unknown", 2)
    clock.advance(intents.backoff(2))
    assert job.run_once(container) == 1
    assert [i.status for i in _intents(uow)] == ["succeeded"]
    assert len(gateway.charges) == 1
    assert len(set(gateway.keys_sent(AUTHORISATIONS))) == 1


def test_an_intent_the_gateway_never_answers_is_failed_after_the_last_attempt(
        client, uow, container, clock, gateway):
    order_id = _order(client)
    gateway.faults.extend(["error"] * intents.MAX_ATTEMPTS)
    assert _authorise(client, order_id, "auth-1").status_code == 503
    job = PaymentIntentResume()
    for _ in range(intents.MAX_ATTEMPTS):
        clock.advance(intents.LAST_BACKOFF)
        job.run_once(container)
    [intent] = _intents(uow)
    assert (intent.status, intent.attempts) == ("failed", intents.MAX_ATTEMPTS)
    assert "503" in intent.last_error
    retried = _authorise(client, order_id, "auth-1")
    assert retried.status_code == 409 and gateway.charges == {}


def test_a_refund_waiting_for_the_gateway_keeps_its_amount_from_other_refunds(
        client, gateway):
    payment = ok(_authorise(client, _order(client), capture=True), 201)
    url = f"/api/v1/payments/{payment['id']}/refund"
    gateway.faults.append("hang")
    waiting = client.post(url, json={"amount": "70.00", "reason": "late"},
                          headers={"Idempotency-Key": "refund-1"})
    assert waiting.status_code == 503
    other = client.post(url, json={"amount": "40.00", "reason": "damaged"})
    assert other.status_code == 409
    assert other.json()["code"] == "amount-not-available"
    assert other.json()["available"] == "30.00"
    assert ok(client.post(url, json={"amount": "30.00", "reason": "damaged"}))[
        "refunded"]["amount"] == "30.00"
    done = ok(client.post(url, json={"amount": "70.00", "reason": "late"},
                          headers={"Idempotency-Key": "refund-1"}))
    assert done["status"] == "refunded"
    assert gateway.charges[payment["provider_reference"]].refunded == Decimal("100.00")


def test_captures_and_voids_through_the_http_gateway_survive_its_failures(
        client, gateway):
    payment = ok(_authorise(client, _order(client)), 201)
    base = f"/api/v1/payments/{payment['id']}"
    gateway.faults.append("error")
    capture = {"amount": "60.00"}
    assert client.post(f"{base}/capture", json=capture,
                       headers={"Idempotency-Key": "cap-1"}).status_code == 503
    gateway.faults.append("charge_then_hang")
    assert client.post(f"{base}/void", json={}, headers={"Idempotency-Key": "void-1"}
                       ).json()["code"] == "payment-outcome-unknown"
    voided = ok(client.post(f"{base}/void", json={}, headers={"Idempotency-Key": "void-1"}))
    # the void under way took everything but the capture waiting for an answer
    assert voided["voided"]["amount"] == "40.00"
    captured = ok(client.post(f"{base}/capture", json=capture,
                              headers={"Idempotency-Key": "cap-1"}))
    assert captured["status"] == "captured"
    charge = gateway.charges[payment["provider_reference"]]
    assert (charge.captured, charge.voided) == (Decimal("60.00"), Decimal("40.00"))
    assert len(_events(client, "payment.voided")) == len(_events(client, "payment.captured")) \
        == 1


@pytest.mark.parametrize("fault", ["busy", "garbage", "hang", "error"])
def test_every_gateway_answer_that_is_not_an_answer_leaves_the_outcome_unknown(
        client, uow, gateway, fault):
    order_id = _order(client)
    gateway.faults.append(fault)
    first = _authorise(client, order_id, "auth-1")
    assert (first.status_code, first.json()["code"]) == (503, "payment-outcome-unknown")
    assert _payment_count(uow, order_id) == 0
    assert ok(_authorise(client, order_id, "auth-1"), 201)["status"] == "authorised"
    assert len(gateway.charges) == 1


def test_an_order_cancelled_while_the_gateway_authorises_gets_its_money_released(
        client, uow, gateway, monkeypatch):
    order_id = _order(client)
    send = gateway_calls.send

    def send_after_a_cancellation(runner_, intent):
        if intent.operation.value == "authorise":  # outside any transaction: not locked
            ok(client.post(f"/api/v1/orders/{order_id}/cancel", json={}))
        return send(runner_, intent)

    monkeypatch.setattr(gateway_calls, "send", send_after_a_cancellation)
    payment = ok(_authorise(client, order_id, capture=True), 201)
    assert payment["status"] == "voided"
    charge = gateway.charges[payment["provider_reference"]]
    assert (charge.captured, charge.voided) == (Decimal(0), Decimal("100.00"))
    assert [e["type"] for e in _events(client, "payment.")] == [
        "payment.authorised", "payment.voided"]
