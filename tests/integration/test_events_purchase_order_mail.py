"""E-mailing a purchase order to its supplier writes exactly the declared events
(tests/event_contract.py): queued (or skipped) with the order's transaction, then sent,
or failed after the last attempt; a retried attempt writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordermesh.flows.purchase_order_mail import PurchaseOrderMailer
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import ok
from tests.messaging_helpers import with_smtp
from tests.purchasing_helpers import POS, buying_shop, draft, make_supplier, offer
from tests.smtp_server import running_smtp_server


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box, max_attempts=2)


def mailing_supplier(client) -> None:
    buying_shop(client)
    make_supplier(client, "KILN", contacts=[
        {"name": "Accounts", "role": "accounts", "email": "accounts@kiln.example"},
        {"name": "Orders desk", "role": "ordering", "email": "orders@kiln.example"}])
    offer(client, "KILN", "MUG", "3.00")


def test_a_purchase_order_e_mailed_to_its_supplier_writes_queued_then_sent(
        client, container):
    mailing_supplier(client)
    po = draft(client, [("MUG", 12)], supplier="KILN")
    _, written = assert_writes(client, "purchase_order.send.mailed", lambda: ok(client.post(
        f"{POS}/{po['id']}/send")))
    queued = of_type(written, "purchase_order.notification_queued")["payload"]
    assert (queued["trigger"], queued["recipient"]) == ("sent", "orders@kiln.example")
    _, written = assert_writes(client, "purchase_order.mail",
                               lambda: PurchaseOrderMailer().run_once(container))
    sent = of_type(written, "purchase_order.notification_sent")
    assert (sent["aggregate_id"], sent["payload"]["attempts"], sent["actor"]) == (
        po["id"], 1, "worker:purchase-order-mailer")
    _, written = assert_writes(client, "purchase_order.resend", lambda: ok(client.post(
        f"{POS}/{po['id']}/notifications"), 202))
    assert of_type(written, "purchase_order.notification_queued")["payload"]["trigger"] == \
        "resend"
    drafted = draft(client, [("MUG", 1)], supplier="KILN")
    not_yet = assert_writes_nothing(client, lambda: client.post(
        f"{POS}/{drafted['id']}/notifications"))
    assert not_yet.status_code == 409


def test_a_purchase_order_e_mail_whose_last_attempt_fails_writes_failed(
        client, container, box):
    mailing_supplier(client)
    po = draft(client, [("MUG", 12)], supplier="KILN")
    ok(client.post(f"{POS}/{po['id']}/send"))
    box.refuse = "451 4.3.0 try later"
    assert_writes(client, "purchase_order.mail.retry",
                  lambda: PurchaseOrderMailer().run_once(container))
    container.clock.advance(timedelta(minutes=1))
    _, written = assert_writes(client, "purchase_order.mail.fail",
                               lambda: PurchaseOrderMailer().run_once(container))
    failed = of_type(written, "purchase_order.notification_failed")["payload"]
    assert (failed["attempts"], failed["error"]) == (2, "451 4.3.0 try later")
