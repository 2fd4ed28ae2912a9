"""A purchase order sent is e-mailed to the supplier's ordering contact, the PDF
attached, by the worker after commit; the order shows each e-mail's fate (sent, retried,
failed with the server's answer, or skipped when nobody has an e-mail address), and can
be e-mailed again. Against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordermesh.flows.purchase_order_mail import PurchaseOrderMailer
from ordermesh.kit.db import UnitOfWork
from ordermesh.messaging.jobs import policy_of
from ordermesh.purchasing.notifications import claim_due
from tests.helpers import ok
from tests.messaging_helpers import with_smtp
from tests.purchasing_helpers import POS, buying_shop, draft, make_supplier, offer
from tests.smtp_server import closed_port, running_smtp_server


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box, max_attempts=3)


def mail(container) -> int:
    return PurchaseOrderMailer().run_once(container)


def kiln(client, contacts=None) -> None:
    buying_shop(client)
    make_supplier(client, "KILN", contacts=[
        {"name": "Accounts", "role": "accounts", "email": "accounts@kiln.example"},
        {"name": "Orders desk", "role": "ordering", "email": "orders@kiln.example"}]
        if contacts is None else contacts)
    offer(client, "KILN", "MUG", "3.00")


def sent_po(client, **extra) -> dict:
    po = draft(client, [("MUG", 12)], supplier="KILN", **extra)
    return ok(client.post(f"{POS}/{po['id']}/send"))


def test_sending_a_purchase_order_e_mails_the_ordering_contact_its_pdf_after_commit(
        client, container, box):
    kiln(client)
    po = sent_po(client, reference="PO-7")
    [queued] = po["notifications"]
    assert (queued["status"], queued["trigger"], queued["recipient"], queued["attempts"]) == (
        "queued", "sent", "orders@kiln.example", 0)
    assert box.mails() == []  # nothing remote in the order's transaction
    assert mail(container) == 1
    [email] = box.to("orders@kiln.example")
    assert email["Subject"] == "Purchase order PO-7"
    assert "12 at 3.00 EUR" in email.get_body(("plain",)).get_content()
    [pdf] = list(email.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == ("PO-7.pdf", "application/pdf")
    assert pdf.get_content().startswith(b"%PDF")
    [done] = ok(client.get(f"{POS}/{po['id']}"))["notifications"]
    assert (done["status"], done["attempts"], done["last_error"]) == ("sent", 1, None)
    assert done["sent_at"] is not None
    assert mail(container) == 0  # sent once


def test_a_supplier_without_an_e_mail_still_gets_its_order_sent_and_the_mail_skipped(
        client, container, box):
    kiln(client, contacts=[{"name": "Mr Potter", "phone": "+44 113 000"}])
    po = sent_po(client)
    assert po["status"] == "sent"
    [skipped] = po["notifications"]
    assert (skipped["status"], skipped["recipient"], skipped["reason"]) == (
        "skipped", None, "the supplier has no contact with an e-mail address")
    again = client.post(f"{POS}/{po['id']}/notifications")
    assert again.status_code == 409
    assert again.json()["reason"] == "no_ordering_email"
    assert mail(container) == 0 and box.mails() == []
    assert len(ok(client.get(f"{POS}/{po['id']}"))["notifications"]) == 1


def test_without_an_ordering_role_the_first_contact_with_an_e_mail_gets_the_order(
        client, container, box):
    kiln(client, contacts=[{"name": "Mr Potter"},
                           {"name": "Sales", "role": "sales", "email": "sales@kiln.example"}])
    sent_po(client)
    mail(container)
    assert len(box.to("sales@kiln.example")) == 1


def test_a_refused_attempt_is_retried_with_backoff_and_fails_after_the_last(
        client, container, box):
    kiln(client)
    po = sent_po(client)
    box.refuse = "451 4.3.0 try later"
    mail(container)
    [retry] = ok(client.get(f"{POS}/{po['id']}"))["notifications"]
    assert (retry["status"], retry["attempts"], retry["last_error"]) == (
        "queued", 1, "451 4.3.0 try later")
    assert mail(container) == 0  # not due before the delay (60 s, then 120 s)
    container.clock.advance(timedelta(seconds=60))
    assert mail(container) == 1
    container.clock.advance(timedelta(seconds=119))
    assert mail(container) == 0
    container.clock.advance(timedelta(seconds=1))
    mail(container)
    [failed] = ok(client.get(f"{POS}/{po['id']}"))["notifications"]
    assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == (
        "failed", 3, None)
    assert box.refused == 3 and box.mails() == []


def test_a_permanent_refusal_fails_at_once_and_a_resend_after_fixing_it_goes_out(
        client, container, box):
    kiln(client)
    po = sent_po(client)
    box.unknown.add("orders@kiln.example")
    mail(container)
    [failed] = ok(client.get(f"{POS}/{po['id']}"))["notifications"]
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"].startswith("orders@kiln.example: 550")
    box.unknown.clear()
    again = ok(client.post(f"{POS}/{po['id']}/notifications"), 202)
    assert [n["status"] for n in again["notifications"]] == ["failed", "queued"]
    assert again["notifications"][1]["trigger"] == "resend"
    mail(container)
    assert len(box.to("orders@kiln.example")) == 1


def test_a_mail_server_that_does_not_answer_leaves_the_order_sent_and_the_mail_queued(
        client, container, box):
    kiln(client)
    po = sent_po(client)
    down = with_smtp(container, port=closed_port())
    PurchaseOrderMailer().run_once(down)
    [retry] = ok(client.get(f"{POS}/{po['id']}"))["notifications"]
    assert retry["status"] == "queued" and retry["last_error"]
    assert ok(client.get(f"{POS}/{po['id']}"))["status"] == "sent"


def test_one_due_e_mail_is_claimed_by_one_mailer_only(client, container, box):
    kiln(client)
    sent_po(client)
    policy = policy_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:
        first = claim_due(uow, 10, policy)
    with UnitOfWork(container.engine, container.clock) as uow:
        second = claim_due(uow, 10, policy)
    assert (len(first), second) == (1, [])


def test_only_an_order_sent_and_not_finished_can_be_e_mailed_again(client, container):
    kiln(client)
    drafted = draft(client, [("MUG", 12)], supplier="KILN")
    assert client.post(f"{POS}/{drafted['id']}/notifications").status_code == 409
    po = sent_po(client)
    ok(client.post(f"{POS}/{po['id']}/cancel", json={}))
    refused = client.post(f"{POS}/{po['id']}/notifications")
    assert refused.status_code == 409
    assert refused.json()["current_status"] == "cancelled"
    assert client.post(f"{POS}/po_nope/notifications").status_code == 404
    assert len(ok(client.get(f"{POS}/{po['id']}"))["notifications"]) == 1
