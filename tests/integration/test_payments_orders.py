"""The order-level money functions other features call: capture, refund and void over
all of an order's payments, extra authorisations, the summary; retries by key."""

from __future__ import annotations

import pytest

from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.money import Money
from ordermesh.orders.queries import order_ref
from ordermesh.payments import service
from ordermesh.payments.model import (
    AmountNotAvailable,
    PaymentStatus,
)
from ordermesh.payments.tables import payments
from tests.helpers import capture_later, ok, order_body, shop

VISA = "4242424242424242"


def eur(value: str) -> Money:
    return Money.of(value, "EUR")


@pytest.fixture
def order_id(client) -> str:
    shop(client, {"A": {"ber": 100}})
    capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body([("A", 2, "50.00")])), 201)["id"]


def _pay(client, order_id: str, amount: str, source: str = VISA, capture: bool = False,
         provider: str = "test") -> dict:
    body = {"provider": provider, "amount": amount, "capture": capture}
    if provider == "test":
        body["source"] = source
    return client.post(f"/api/v1/orders/{order_id}/payments", json=body).json()


def _statuses(client, order_id: str) -> list[str]:
    return [p["status"] for p in ok(client.get(f"/api/v1/orders/{order_id}/payments"))["items"]]


def test_capture_for_order_takes_the_oldest_authorisations_first(client, uow, order_id):
    _pay(client, order_id, "30.00")
    _pay(client, order_id, "50.00", provider="manual")
    with uow() as u:
        captured = service.capture_for_order(u, order_id, eur("45.00"), "ship-1")
        u.commit()
    assert captured == eur("45.00")
    assert _statuses(client, order_id) == ["captured", "partially_captured"]
    summary = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]
    assert summary["captured"]["amount"] == "45.00"
    assert summary["open_authorised"]["amount"] == "35.00"


def test_capture_for_order_captures_what_there_is_when_asked_for_more(client, uow, order_id):
    _pay(client, order_id, "30.00")
    with uow() as u:
        assert service.capture_for_order(u, order_id, eur("80.00"), "ship-1") == eur("30.00")
        u.commit()


def test_a_retried_capture_for_order_returns_the_first_result_and_captures_nothing_more(
        client, uow, order_id):
    _pay(client, order_id, "30.00")
    _pay(client, order_id, "50.00")
    for _ in range(2):
        with uow() as u:
            assert service.capture_for_order(u, order_id, eur("40.00"), "ship-1") == \
                eur("40.00")
            u.commit()
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).captured == eur("40.00")
    with uow() as u:  # a new key is a new capture
        assert service.capture_for_order(u, order_id, eur("40.00"), "ship-2") == eur("40.00")
        u.commit()


def test_a_capture_declined_after_the_commit_is_recorded_and_the_rest_still_captured(
        client, uow, order_id):
    # The provider answers after the caller committed: the declined capture is not
    # tried on another payment (it was asked of this one); a person captures the rest.
    first = _pay(client, order_id, "30.00")
    _pay(client, order_id, "50.00")
    with uow() as u:  # the gateway no longer knows the first charge
        u.execute(payments.update().where(payments.c.id == first["id"])
                  .values(provider_reference="tgch_gone"))
        u.commit()
    with uow() as u:
        assert service.capture_for_order(u, order_id, eur("40.00"), "ship-1") == eur("40.00")
        u.commit()
    items = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["items"]
    assert items[0]["transactions"][-1]["status"] == "declined"
    assert items[0]["captured"]["amount"] == "0.00"
    assert items[1]["captured"]["amount"] == "10.00"
    [declined] = ok(client.get("/api/v1/events", params={"type": "payment.declined"}))[
        "items"]
    assert (declined["payload"]["kind"], declined["payload"]["order_id"]) == (
        "capture", order_id)


def test_refund_for_order_refunds_the_newest_captures_first_with_the_reason(
        client, uow, order_id):
    _pay(client, order_id, "30.00", capture=True)
    _pay(client, order_id, "50.00", capture=True)
    with uow() as u:
        refunds = service.refund_for_order(u, order_id, eur("60.00"), "returned", "rfd_1")
        u.commit()
    # asked in the caller's transaction, sent once it committed
    assert [(i.amount, i.details["reason"], i.provider_key) for i in refunds] == [
        (eur("50.00"), "returned", f"{refunds[0].payment_id}:refund:rfd_1"),
        (eur("10.00"), "returned", f"{refunds[1].payment_id}:refund:rfd_1")]
    assert _statuses(client, order_id) == ["partially_refunded", "refunded"]
    with uow() as u:  # retried: the same refunds, no money moved
        again = service.refund_for_order(u, order_id, eur("60.00"), "returned", "rfd_1")
        u.commit()
    assert [t.id for t in again] == [t.id for t in refunds]
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).refunded == eur("60.00")


def test_refund_for_order_above_what_is_refundable_is_a_conflict_and_refunds_nothing(
        client, uow, order_id):
    _pay(client, order_id, "30.00", capture=True)
    _pay(client, order_id, "20.00")  # authorised, not captured: not refundable
    with uow() as u, pytest.raises(AmountNotAvailable) as refused:
        service.refund_for_order(u, order_id, eur("30.01"), "too much", "rfd_1")
    assert refused.value.extra["available"] == "30.00"
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).refunded == eur("0.00")


