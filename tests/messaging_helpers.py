"""Scaffolding for messaging tests: a container pointed at a test SMTP server (with the
feedback link secret too), the two worker jobs, and reading messages back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from pydantic import SecretStr

from ordermesh.http.deps import Container
from ordermesh.messaging.jobs import MessageQueueing, MessageSender
from tests.event_checks import events_after
from tests.feedback_helpers import DELIVERED_AT, with_secret
from tests.feedback_helpers import run_job as run_feedback_job
from tests.helpers import ok
from tests.smtp_server import Mailbox


def with_smtp(container: Container, box: Mailbox | None = None, *, port: int | None = None,
              max_attempts: int = 3) -> Container:
    container = with_secret(container)
    settings = container.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port if port is not None else box.port,
        "smtp_from": "Shop <shop@example.com>", "smtp_timeout_s": 5.0,
        "message_max_attempts": max_attempts, "message_retry_base_s": 60.0})
    return Container(settings=settings, engine=container.engine, clock=container.clock)


def queue(container: Container) -> int:
    return MessageQueueing().run_once(container)


def send(container: Container) -> int:
    return MessageSender().run_once(container)


def run_jobs(container: Container) -> None:
    queue(container)
    send(container)


def ask_for_feedback(container: Container) -> None:
    """The feedback job schedules the delivery's request, and sends it three days later."""
    run_feedback_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_feedback_job(container)


def messages(client, **params) -> list[dict]:
    return ok(client.get("/api/v1/messages", params=params))["items"]


def tracking_numbers(client) -> list[str]:
    return [e["payload"]["tracking_number"] for e in events_after(client, 0)
            if e["type"] == "package.tracking_assigned"]


def set_language(client, customer_id: str, language: str) -> None:
    ok(client.patch(f"/api/v1/customers/{customer_id}", json={"language": language}))


def with_sms(container: Container, provider, public_url: str, box: Mailbox | None = None
             ) -> Container:
    """``container`` sending SMS through the simulated ``provider``, its delivery reports
    going to ``public_url`` (the app served over HTTP); e-mail too when ``box`` is given."""
    from tests.sms_provider import API_KEY, CALLBACK_SECRET

    base = with_smtp(container, box) if box is not None else with_secret(container)
    settings = base.settings.model_copy(update={
        "sms_provider_url": provider.url, "sms_api_key": SecretStr(API_KEY),
        "sms_sender": "LinenClay", "sms_timeout_s": 1.0, "public_url": public_url,
        "sms_callback_secret": SecretStr(CALLBACK_SECRET), "message_max_attempts": 3})
    return Container(settings=settings, engine=container.engine, clock=container.clock)


def prefers_sms(client, customer_id: str, language: str = "de") -> None:
    ok(client.patch(f"/api/v1/customers/{customer_id}",
                    json={"preferred_contact": "sms", "language": language}))


def split_order(client, container, customer: dict | None = None) -> tuple[dict, list[str]]:
    """Ada orders a T-shirt kept in Berlin and a mug kept in Hamburg: one order, two
    fulfilment orders, both packed. The order and the two fulfilment order ids."""
    from tests.feedback_helpers import CUSTOMER
    from tests.fulfilment_helpers import fos_of, fshop, pack, pick_all, place
    from tests.shipping_helpers import make_carrier

    fshop(client, {"TEE": {"ber": 5}, "MUG": {"ham": 5}})
    make_carrier(client, "sim")
    order = place(client, [("TEE", 1, "19.99"), ("MUG", 1, "9.99")],
                  customer=customer or CUSTOMER)
    fo_ids = [fo["id"] for fo in sorted(fos_of(client, order["id"]),
                                        key=lambda fo: fo["location"])]
    assert len(fo_ids) == 2
    for location, fo_id in zip(("ber", "ham"), fo_ids, strict=True):
        pick_all(client, location)
        pack(client, fo_id)
    return order, fo_ids


def ship(client, fo_id: str) -> list[str]:
    """Book and hand over a packed fulfilment order: its tracking numbers."""
    from tests.fulfilment_helpers import ship as book_and_hand_over

    return [p["tracking_number"] for p in book_and_hand_over(client, fo_id)["parcels"]]


def at_once(*steps: Callable[[], object], workers: int = 2) -> list[BaseException]:
    """Run ``steps`` in ``workers`` threads, every thread starting each step together with
    the others; the errors the threads raised (none lost in a thread)."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for step in steps:
                barrier.wait(timeout=30)
                step()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors
