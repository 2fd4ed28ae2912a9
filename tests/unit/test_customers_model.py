"""Customer rules without a database: phone numbers, identities, consent, RFM segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.customers.model import (
    ConsentEntry,
    IdentityKind,
    Medium,
    OptInLevel,
    Purpose,
    allows,
    current_consent,
    identity_of,
    normalise_phone,
)
from ordermesh.flows.customer_view import rfm_segment
from ordermesh.kit.errors import InvalidInput

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _entry(purpose: Purpose, medium: Medium, granted: bool, minutes: int) -> ConsentEntry:
    return ConsentEntry(purpose, medium, granted, OptInLevel.SINGLE if granted else None,
                        "direct", None, T0 + timedelta(minutes=minutes), "test")


@pytest.mark.parametrize("given,region,stored", [
    ("+44 20 7946 0018", None, "+442079460018"),
    ("+44 (20) 7946-0018", "DE", "+442079460018"),
    ("020 7946 0018", "GB", "+442079460018"),  # national, read in the shipping country
    ("0044 20 7946 0018", "DE", "+442079460018"),  # Germany dials out with 00
    ("030 1234567", "DE", "+49301234567"),
])
def test_a_phone_number_is_stored_in_e164_whatever_its_formatting(given, region, stored):
    assert normalise_phone(given, region) == stored


@pytest.mark.parametrize("given,region", [("12", "GB"), ("020 7946 0018", None),
                                          ("+44 1", None), ("not a phone", "DE"),
                                          ("+44 20 12", None), ("+4930", None)])
def test_a_number_that_is_no_phone_number_is_refused_naming_the_field(given, region):
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(given, region, "customer.phone")
    assert refused.value.errors[0].field == "customer.phone"


def test_an_identity_keeps_e_mails_in_lower_case_and_accounts_per_channel():
    assert identity_of("email", " Ada@Example.COM ").value == "ada@example.com"
    account = identity_of("account", "A1B2C3", "amazon-de")
    assert (account.kind, account.channel) == (IdentityKind.ACCOUNT, "amazon-de")
    with pytest.raises(InvalidInput):
        identity_of("account", "A1B2C3")  # which channel's?
    with pytest.raises(InvalidInput):
        identity_of("fax", "+4930123456")


def test_transactional_messages_are_allowed_until_the_customer_objects():
    state = current_consent([])
    assert allows(state, Purpose.TRANSACTIONAL, Medium.EMAIL)
    state = current_consent([_entry(Purpose.TRANSACTIONAL, Medium.SMS, False, 1)])
    assert not allows(state, Purpose.TRANSACTIONAL, Medium.SMS)
    assert allows(state, Purpose.TRANSACTIONAL, Medium.EMAIL)


def test_marketing_needs_an_opt_in_and_the_newest_entry_decides():
    assert not allows(current_consent([]), Purpose.MARKETING, Medium.EMAIL)
    ledger = [_entry(Purpose.MARKETING, Medium.EMAIL, True, 1)]
    assert allows(current_consent(ledger), Purpose.MARKETING, Medium.EMAIL)
    assert not allows(current_consent(ledger), Purpose.MARKETING, Medium.SMS)
    ledger.append(_entry(Purpose.MARKETING, Medium.EMAIL, False, 2))
    assert not allows(current_consent(ledger), Purpose.MARKETING, Medium.EMAIL)
    ledger.append(_entry(Purpose.MARKETING, Medium.EMAIL, True, 3))
    assert allows(current_consent(ledger), Purpose.MARKETING, Medium.EMAIL)


@pytest.mark.parametrize("recency,frequency,segment", [
    (None, 0, "prospect"), (3, 1, "new"), (60, 1, "active"), (10, 6, "champion"),
    (120, 3, "loyal"), (120, 6, "loyal"), (200, 4, "at_risk"), (200, 2, "lapsed"),
    (400, 9, "lapsed"),
])
def test_the_rfm_segment_follows_recency_and_frequency(recency, frequency, segment):
    assert rfm_segment(recency, frequency) == segment