def test_a_refund_declined_after_the_commit_is_recorded_on_the_payment_for_a_person(
        client, uow, order_id):
    _pay(client, order_id, "30.00", capture=True)
    _pay(client, order_id, "50.00", source="4000000000005126", capture=True)
    with uow() as u:
        service.refund_for_order(u, order_id, eur("60.00"), "returned", "rfd_1")
        u.commit()
    with uow(write=False) as u:
        assert service.payment_summary(u, order_id).refunded == eur("10.00")
    items = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["items"]
    last = items[1]["transactions"][-1]
    assert (last["kind"], last["status"], last["failure_code"]) == (
        "refund", "declined", "expired_or_canceled_card")
    [declined] = ok(client.get("/api/v1/events", params={"type": "payment.declined"}))[
        "items"]
    assert (declined["payload"]["kind"], declined["payload"]["amount"]) == (
        "refund", "50.00")


def test_void_for_order_releases_everything_open_newest_first(client, uow, order_id):
    _pay(client, order_id, "30.00")
    second = _pay(client, order_id, "50.00")
    ok(client.post(f"/api/v1/payments/{second['id']}/capture", json={"amount": "10.00"}))
    with uow() as u:
        assert service.void_for_order(u, order_id, "cancel-1", eur("45.00")) == eur("45.00")
        u.commit()
    assert _statuses(client, order_id) == ["authorised", "captured"]
    with uow() as u:
        assert service.void_for_order(u, order_id, "cancel-2") == eur("25.00")
        u.commit()
    with uow() as u:  # retried: same answer, nothing more released
        assert service.void_for_order(u, order_id, "cancel-2") == eur("25.00")
        u.commit()
    assert _statuses(client, order_id) == ["voided", "captured"]
    with uow(write=False) as u:
        s = service.payment_summary(u, order_id)
    assert (s.voided, s.open_authorised, s.captured) == (eur("70.00"), eur("0.00"),
                                                         eur("10.00"))


def test_void_for_order_of_more_than_is_open_is_a_conflict(client, uow, order_id):
    _pay(client, order_id, "30.00", capture=True)
    with uow() as u, pytest.raises(AmountNotAvailable):
        service.void_for_order(u, order_id, "v", eur("0.01"))
    with uow() as u:
        assert service.void_for_order(u, order_id, "v") == eur("0.00")


def test_authorise_more_charges_the_latest_payments_card_again(client, uow, order_id):
    first = _pay(client, order_id, "60.00")
    with uow() as u:
        ref = order_ref(u, order_id)
        asked = service.authorise_more(u, ref, eur("40.00"), "edit-1")
        again = service.authorise_more(u, ref, eur("40.00"), "edit-1")
        u.commit()  # then it is sent
    assert asked == again == eur("40.00")
    with uow(write=False) as u:
        found = service.order_payments(u, order_id).payments
    assert len(found) == 2
    extra = found[-1]
    assert (extra.status, extra.provider, extra.card_last4) == (
        PaymentStatus.AUTHORISED, "test", first["card"]["last4"])
    assert extra.authorised == eur("40.00")
    assert extra.provider_reference != first["provider_reference"]


def test_authorise_more_skips_refused_payments_when_choosing_the_method(
        client, uow, order_id):
    _pay(client, order_id, "30.00", provider="manual")
    _pay(client, order_id, "60.00", source="4000000000000002")  # declined
    with uow() as u:
        service.authorise_more(u, order_ref(u, order_id), eur("10.00"), "edit-1")
        u.commit()
    with uow(write=False) as u:
        extra = service.order_payments(u, order_id).payments[-1]
    assert extra.status is PaymentStatus.AUTHORISED and extra.provider == "manual"


def test_authorise_more_with_a_3d_secure_card_is_pending_again(client, uow, order_id):
    _pay(client, order_id, "60.00", source="4000000000003220")
    with uow() as u:
        service.authorise_more(u, order_ref(u, order_id), eur("10.00"), "edit-1")
        u.commit()
    with uow(write=False) as u:
        extra = service.order_payments(u, order_id).payments[-1]
    assert extra.status is PaymentStatus.PENDING and extra.card_last4 == "3220"


def test_authorise_more_needs_an_earlier_payment_and_room_in_the_order_total(
        client, uow, order_id):
    with uow() as u, pytest.raises(Conflict):
        service.authorise_more(u, order_ref(u, order_id), eur("10.00"), "edit-1")
    _pay(client, order_id, "100.00")
    with uow() as u, pytest.raises(AmountNotAvailable):
        service.authorise_more(u, order_ref(u, order_id), eur("0.01"), "edit-1")


def test_order_functions_refuse_bad_amounts_and_unknown_orders(client, uow, order_id):
    _pay(client, order_id, "30.00", capture=True)
    with uow() as u:
        with pytest.raises(InvalidInput) as mismatch:
            service.capture_for_order(u, order_id, Money.of(5, "USD"), "k")
        assert mismatch.value.errors[0].code == "currency_mismatch"
        with pytest.raises(InvalidInput):
            service.refund_for_order(u, order_id, eur("-1.00"), "why", "k")
        with pytest.raises(InvalidInput):
            service.refund_for_order(u, order_id, eur("1.00"), " ", "k")
        with pytest.raises(NotFound):
            service.void_for_order(u, "ord_nope", "k")


def test_the_summary_of_an_order_without_payments_is_all_zero_but_the_total(
        client, uow, order_id):
    with uow(write=False) as u:
        s = service.payment_summary(u, order_id)
    assert s.order_total == s.to_authorise == eur("100.00")
    assert s.authorised == s.captured == s.refundable == eur("0.00")
