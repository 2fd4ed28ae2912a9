"""Scaffolding for messaging tests: a container pointed at a test SMTP server (with the
feedback link secret too), the two worker jobs, and reading messages back."""

from __future__ import annotations

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
