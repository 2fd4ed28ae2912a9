"""Customers in the back office: found by name, e-mail or phone, seen whole (profile,
identities, consent, worth, segment, orders, timeline) as the API's 360 view shows them;
agents record consent and add notes and tags through the API's use cases; viewers and
warehouse staff only look; what a customer typed is shown as text."""

from __future__ import annotations

import pytest

from ordermesh.app import create_app
from tests.backoffice_helpers import csrf_of, paid_order, post_form, signed_in
from tests.helpers import ok

CUSTOMERS = "/api/v1/customers"


@pytest.fixture
def app(container):
    return create_app(container)


def _customer(client, email: str = "ada@example.com") -> dict:
    [found] = ok(client.get(CUSTOMERS, params={"email": email}))["items"]
    return found


def _ada(client, name: str = "Ada Lovelace") -> dict:
    """A paid order of 54.43 EUR (2 x TEE, 1 x MUG, shipping) by Ada, with a name and
    a phone."""
    order = paid_order(client)
    customer = _customer(client)
    ok(client.patch(f"{CUSTOMERS}/{customer['id']}", json={"name": name, "language": "de"}))
    ok(client.post(f"{CUSTOMERS}/{customer['id']}/identities",
                   json={"kind": "phone", "value": "+49 30 1234567"}), 201)
    return {"order": order, **customer}


