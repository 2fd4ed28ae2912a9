"""The campaigns section of docs/messaging.md, captured by ``capture_messaging_examples.py``
(which calls ``campaigns``): a winter sale to a segment of everyone reaches the two
customers who opted in to marketing e-mails, one a minute; one of them unsubscribes
through the link in the e-mail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from capture_kit import quietly, say

from ordermesh.flows.campaigns import CampaignRun
from ordermesh.messaging.jobs import MessageSender

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
EVERYONE = ["prospect", "new", "champion", "loyal", "active", "at_risk", "lapsed"]


def _run(container) -> None:
    CampaignRun().run_once(container)
    MessageSender().run_once(container)


def _customer(client, email: str) -> str:
    found = quietly(client, "GET", f"/api/v1/customers?email={email}")["items"]
    return found[0]["id"]


def _show_mail(mail) -> None:
    print("\n```text")
    for name in ("To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"):
        if mail[name] is not None:
            print(f"{name}: {str(mail[name]).strip()}")
    print()
    print(mail.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n"))
    print("```")


def campaigns(client, rec, clock, container, box) -> None:
    clock.set(START)
    ada = _customer(client, "ada@example.com")
    bernd = _customer(client, "bernd@example.de")
    for who in (ada, bernd):
        quietly(client, "POST", f"/api/v1/customers/{who}/consents", {
            "purpose": "marketing", "medium": "email", "granted": True, "level": "single",
            "source_channel": "direct"}, status=(201,))
    segment = quietly(client, "POST", "/api/v1/segments",
                      {"name": "Everyone", "rules": {"rfm": EVERYONE}})
    say(f"""
## Campaigns

