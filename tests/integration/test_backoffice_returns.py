"""The returns desk: returns waiting for a person, grouped by what they wait for; an agent
authorises or rejects a request and refunds a received return, through the same use cases
as the API; roles that may not decide or refund are refused and nothing changes."""

from __future__ import annotations

import pytest

from ordermesh.app import create_app
from tests.backoffice_helpers import post_form, signed_in
from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, shipped_order


@pytest.fixture
def app(container):
    return create_app(container)


def _reviewed(client) -> None:
    """Requests on channel 'web' wait for a person instead of being authorised at once."""
    ok(client.put("/api/v1/return-policies/web", json={"auto_authorise": False}))


def _receive_all(client, ret: dict) -> None:
    ok(client.post(f"{RETURNS}/{ret['id']}/receipts", json={"location": "ber", "lines": [
        {"line_no": ln["line_no"], "quantity": ln["quantity"], "grade": "as_new",
         "disposition": "restock"} for ln in ret["lines"]]}), 201)


def _section(html: str, heading: str) -> str:
    start = html.index(f"<h2>{heading}")
    end = html.find("<h2>", start + 4)
    return html[start:end if end != -1 else None]


def test_the_desk_groups_returns_by_what_they_wait_for(app, client, container):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"),))
    _reviewed(client)
    waiting = ok(ask(client, order, [(1, 1, "size_or_fit")]), 201)
    to_refund = ok(ask(client, order, [(1, 1, "defective")]), 201)
    ok(client.post(f"{RETURNS}/{to_refund['id']}/authorise", json={}))
    _receive_all(client, to_refund)
    page = signed_in(app, container, "viewer").get("/app/returns")
    assert page.status_code == 200
    assert waiting["number"] in _section(page.text, "Waiting for a decision (1)")
    assert to_refund["number"] in _section(page.text, "Received, to inspect or refund (1)")
    assert "Authorised, waiting for the parcel (0)" in page.text


def test_an_agent_authorises_a_request_and_the_return_records_who(app, client, container):
    order = shipped_order(client)
    _reviewed(client)
    ret = ok(ask(client, order, [(1, 2, "changed_mind")]), 201)
    browser = signed_in(app, container, "agent")
    url = f"/app/returns/{ret['number']}"
    done = post_form(browser, url, f"{url}/authorise", reason="regular customer")
    assert done.status_code == 303
    after = ok(client.get(f"{RETURNS}/{ret['id']}"))
    assert after["status"] == "authorised"
    assert after["timeline"][-1]["actor"] == "user:agent@shop.example"
    assert after["timeline"][-1]["reason"] == "regular customer"


def test_a_rejection_needs_a_reason_and_is_recorded_with_it(app, client, container):
    order = shipped_order(client)
    _reviewed(client)
    ret = ok(ask(client, order, [(1, 1, "changed_mind")]), 201)
    browser = signed_in(app, container, "agent")
    url = f"/app/returns/{ret['number']}"
    refused = post_form(browser, url, f"{url}/reject", reason="  ")
    assert refused.status_code == 422 and "say why the return is rejected" in refused.text
    assert ok(client.get(f"{RETURNS}/{ret['id']}"))["status"] == "requested"
    assert post_form(browser, url, f"{url}/reject", reason="worn").status_code == 303
    after = ok(client.get(f"{RETURNS}/{ret['id']}"))
    assert (after["status"], after["status_reason"]) == ("rejected", "worn")


def test_a_received_return_is_refunded_from_its_page(app, client, container):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"),))
    ret = ok(ask(client, order, [(1, 2, "defective")]), 201)  # the default policy authorises
    _receive_all(client, ret)
    browser = signed_in(app, container, "agent")
    url = f"/app/returns/{ret['number']}"
    before = browser.get(url).text
    assert "Refund and resolve" in before
    assert '<th class="num" id="refund-preview">40.00 EUR</th>' in before
    assert post_form(browser, url, f"{url}/refund").status_code == 303
    after = ok(client.get(f"{RETURNS}/{ret['id']}"))
    assert after["status"] == "resolved"
    assert (after["refund"]["amount"], after["refund"]["actor"]) == (
        "40.00", "user:agent@shop.example")
    page = browser.get(url).text
    assert "Refund and resolve" not in page and "40.00 EUR" in page


def test_refunding_before_the_parcel_arrived_says_why_and_changes_nothing(
        app, client, container):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 1, "defective")]), 201)
    browser = signed_in(app, container, "operator")
    url = f"/app/returns/{ret['number']}"
    refused = post_form(browser, url, f"{url}/refund")
    assert refused.status_code == 409
    assert "waits for its units" in refused.text and "Refund and resolve" not in refused.text
    assert ok(client.get(f"{RETURNS}/{ret['id']}"))["status"] == "authorised"


@pytest.mark.parametrize("role", ["viewer", "warehouse"])
def test_roles_without_the_permission_may_look_but_not_decide_or_refund(
        app, client, container, role):
    order = shipped_order(client)
    _reviewed(client)
    ret = ok(ask(client, order, [(1, 1, "defective")]), 201)
    browser = signed_in(app, container, role)
    url = f"/app/returns/{ret['number']}"
    assert browser.get(url).status_code == 200
    for action in ("authorise", "refund"):
        answer = post_form(browser, url, f"{url}/{action}", reason="x")
        assert answer.status_code == 403 and "may not do this" in answer.text
    assert ok(client.get(f"{RETURNS}/{ret['id']}"))["status"] == "requested"


def test_an_unknown_return_is_a_page_that_says_so(app, client, container):
    page = signed_in(app, container, "viewer").get("/app/returns/R-NOPE")
    assert page.status_code == 404 and "R-NOPE" in page.text