def test_the_customer_page_shows_the_person_whole_with_links_to_their_orders(
        app, client, container):
    ada = _ada(client)
    page = signed_in(app, container, "viewer").get(f"/app/customers/{ada['id']}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Ada Lovelace" in html and "ada@example.com" in html and "language de" in html
    assert "+49301234567" in html  # the identity, in E.164
    assert '<td class="num" data-net>54.43 EUR</td>' in html
    assert '<strong id="segment">new</strong>' in html
    assert "web 1 (100 %)" in html and '<strong id="returns-rate">0.0 %</strong>' in html
    number = ada["order"]["number"]
    assert f'<a href="/app/orders/{number}">{number}</a>' in html
    assert '<td data-consent="transactional-email">yes' in html
    assert '<td data-consent="marketing-email">no' in html
    assert "customer.created" in html and "order.created" in html
    assert "Record an opt-in" not in html and "Add note" not in html  # a viewer only looks


def test_customers_are_found_by_a_part_of_their_name_or_e_mail_or_by_phone(
        app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "viewer")
    for q in ("lovelace", "ADA@EXAMPLE", "+49 30 1234567", "0049301234567"):
        found = browser.get("/app/customers", params={"q": q})
        assert found.status_code == 200
        assert f'href="/app/customers/{ada["id"]}"' in found.text, q
    nobody = browser.get("/app/customers", params={"q": "grace"})
    assert "No customers match “grace”" in nobody.text
    assert f'href="/app/customers/{ada["id"]}"' in browser.get("/app/customers").text


def test_a_customer_name_with_markup_is_shown_as_text(app, client, container):
    ada = _ada(client, name="<script>alert(1)</script>")
    browser = signed_in(app, container, "viewer")
    for url in (f"/app/customers/{ada['id']}", "/app/customers?q=script"):
        html = browser.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html


def test_an_unknown_customer_is_a_404_page(app, client, container):
    page = signed_in(app, container, "viewer").get("/app/customers/cus_nobody")
    assert page.status_code == 404
    assert "Customer &#39;cus_nobody&#39; does not exist" in page.text


def test_an_agent_records_an_opt_in_and_a_withdrawal_acting_as_themselves(
        app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "agent")
    url = f"/app/customers/{ada['id']}"
    done = post_form(browser, url, f"{url}/consents", purpose="marketing", medium="email",
                     granted="yes", level="single", proof="asked on the phone")
    assert done.status_code == 303 and done.headers["location"] == f"{url}?saved=1"
    consents = ok(client.get(f"{CUSTOMERS}/{ada['id']}/consents"))
    [entry] = consents["ledger"]
    assert (entry["purpose"], entry["medium"], entry["granted"], entry["level"],
            entry["source_channel"]) == ("marketing", "email", True, "single", "direct")
    assert entry["proof"] == {"statement": "asked on the phone",
                              "taken_by": "user:agent@shop.example"}
    assert '<td data-consent="marketing-email">yes (single)' in browser.get(url).text
    withdrawn = post_form(browser, url, f"{url}/consents", purpose="marketing",
                          medium="email", granted="no", level="single")
    assert withdrawn.status_code == 303
    ledger = ok(client.get(f"{CUSTOMERS}/{ada['id']}/consents"))["ledger"]
    assert [e["granted"] for e in ledger] == [True, False]
    events = ok(client.get("/api/v1/events", params={"type": "customer.consent_recorded"}))
    assert {e["actor"] for e in events["items"]} == {"user:agent@shop.example"}


def test_a_confirmed_opt_in_without_proof_is_refused_beside_the_form_and_nothing_changes(
        app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "agent")
    url = f"/app/customers/{ada['id']}"
    refused = post_form(browser, url, f"{url}/consents", purpose="feedback", medium="sms",
                        granted="yes", level="confirmed")
    assert refused.status_code == 422
    assert 'id="consent-error">a confirmed opt-in needs its proof' in refused.text
    assert '<option selected>sms</option>' in refused.text  # the values as typed
    unchosen = post_form(browser, url, f"{url}/consents", purpose="feedback", medium="sms")
    assert unchosen.status_code == 422 and "choose an opt-in or a withdrawal" in unchosen.text
    assert ok(client.get(f"{CUSTOMERS}/{ada['id']}/consents"))["ledger"] == []


def test_an_agent_adds_a_note_and_tags_which_keep_who_wrote_them(app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "agent")
    url = f"/app/customers/{ada['id']}"
    assert post_form(browser, url, f"{url}/notes", note="Prefers calls after 5").status_code \
        == 303
    assert post_form(browser, url, f"{url}/notes", note="Sent a voucher").status_code == 303
    for tag in ("VIP", "wholesale"):
        assert post_form(browser, url, f"{url}/tags", tag=tag).status_code == 303
    customer = ok(client.get(f"{CUSTOMERS}/{ada['id']}"))
    lines = customer["notes"].splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("agent@shop.example: Prefers calls after 5")
    assert lines[1].endswith("agent@shop.example: Sent a voucher")
    assert customer["tags"] == ["vip", "wholesale"]
    assert post_form(browser, url, f"{url}/tags/remove", tag="vip").status_code == 303
    assert ok(client.get(f"{CUSTOMERS}/{ada['id']}"))["tags"] == ["wholesale"]
    timeline = browser.get(url).text
    assert "customer.updated" in timeline and "changed tags" in timeline
    assert "user:agent@shop.example" in timeline


def test_a_tag_that_is_not_one_is_refused_and_nothing_changes(app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "agent")
    url = f"/app/customers/{ada['id']}"
    refused = post_form(browser, url, f"{url}/tags", tag="big spender!")
    assert refused.status_code == 422
    assert "&#39;big spender!&#39; is not a tag" in refused.text
    empty = post_form(browser, url, f"{url}/notes", note="   ")
    assert empty.status_code == 422 and "write the note" in empty.text
    customer = ok(client.get(f"{CUSTOMERS}/{ada['id']}"))
    assert (customer["tags"], customer["notes"]) == ([], None)


@pytest.mark.parametrize("role", ["viewer", "warehouse"])
def test_viewers_and_warehouse_staff_may_not_change_a_customer(role, app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, role)
    url = f"/app/customers/{ada['id']}"
    for action, fields in (("consents", {"purpose": "marketing", "medium": "email",
                                         "granted": "yes", "level": "single"}),
                           ("notes", {"note": "hello"}), ("tags", {"tag": "vip"})):
        refused = post_form(browser, url, f"{url}/{action}", **fields)
        assert refused.status_code == 403, action
        assert "customer.change" in refused.text
    customer = ok(client.get(f"{CUSTOMERS}/{ada['id']}"))
    assert (customer["tags"], customer["notes"]) == ([], None)
    assert ok(client.get(f"{CUSTOMERS}/{ada['id']}/consents"))["ledger"] == []


def test_a_customer_form_without_the_sessions_token_changes_nothing(app, client, container):
    ada = _ada(client)
    browser = signed_in(app, container, "agent")
    url = f"/app/customers/{ada['id']}"
    csrf_of(browser.get(url).text)
    refused = browser.post(f"{url}/tags", data={"tag": "vip", "csrf_token": "forged"},
                           follow_redirects=False)
    assert refused.status_code == 403
    assert ok(client.get(f"{CUSTOMERS}/{ada['id']}"))["tags"] == []


def test_the_order_page_links_to_its_customer(app, client, container):
    ada = _ada(client)
    page = signed_in(app, container, "viewer").get(f"/app/orders/{ada['order']['number']}")
    assert (f'<a id="customer-link" href="/app/customers/{ada["id"]}">Ada Lovelace</a>'
            in page.text)


def test_a_merged_customer_record_opens_as_the_person_with_the_orders_of_both(
        app, client, container):
    ada = _ada(client)
    second = ok(client.post("/api/v1/orders", json={
        "channel": "web", "external_id": "W-2", "customer": {"email": "ada@work.example"},
        "shipping_address": {"name": "Ada", "line1": "Main St 1", "city": "Berlin",
                             "country": "DE"},
        "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "9.50"}]}), 201)
    duplicate = _customer(client, "ada@work.example")
    ok(client.post(f"{CUSTOMERS}/{ada['id']}/merges",
                   json={"customer_id": duplicate["id"], "reason": "same person"}), 201)
    browser = signed_in(app, container, "agent")
    html = browser.get(f"/app/customers/{duplicate['id']}").text
    assert f"{duplicate['id']} was merged into this customer" in html
    assert '<h1 id="customer-name">Ada Lovelace' in html
    for number in (ada["order"]["number"], second["number"]):
        assert f'<a href="/app/orders/{number}">' in html
    assert f'action="/app/customers/{ada["id"]}/tags"' in html  # changes go to the person
