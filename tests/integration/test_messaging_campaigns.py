"""Campaigns through a real SMTP server: a message to a segment goes only to the members
with marketing consent for its medium, once each however many workers run it, at most
the throttle per minute; a cancel stops what is queued, a test send reaches only its
address, and the unsubscribe link withdraws the consent in the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ordermesh.flows.campaigns import CampaignRun
from ordermesh.messaging.tables import campaign_recipients, messages
from tests.campaign_helpers import (
    at_its_time,
    consent,
    counts,
    create,
    customers,
    run,
    schedule,
    segment,
    unsubscribe_path,
)
from tests.event_checks import assert_writes_nothing
from tests.helpers import ok
from tests.messaging_helpers import at_once, send, with_smtp
from tests.messaging_helpers import messages as list_messages
from tests.smtp_server import running_smtp_server

PEOPLE = (("Ada Lovelace", "ada@example.com"), ("Bernd Brot", "bernd@example.de"),
          ("Cleo Nix", "cleo@example.com"), ("Dora Nein", "dora@example.com"))


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box)


@pytest.fixture
def people(client, uow) -> list[str]:
    """Ada and Bernd (who reads German) opted in to marketing e-mails; Cleo never did;
    Dora opted in, then withdrew."""
    ada, bernd, cleo, dora = customers(uow, *PEOPLE)
    ok(client.patch(f"/api/v1/customers/{bernd}", json={"language": "de"}))
    for who in (ada, bernd, dora):
        consent(client, who)
    consent(client, dora, granted=False)
    return [ada, bernd, cleo, dora]


def test_a_campaign_reaches_only_the_members_with_marketing_consent_in_their_language(
        client, container, box, people):
    ada, _, cleo, dora = people
    campaign = create(client, segment(client), container)
    schedule(client, campaign["id"])
    assert run(container) == 0  # not its time yet
    at_its_time(container, campaign)
    run(container)
    send(container)
    assert sorted(m["To"] for m in box.mails()) == ["ada@example.com", "bernd@example.de"]
    [bernds] = box.to("bernd@example.de")
    assert bernds["Subject"] == "Winterschlussverkauf, Bernd Brot"
    assert bernds["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(bernds).startswith("/unsubscribe/")
    text = bernds.get_body(("plain",)).get_content()
    assert text.startswith("Hallo Bernd Brot,") and "Abmelden: https://shop.example/" in text
    run(container)  # every message is finished: the campaign is completed
    read = ok(client.get(f"/api/v1/campaigns/{campaign['id']}"))
    assert read["status"] == "completed" and read["audience_frozen"] is True
    assert read["counts"] == {
        "audience": 4, "queued": 0, "waiting_quiet_hours": 0, "sent": 2, "delivered": 0,
        "failed": 0, "skipped": {"no_consent": 1, "unsubscribed": 1, "no_address": 0,
                                 "undeliverable": 0, "duplicate_address": 0,
                                 "frequency_cap": 0, "cancelled": 0}}
    # each message is on the customer's record and timeline like any other message
    [adas] = list_messages(client, customer=ada)
    assert (adas["type"], adas["status"], adas["subject"]) == (
        "campaign", "sent", "Winter sale, Ada Lovelace")
    timeline = ok(client.get(f"/api/v1/customers/{ada}"))["timeline"]
    assert [e["type"] for e in timeline if e["subject_id"] == adas["id"]] == [
        "message.queued", "message.sent"]
    assert list_messages(client, customer=cleo) == list_messages(client, customer=dora) == []


def test_two_workers_running_the_campaign_at_once_queue_and_send_each_message_once(
        client, container, box, uow):
    ids = customers(uow, *[(f"Customer {n}", f"c{n}@example.com") for n in range(12)])
    for customer_id in ids:
        consent(client, customer_id)
    campaign = create(client, segment(client), container)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    small_pages = CampaignRun(page=5)
    errors = at_once(lambda: small_pages.run_once(container), lambda: send(container))
    assert errors == []
    send(container)
    received = sorted(m["To"] for m in box.mails())
    assert received == sorted(f"c{n}@example.com" for n in range(12))
    with uow() as work:
        r = campaign_recipients.c
        assert work.execute(select(func.count()).where(
            r.campaign_id == campaign["id"])).scalar() == 12
        assert work.execute(select(func.count()).where(
            messages.c.source_event_id == campaign["id"])).scalar() == 12
    assert counts(client, campaign["id"])["sent"] == 12


def test_the_throttle_lets_each_minute_send_at_most_its_count(client, container, box, uow):
    ids = customers(uow, *[(f"Customer {n}", f"c{n}@example.com") for n in range(7)])
    for customer_id in ids:
        consent(client, customer_id)
    campaign = create(client, segment(client), container, throttle_per_minute=3)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    run(container)
    sent_per_pass = []
    for _ in range(4):
        sent_per_pass.append(send(container))
        sent_per_pass.append(send(container))  # a second pass in the same minute: none
        container.clock.advance(timedelta(minutes=1))
    assert sent_per_pass == [3, 0, 3, 0, 1, 0, 0, 0]
    assert len(box.mails()) == 7


def test_cancelling_a_running_campaign_suppresses_its_queued_messages(
        client, container, box, people):
    campaign = create(client, segment(client), container, throttle_per_minute=1)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    run(container)
    assert send(container) == 1  # Ada's minute; Bernd's is the next
    cancelled = ok(client.post(f"/api/v1/campaigns/{campaign['id']}/cancel"))
    assert cancelled["status"] == "cancelled"
    assert cancelled["counts"]["sent"] == 1 and cancelled["counts"]["queued"] == 0
    assert cancelled["counts"]["skipped"]["cancelled"] == 1
    container.clock.advance(timedelta(minutes=5))
    assert send(container) == 0 and run(container) == 0
    assert [m["To"] for m in box.mails()] == ["ada@example.com"]
    problem = client.post(f"/api/v1/campaigns/{campaign['id']}/cancel")
    assert problem.status_code == 409


def test_a_test_send_reaches_only_the_given_address_marked_as_a_test(
        client, container, box, people):
    campaign = create(client, segment(client), container)
    sent = ok(client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                          json={"address": "marketing@shop.example", "language": "de"}), 202)
    assert sent["subject"] == "[Test] Winterschlussverkauf, Ada Lovelace"
    assert send(container) == 1
    [mail] = box.mails()
    assert mail["To"] == "marketing@shop.example" and mail["Subject"].startswith("[Test]")
    message = ok(client.get(f"/api/v1/messages/{sent['message_id']}"))
    assert (message["status"], message["customer_id"]) == ("sent", None)
    # a test is no part of the campaign, which is still a draft with nobody in it
    read = ok(client.get(f"/api/v1/campaigns/{campaign['id']}"))
    assert read["status"] == "draft" and read["counts"]["audience"] == 0
    for body in ({"address": "not an address"}, {"address": "a@b.example", "language": "fr"}):
        problem = assert_writes_nothing(client, lambda b=body: client.post(
            f"/api/v1/campaigns/{campaign['id']}/test-send", json=b))
        assert problem.status_code == 422


def test_following_the_unsubscribe_link_withdraws_the_marketing_consent_once(
        client, container, box, people):
    ada = people[0]
    campaign = create(client, segment(client), container)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    run(container)
    send(container)
    path = unsubscribe_path(box.to("ada@example.com")[0])
    page = client.get(path, headers={"Authorization": ""})
    assert page.status_code == 200 and "<form method=\"post\">" in page.text
    assert _marketing_email(client, ada) is True  # following the link changed nothing
    done = ok(client.post(path, headers={"Authorization": ""},
                          data={"List-Unsubscribe": "One-Click"}))
    assert (done["customer_id"], done["purpose"], done["medium"]) == (ada, "marketing",
                                                                      "email")
    assert _marketing_email(client, ada) is False
    ledger = ok(client.get(f"/api/v1/customers/{ada}/consents"))["ledger"]
    assert ledger[-1]["proof"]["campaign_id"] == campaign["id"]
    again = assert_writes_nothing(client, lambda: client.post(path))
    assert (again.status_code, again.json()["reason"]) == (409, "already_used")
    forged = assert_writes_nothing(client, lambda: client.post(path[:-3] + "xyz"))
    assert forged.status_code == 404
    # the next campaign passes Ada by: she unsubscribed
    second = create(client, campaign["segment_id"], container, name="Spring sale")
    schedule(client, second["id"])
    at_its_time(container, second)
    run(container)
    assert counts(client, second["id"])["skipped"]["unsubscribed"] == 2  # Ada and Dora


def test_consent_withdrawn_while_the_message_waits_suppresses_it(client, container, box,
                                                                  people):
    ada = people[0]
    campaign = create(client, segment(client), container)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    run(container)
    consent(client, ada, granted=False)
    send(container)
    assert [m["To"] for m in box.mails()] == ["bernd@example.de"]
    assert counts(client, campaign["id"])["skipped"]["unsubscribed"] == 2  # Ada and Dora


def test_campaigns_that_cannot_be_sent_are_refused_and_change_nothing(
        client, container, people):
    seg = segment(client)
    bad = [
        ({"content": {"en": {"subject": "Hi {{ nme }}", "text": "x"}}}, "content.en.subject"),
        ({"content": {"en": {"subject": "Hi", "text": "{% if %}"}}}, "content.en.text"),
        ({"content": {"en": {"text": "x"}}}, "content.en.subject"),
        ({"medium": "sms", "content": {"en": {"subject": "x", "text": "y"}}},
         "content.en.subject"),
        ({"default_language": "de", "content": {"en": {"subject": "x", "text": "y"}}},
         "default_language"),
        ({"segment_id": "seg_nope"}, "segment_id"),
        ({"scheduled_at": "2020-01-01T00:00:00Z"}, "scheduled_at"),
    ]
    from tests.campaign_helpers import campaign_body
    for changes, field in bad:
        response = assert_writes_nothing(client, lambda c=changes: client.post(
            "/api/v1/campaigns", json=campaign_body(seg, container, **c)))
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    campaign = create(client, seg, container, scheduled_at=None)
    no_time = assert_writes_nothing(
        client, lambda: client.post(f"/api/v1/campaigns/{campaign['id']}/schedule"))
    assert no_time.status_code == 422
    nameless = assert_writes_nothing(client, lambda: client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"name": None}))
    assert nameless.status_code == 422
    edited = ok(client.patch(f"/api/v1/campaigns/{campaign['id']}", json={
        "throttle_per_minute": 10,
        "scheduled_at": (container.clock.now() + timedelta(hours=2)).isoformat()}))
    assert (edited["version"], edited["throttle_per_minute"]) == (2, 10)
    schedule(client, campaign["id"])
    at_its_time(container, edited)
    run(container)
    running = assert_writes_nothing(client, lambda: client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"name": "Too late"}))
    assert running.status_code == 409


def _marketing_email(client, customer_id: str) -> bool:
    current = ok(client.get(f"/api/v1/customers/{customer_id}/consents"))["current"]
    return next(c["allowed"] for c in current
                if (c["purpose"], c["medium"]) == ("marketing", "email"))