A campaign is one message to the members of a saved [segment](customers.md#segments),
by e-mail or SMS, sent from a scheduled time under the **marketing** consent purpose, at
most `throttle_per_minute` a minute. Its content is written per language as sandboxed
Jinja2 templates (the environment of the built-in templates: `money` and `date` format
in the customer's locale), which see `name`, `unsubscribe_url` and `locale`; any other
variable, or a template that does not render with a sample customer, is refused when it
is saved (`422`, the error per field). A customer gets the language of their profile
when the campaign is written in it, else its `default_language`.

* `POST /api/v1/campaigns` writes a draft; `PATCH /api/v1/campaigns/{{id}}` edits a draft
  or a scheduled one (`version` counts the edits); `POST …/schedule` schedules a draft
  with a time; `POST …/cancel` cancels a draft, scheduled or running one, suppressing
  its queued messages; `POST …/test-send` sends it to one address, marked as a test.
* At the scheduled time the worker's `campaigns` job starts it (`campaign.started`) and
  **freezes its audience**: the segment's members at that moment, evaluated 100
  customers a transaction, each member recorded once (unique per campaign and
  customer, so a crash or a second worker queues nobody twice). A member without a
  current marketing opt-in for the medium in the consent ledger is skipped
  (`no_consent`, or `unsubscribed` when they withdrew it), as is one without an address
  (`no_address`), with an address that bounced (`undeliverable`) or whose address
  another member has (`duplicate_address`). Everyone else gets one message (type
  `campaign`, `message.queued`), rendered then, with their own unsubscribe link.
* The n-th message is due `n // throttle_per_minute` minutes after the start; the
  sender (`message-sender`, after commit, with its timeouts and retries) takes only due
  messages, so no minute sends more than the throttle. Before each attempt it asks
  consent again (withdrawn meanwhile: suppressed, counted `unsubscribed`), the frequency
  cap (`frequency_cap`) and quiet hours (deferred: marketing always waits for the
  customer's quiet hours or contact hours to end; counted in `waiting_quiet_hours`).
* When every member was looked at and every message is finished, the campaign is
  `completed` (`campaign.completed`, with its counts). Its messages are ordinary
  messages: in `GET /api/v1/messages?type=campaign`, and on the customer's timeline.
* Every campaign e-mail ends with an unsubscribe footer and carries the one-click
  headers of RFC 8058 (`List-Unsubscribe`, `List-Unsubscribe-Post`). The link,
  `{{public_url}}/unsubscribe/{{token}}`, is the credential (no API key; only a hash of the
  token is stored). `GET` shows a page with one button, so a mail scanner following
  links unsubscribes nobody; `POST` (the button, or the mail client's one-click request)
  records a withdrawal of the customer's marketing consent for the medium in the
  [consent ledger](customers.md#consent) (`customer.consent_recorded`). A link we did not
  send is `404`, one used before `409`.

The segment `Everyone` (`{segment['id']}`) holds every customer of this page; Ada and
Bernd (who reads German) opted in to marketing e-mails, nobody else did. The campaign,
written in English and German, one e-mail a minute:
""")
    body = {"name": "Winter sale", "segment_id": segment["id"], "medium": "email",
            "content": {
                "en": {"subject": "Winter sale: 20% off linen, {{ name }}",
                       "text": "Hello {{ name }},\n\neverything linen is 20% off until "
                               "Sunday."},
                "de": {"subject": "Winterschlussverkauf: 20 % auf Leinen, {{ name }}",
                       "text": "Hallo {{ name }},\n\nalles aus Leinen ist bis Sonntag "
                               "20 % günstiger."}},
            "default_language": "en", "throttle_per_minute": 1,
            "scheduled_at": (START + timedelta(hours=1)).isoformat()}
    created = rec.call("A campaign, written", "POST", "/api/v1/campaigns", body=body)
    path = f"/api/v1/campaigns/{created['id']}"
    say("""
A test goes to the address given, and only there: rendered for a sample customer, with
"[Test]" before the subject, sent by the worker like any message. It is no part of the
campaign's counts:
""")
    rec.call("A test send", "POST", f"{path}/test-send",
             body={"address": "marketing@linen-clay.example", "language": "de"})
    MessageSender().run_once(container)
    _show_mail(box.to("marketing@linen-clay.example")[-1])
    scheduled = quietly(client, "POST", f"{path}/schedule")
    assert scheduled["status"] == "scheduled"
    say("""
The test send has no unsubscribe headers and its link leads nowhere. `POST …/schedule`
answers with the campaign, now `scheduled`; it waits for its time. At 10:00 the worker
freezes the audience and queues two messages, the first due at once, the second a
minute later:
""")
    clock.set(START + timedelta(hours=1))
    _run(container)
    running = rec.call("Running: one sent, one waiting for its minute", "GET", path)
    assert running["counts"]["sent"] == 1 and running["counts"]["queued"] == 1
    clock.set(START + timedelta(hours=1, minutes=1))
    _run(container)
    _run(container)
    done = quietly(client, "GET", path)
    assert done["status"] == "completed" and done["counts"]["sent"] == 2
    say(f"""
A minute later Bernd's is sent too, and the campaign is `{done['status']}` (finished at
{done['finished_at']}), its counts:
""")
    print("```json")
    print(json.dumps(done["counts"], indent=2))
    print("```")
    [mail] = box.to("bernd@example.de")[-1:]
    say("What Bernd received:")
    _show_mail(mail)
    link = urlsplit(str(mail["List-Unsubscribe"]).strip().strip("<>").strip()).path
    say("""
Bernd follows the link and presses the button (or his mail client sends the one-click
request): his marketing consent for e-mail is withdrawn in the ledger, and the next
campaign skips him as `unsubscribed`:
""")
    result = rec.call("Unsubscribed (one-click)", "POST", link, auth=None,
                      raw=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert result["customer_id"] == bernd
    again = rec.call("The link used again", "POST", link, auth=None)
    assert again["status"] == 409
    say("""
### Bad input and cancelling

Content that does not render with a sample customer is refused with the error per
field, and nothing is saved:
""")
    bad = rec.call("An unknown variable", "POST", "/api/v1/campaigns", body={
        **body, "content": {"en": {"subject": "Hello {{ first_name }}", "text": "Hi"}}})
    assert bad["status"] == 422
    second = quietly(client, "POST", "/api/v1/campaigns", {**body, "name": "Spring sale",
                     "scheduled_at": (START + timedelta(days=1)).isoformat()})
    quietly(client, "POST", f"/api/v1/campaigns/{second['id']}/schedule")
    say("A scheduled campaign is cancelled before its time; a running one would have its "
        "queued messages suppressed (`skipped.cancelled`):")
    rec.call("Cancelled", "POST", f"/api/v1/campaigns/{second['id']}/cancel")
