"""Bad payment requests get a clear 4xx and change nothing; retried requests with the
same Idempotency-Key return the first answer and move money once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ordermesh.kit.idempotency import idempotency_keys
from ordermesh.kit.outbox import outbox
from ordermesh.payments.tables import (
    payment_transactions,
    payments,
    test_gateway_charges,
    test_gateway_requests,
)
from tests.helpers import capture_later, ok, order_body, shop

VISA = "4242424242424242"
_WATCHED = (payments, payment_transactions, test_gateway_charges, test_gateway_requests,
            outbox, idempotency_keys)


def _everything(uow) -> dict[str, list]:
    with uow(write=False) as u:
        return {t.name: sorted((tuple(r) for r in u.execute(select(t))), key=repr)
                for t in _WATCHED}


def _refused(client, uow, url: str, status: int, code: str, field: str | None = None,
             json: dict | None = None, headers: dict | None = None) -> dict:
    """POST that must be refused with a problem+json, proving nothing changed."""
    before = _everything(uow)
    response = client.post(url, json=json, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code and problem["detail"], problem
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert _everything(uow) == before, f"a refused POST {url} changed something"
    return problem


@pytest.fixture
def order(client) -> dict:
    shop(client, {"A": {"ber": 100}})
    capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body([("A", 2, "50.00")])), 201)


def _authorised(client, order: dict, **body) -> dict:
    return ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                          json={"provider": "test", "source": VISA, **body}), 201)


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"provider": "stripe"}, 422, "invalid-input", "provider"),
    ({"provider": "test", "source": VISA, "amount": "-5.00"}, 422, "validation-failed",
     "amount"),
    ({"provider": "test", "source": VISA, "amount": "0"}, 422, "invalid-input", "amount"),
    ({"provider": "test", "source": VISA, "amount": "1.005"}, 422, "invalid-input", "amount"),
    ({"provider": "test", "source": VISA, "amount": "10", "currency": "USD"}, 422,
     "invalid-input", "currency"),
    ({"provider": "test", "source": VISA, "currency": "USD"}, 422, "invalid-input",
     "currency"),
    ({"provider": "test", "source": VISA, "currency": "EURO"}, 422, "validation-failed",
     "currency"),
    ({"provider": "test", "source": VISA, "amount": "100.01"}, 409, "amount-not-available",
     None),
    ({"provider": "test"}, 422, "invalid-input", "source"),
    ({"provider": "test", "source": "4242-abc"}, 422, "invalid-input", "source"),
    ({"provider": "test", "source": "tgch_nosuchcharge"}, 422, "invalid-input", "source"),
    ({"provider": "test", "source": VISA, "method": "cash"}, 422, "invalid-input", "method"),
    ({"provider": "manual", "method": "card"}, 422, "invalid-input", "method"),
    ({"provider": "manual", "method": "barter"}, 422, "validation-failed", "method"),
    ({"provider": "test", "source": VISA, "capture": "yes"}, 422, "validation-failed",
     "capture"),
    ({"provider": "test", "source": VISA, "tip": "1.00"}, 422, "validation-failed", "tip"),
])
def test_a_bad_authorisation_is_refused_naming_the_field_and_changes_nothing(
        client, uow, order, body, status, code, field):
    _refused(client, uow, f"/api/v1/orders/{order['id']}/payments", status, code, field,
             json=body)


def test_a_currency_mismatch_says_so(client, uow, order):
    problem = _refused(client, uow, f"/api/v1/orders/{order['id']}/payments", 422,
                       "invalid-input", "currency",
                       json={"provider": "manual", "amount": "5", "currency": "GBP"})
    assert problem["errors"][0]["code"] == "currency_mismatch"


def test_a_payment_for_an_unknown_order_is_a_404(client, uow, order):
    _refused(client, uow, "/api/v1/orders/ord_nope/payments", 404, "not-found",
             json={"provider": "manual"})


def test_a_cancelled_order_takes_no_payment(client, uow, order):
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    _refused(client, uow, f"/api/v1/orders/{order['id']}/payments", 409,
             "illegal-transition", json={"provider": "manual"})


def test_an_order_covered_in_full_takes_no_further_authorisation(client, uow, order):
    _authorised(client, order)
    problem = _refused(client, uow, f"/api/v1/orders/{order['id']}/payments", 409,
                       "amount-not-available", json={"provider": "manual"})
    assert problem["available"] == "0"


def test_capture_above_the_authorised_amount_is_refused(client, uow, order):
    payment = _authorised(client, order, amount="60.00")
    url = f"/api/v1/payments/{payment['id']}/capture"
    ok(client.post(url, json={"amount": "50.00"}))
    problem = _refused(client, uow, url, 409, "amount-not-available",
                       json={"amount": "10.01"})
    assert (problem["available"], problem["requested"]) == ("10.00", "10.01")


def test_refund_above_what_was_captured_is_refused(client, uow, order):
    payment = _authorised(client, order)
    base = f"/api/v1/payments/{payment['id']}"
    ok(client.post(f"{base}/capture", json={"amount": "40.00"}))
    _refused(client, uow, f"{base}/refund", 409, "amount-not-available",
             json={"amount": "40.01", "reason": "too much"})
    ok(client.post(f"{base}/refund", json={"amount": "40.00", "reason": "all of it"}))
    _refused(client, uow, f"{base}/refund", 409, "amount-not-available",
             json={"amount": "0.01", "reason": "once more"})


def test_void_after_a_full_capture_is_refused(client, uow, order):
    payment = _authorised(client, order, capture=True)
    problem = _refused(client, uow, f"/api/v1/payments/{payment['id']}/void", 409,
                       "illegal-transition")
    assert "refunded" in problem["detail"]


@pytest.mark.parametrize(("operation", "body", "status", "code", "field"), [
    ("capture", {"amount": "-1.00"}, 422, "validation-failed", "amount"),
    ("capture", {"amount": "0.00"}, 422, "invalid-input", "amount"),
    ("capture", {"amount": "1", "currency": "USD"}, 422, "invalid-input", "currency"),
    ("capture", {"amount": "NaN"}, 422, "validation-failed", "amount"),
    ("void", {"amount": "100.01"}, 409, "amount-not-available", None),
    ("void", {"amount": "-3"}, 422, "validation-failed", "amount"),
    ("refund", {"amount": "1.00"}, 422, "validation-failed", "reason"),
    ("refund", {"amount": "-1.00", "reason": "x"}, 422, "validation-failed", "amount"),
    ("refund", {"amount": "5.00", "reason": "nothing captured yet"}, 409,
     "amount-not-available", None),
])
def test_bad_capture_void_and_refund_requests_change_nothing(
        client, uow, order, operation, body, status, code, field):
    payment = _authorised(client, order)
    _refused(client, uow, f"/api/v1/payments/{payment['id']}/{operation}", status, code,
             field, json=body)


def test_operations_on_a_declined_payment_are_refused(client, uow, order):
    declined = client.post(f"/api/v1/orders/{order['id']}/payments",
                           json={"provider": "test", "source": "4000000000000002"}).json()
    for operation in ("capture", "void"):
        _refused(client, uow, f"/api/v1/payments/{declined['payment_id']}/{operation}", 409,
                 "illegal-transition")


def test_an_unknown_payment_is_a_404(client, uow, order):
    _refused(client, uow, "/api/v1/payments/pay_nope/capture", 404, "not-found")
    assert ok(client.get("/api/v1/payments/pay_nope"), 404)["code"] == "not-found"


def test_only_the_last_four_digits_of_a_card_are_stored_anywhere(client, uow, order):
    number = "4000000000005126"
    payment = _authorised(client, order, source=number, capture=True)
    assert payment["card"]["last4"] == "5126"
    stored = repr(_everything(uow))
    assert number not in stored and number[:12] not in stored


# ------------------------------------------------------------------------ retries


def _post(client, url: str, key: str, body: dict | None = None):
    return client.post(url, json=body, headers={"Idempotency-Key": key})


def test_a_retried_authorisation_returns_the_first_payment(client, order):
    url = f"/api/v1/orders/{order['id']}/payments"
    body = {"provider": "test", "source": VISA, "amount": "60.00"}
    first = _post(client, url, "auth-1", body)
    again = _post(client, url, "auth-1", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    listing = ok(client.get(url))
    assert len(listing["items"]) == 1 and listing["summary"]["authorised"]["amount"] == "60.00"


def test_a_retried_capture_captures_once(client, uow, order):
    payment = _authorised(client, order)
    url = f"/api/v1/payments/{payment['id']}/capture"
    answers = [_post(client, url, "cap-1", {"amount": "30.00"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[-1].json()["captured"]["amount"] == "30.00"
    assert answers[-1].headers["Idempotent-Replayed"] == "true"
    with uow(write=False) as u:
        charge = u.execute(select(test_gateway_charges)).one()
    assert charge.captured == 30


def test_a_retried_declined_authorisation_gets_the_same_402_without_a_second_attempt(
        client, order):
    url = f"/api/v1/orders/{order['id']}/payments"
    body = {"provider": "test", "source": "4000000000000002"}
    first, again = _post(client, url, "d-1", body), _post(client, url, "d-1", body)
    assert (first.status_code, again.status_code) == (402, 402)
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    assert len(ok(client.get(url))["items"]) == 1


def test_a_key_reused_for_another_amount_is_refused(client, uow, order):
    payment = _authorised(client, order)
    url = f"/api/v1/payments/{payment['id']}/refund"
    ok(_post(client, f"/api/v1/payments/{payment['id']}/capture", "cap", None))
    ok(_post(client, url, "r-1", {"amount": "5.00", "reason": "a"}))
    _refused(client, uow, url, 422, "idempotency-key-reused",
             json={"amount": "6.00", "reason": "a"}, headers={"Idempotency-Key": "r-1"})


def test_a_refused_request_leaves_its_key_free_for_a_corrected_retry(client, order):
    payment = _authorised(client, order)
    url = f"/api/v1/payments/{payment['id']}/capture"
    ok(_post(client, url, "k", {"amount": "100.01"}), 409)
    assert ok(_post(client, url, "k", {"amount": "100.00"}))["status"] == "captured"
