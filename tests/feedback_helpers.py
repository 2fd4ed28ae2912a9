"""Scaffolding for feedback tests: a container with the link secret, an order delivered
through the carrier's tracking webhook, the worker job, and the link it sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from ordermesh.feedback.jobs import FeedbackRequests
from ordermesh.http.deps import Container
from tests.event_checks import events_after
from tests.helpers import ok
from tests.shipping_helpers import make_carrier, packed_fo, post_webhook, ready_shop

FEEDBACK_SECRET = "feedback-test-secret-0123456789abcdef"
CUSTOMER = {"email": "ada@example.com", "name": "Ada Lovelace"}
DELIVERED_AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def with_secret(container: Container) -> Container:
    settings = container.settings.model_copy(update={
        "feedback_secret": SecretStr(FEEDBACK_SECRET), "public_url": "https://shop.example"})
    return Container(settings=settings, engine=container.engine, clock=container.clock)


def agree_to_feedback(client, customer_id: str) -> None:
    """The customer opts in to feedback requests by e-mail (ticked at checkout)."""
    ok(client.post(f"/api/v1/customers/{customer_id}/consents", json={
        "purpose": "feedback", "medium": "email", "granted": True, "level": "single",
        "source_channel": "direct"}), 201)


def deliver(client, container, *, new_shop: bool = True, customer: dict | None = None,
            quantity: int = 2, consent: bool = True) -> dict:
    """An order of ``customer`` (Ada by default, who agreed to feedback e-mails unless
    ``consent`` is False) booked with the simulated carrier, handed over and delivered
    (its DLV scan at DELIVERED_AT): the order as placed."""
    container.clock.set(datetime(2026, 11, 26, 12, tzinfo=UTC))
    if new_shop:
        ready_shop(client, container)
        make_carrier(client, "sim")
    fo_id = packed_fo(client, container, quantity=quantity, customer=customer or CUSTOMER)
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    container.clock.set(DELIVERED_AT + timedelta(minutes=30))
    number = shipment["parcels"][0]["tracking_number"]
    ok(post_webhook(client, "sim", [{
        "event_id": f"{number}-DLV", "tracking_number": number, "status": "DLV",
        "occurred_at": DELIVERED_AT.isoformat(), "description": "delivered",
        "location": "Berlin"}]))
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    assert fo["status"] == "delivered"
    order = ok(client.get(f"/api/v1/orders/{fo['order_id']}"))
    if consent:
        agree_to_feedback(client, order["customer_id"])
    return order


def run_job(container) -> int:
    return FeedbackRequests().run_once(container)


def request_link(client, after: int = 0) -> str:
    """The link of the last feedback.requested event."""
    sent = [e for e in events_after(client, after) if e["type"] == "feedback.requested"]
    return sent[-1]["payload"]["link"]


def path_of(link: str) -> str:
    return link.removeprefix("https://shop.example")
