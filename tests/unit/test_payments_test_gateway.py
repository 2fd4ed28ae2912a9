"""The test gateway's card numbers, without a database (its state is tested in
tests/integration/test_payments_gateway.py)."""

from __future__ import annotations

import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.payments.model import Outcome
from ordermesh.payments.providers import get_provider, provider_names
from ordermesh.payments.providers.test import (
    TEST_CARDS,
    _card_for,
    _normalised_number,
    card_brand,
    luhn_valid,
)


def test_every_listed_test_card_passes_the_luhn_check():
    assert all(luhn_valid(number) for number in TEST_CARDS)


@pytest.mark.parametrize(("number", "outcome", "code"), [
    ("4242424242424242", Outcome.APPROVED, None),
    ("5555555555554444", Outcome.APPROVED, None),
    ("4000000000000002", Outcome.DECLINED, "card_declined"),
    ("4000000000009995", Outcome.DECLINED, "insufficient_funds"),
    ("4000000000009987", Outcome.DECLINED, "lost_card"),
    ("4000000000009979", Outcome.DECLINED, "stolen_card"),
    ("4000000000000069", Outcome.DECLINED, "expired_card"),
    ("4000000000000127", Outcome.DECLINED, "incorrect_cvc"),
    ("4000000000000119", Outcome.FAILED, "processing_error"),
    ("4000000000003220", Outcome.PENDING, "authentication_required"),
    ("4000008400001629", Outcome.PENDING, "authentication_required"),
    ("4242424242424241", Outcome.DECLINED, "incorrect_number"),  # fails the Luhn check
    ("4111111111111111", Outcome.DECLINED, "test_mode_live_card"),  # not a test card here
])
def test_each_card_number_gets_the_answer_a_real_test_gateway_gives(number, outcome, code):
    card = _card_for(number)
    assert (card.outcome, card.code) == (outcome, code)


def test_a_3d_secure_card_can_settle_as_approved_or_as_declined():
    assert _card_for("4000000000003220").settles_as is Outcome.APPROVED
    declined = _card_for("4000008400001629")
    assert (declined.settles_as, declined.settle_code) == (Outcome.DECLINED, "card_declined")


def test_one_card_is_charged_fine_but_refused_every_refund():
    card = _card_for("4000000000005126")
    assert card.outcome is Outcome.APPROVED and card.refunds_fail


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"), ("378282246310005", "amex"),
    ("6011111111111117", "discover"), ("3566002020360505", "jcb"),
    ("30569309025904", "diners"),
])
def test_the_brand_comes_from_the_leading_digits(number, brand):
    assert card_brand(number) == brand


def test_spaces_and_dashes_in_a_card_number_are_ignored():
    assert _normalised_number("4242 4242-4242 4242") == "4242424242424242"


@pytest.mark.parametrize("source", [None, "", "abcd", "4242", "4" * 20, "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"])
def test_anything_but_12_to_19_ascii_digits_is_not_a_card_number(source):
    with pytest.raises(InvalidInput) as refused:
        _normalised_number(source)
    assert refused.value.errors[0].field == "source"


def test_providers_are_found_by_name_and_an_unknown_one_is_invalid_input():
    assert provider_names() == ["manual", "store_credit", "test"]
    assert get_provider("test").name == "test"
    with pytest.raises(InvalidInput) as refused:
        get_provider("stripe")
    assert refused.value.errors[0].code == "unknown_provider"
