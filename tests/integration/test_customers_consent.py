"""Consent: an append-only ledger per purpose and medium, and ``may_contact``."""

from __future__ import annotations

import pytest

from ordermesh.customers.consent import may_contact
from ordermesh.kit.errors import InvalidInput
from tests.customer_helpers import customer_shop, order
from tests.helpers import ok

ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}
PROOF = {"confirmation_link_clicked_at": "2026-11-26T12:03:00Z", "ip": "192.0.2.10",
         "form": "checkout newsletter box"}


def _consent(client, cid: str, status: int = 201, **body) -> dict:
    return ok(client.post(f"/api/v1/customers/{cid}/consents", json=body), status)


def _allowed(uow, cid: str, purpose: str, medium: str) -> bool:
    with uow() as unit:
        return may_contact(unit.conn, cid, purpose, medium)


def test_an_opt_in_and_its_withdrawal_are_both_kept_and_the_newest_decides(client, uow):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    assert not _allowed(uow, cid, "marketing", "email")
    assert _allowed(uow, cid, "transactional", "email")
    _consent(client, cid, purpose="marketing", medium="email", granted=True,
             level="confirmed", source_channel="web", proof=PROOF)
    assert _allowed(uow, cid, "marketing", "email")
    assert not _allowed(uow, cid, "marketing", "sms")
    assert not _allowed(uow, cid, "feedback", "email")
    _consent(client, cid, purpose="marketing", medium="email", granted=False,
             source_channel="direct")
    assert not _allowed(uow, cid, "marketing", "email")
    state = ok(client.get(f"/api/v1/customers/{cid}/consents"))
    assert [(e["granted"], e["level"]) for e in state["ledger"]] == [(True, "confirmed"),
                                                                    (False, None)]
    assert state["ledger"][0]["proof"] == PROOF
    now = {(c["purpose"], c["medium"]): c["allowed"] for c in state["current"]}
    assert len(now) == 16 and not now[("marketing", "email")]
    assert now[("transactional", "sms")]


def test_a_customer_who_objects_gets_no_transactional_messages_on_that_medium(client, uow):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    _consent(client, cid, purpose="transactional", medium="sms", granted=False,
             source_channel="direct", proof={"call": "2026-11-26 customer asked"})
    assert not _allowed(uow, cid, "transactional", "sms")
    assert _allowed(uow, cid, "transactional", "email")


def test_a_marketplace_customer_starts_without_marketing_and_cannot_opt_in_through_it(
        client, uow):
    customer_shop(client)
    cid = order(client, {"email": "relay-1@marketplace.example"}, channel="amazon-de"
                )["customer_id"]
    for medium in ("email", "sms", "whatsapp", "push"):
        assert not _allowed(uow, cid, "marketing", medium)
    refused = _consent(client, cid, 422, purpose="marketing", medium="email", granted=True,
                       level="single", source_channel="amazon-de")
    assert refused["errors"][0]["field"] == "source_channel"
    assert ok(client.get(f"/api/v1/customers/{cid}/consents"))["ledger"] == []
    # transactional messages about their orders still reach them
    assert _allowed(uow, cid, "transactional", "email")


@pytest.mark.parametrize("body,field", [
    ({"purpose": "spam", "medium": "email", "granted": True, "level": "single"}, "purpose"),
    ({"purpose": "marketing", "medium": "fax", "granted": True, "level": "single"}, "medium"),
    ({"purpose": "marketing", "medium": "email", "granted": True}, "level"),
    ({"purpose": "marketing", "medium": "email", "granted": True, "level": "triple"}, "level"),
    ({"purpose": "marketing", "medium": "email", "granted": True, "level": "confirmed"},
     "proof"),
    ({"purpose": "marketing", "medium": "email", "granted": False, "level": "single"},
     "level"),
    ({"purpose": "marketing", "medium": "email", "granted": True, "level": "single",
      "source_channel": "nowhere"}, "source_channel"),
])
def test_bad_consent_input_is_refused_naming_the_field_and_records_nothing(client, body,
                                                                          field):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    refused = _consent(client, cid, 422, **{"source_channel": "web", **body})
    assert refused["errors"][0]["field"] == field
    assert ok(client.get(f"/api/v1/customers/{cid}/consents"))["ledger"] == []


def test_may_contact_refuses_unknown_purposes_and_never_allows_an_unknown_customer(
        client, uow):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    with pytest.raises(InvalidInput):
        _allowed(uow, cid, "spam", "email")
    with pytest.raises(InvalidInput):
        _allowed(uow, cid, "marketing", "carrier-pigeon")
    assert not _allowed(uow, "cus_nobody", "transactional", "email")


def test_consent_given_on_a_merged_duplicate_counts_for_the_person(client, uow):
    customer_shop(client)
    a = order(client, ADA)["customer_id"]
    b = order(client, {"email": "ada.l@example.org"})["customer_id"]
    _consent(client, b, purpose="feedback", medium="email", granted=True, level="single",
             source_channel="web")
    assert not _allowed(uow, a, "feedback", "email")
    ok(client.post(f"/api/v1/customers/{a}/merges", json={"customer_id": b,
                                                           "reason": "same person"}), 201)
    assert _allowed(uow, a, "feedback", "email") and _allowed(uow, b, "feedback", "email")
