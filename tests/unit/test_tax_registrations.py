"""The registration rules: domestic, export, EU distance sales and the One-Stop-Shop."""

from __future__ import annotations

import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.tax.model import Place
from ordermesh.tax.registrations import (
    Registrations,
    Treatment,
    check_jurisdictions,
    determine,
)

GERMAN = Registrations(Place("DE"), frozenset())


def decide(regs, destination, *, passed=False, reverse=False):
    return determine(regs, destination, reverse_charge=reverse,
                     threshold_passed=lambda: passed)


def never_asked():
    raise AssertionError("the threshold must not be asked")


def test_a_sale_at_home_is_domestic():
    assert decide(GERMAN, Place("DE")).treatment is Treatment.DOMESTIC


def test_a_sale_outside_the_eu_is_a_zero_rated_export_with_the_vat_directive_article():
    found = decide(GERMAN, Place("CH"))
    assert found.treatment is Treatment.EXPORT and found.taxed_at is None
    assert found.reason_code == "export_outside_eu"
    assert "Art. 146" in found.reason


def test_a_us_state_without_nexus_is_not_taxed_by_a_us_seller():
    seller = Registrations(Place("US", "NY"), frozenset({"US-TX"}))
    found = decide(seller, Place("US", "CA"))
    assert found.treatment is Treatment.EXPORT
    assert found.reason == "Not registered in US-CA: no sales tax collected"
    assert decide(seller, Place("US", "TX")).treatment is Treatment.DOMESTIC
    assert decide(seller, Place("US", "NY")).treatment is Treatment.DOMESTIC


def test_a_whole_country_registration_covers_every_state_of_it():
    seller = Registrations(Place("US", "NY"), frozenset({"US"}))
    assert decide(seller, Place("US", "CA")).treatment is Treatment.DOMESTIC
    assert not seller.subnational_in("US")
    assert Registrations(Place("US", "NY"), frozenset()).subnational_in("US")


def test_an_indian_seller_registered_in_one_state_taxes_sales_to_every_state():
    seller = Registrations(Place("IN", "MH"), frozenset())
    assert decide(seller, Place("IN", "KA")).treatment is Treatment.DOMESTIC


def test_an_eu_distance_sale_below_the_threshold_carries_the_sellers_vat():
    found = decide(GERMAN, Place("FR"), passed=False)
    assert found.treatment is Treatment.HOME_VAT and found.taxed_at == Place("DE")


def test_an_eu_distance_sale_above_the_threshold_carries_the_destinations_vat():
    found = decide(GERMAN, Place("FR"), passed=True)
    assert found.treatment is Treatment.OSS and found.taxed_at == Place("FR")
    assert found.reason_code == "oss_threshold"


def test_an_oss_opt_in_or_a_registration_decides_without_the_threshold():
    opted = Registrations(Place("DE"), frozenset(), oss=True)
    assert determine(opted, Place("FR"), reverse_charge=False,
                     threshold_passed=never_asked).treatment is Treatment.OSS
    registered = Registrations(Place("DE"), frozenset({"FR"}))
    assert determine(registered, Place("FR"), reverse_charge=False,
                     threshold_passed=never_asked).treatment is Treatment.DOMESTIC


def test_reverse_charge_comes_before_everything_else():
    found = determine(GERMAN, Place("FR"), reverse_charge=True, threshold_passed=never_asked)
    assert found.treatment is Treatment.REVERSE_CHARGE


def test_registration_codes_are_countries_or_us_canadian_and_indian_states():
    assert check_jurisdictions(["ch", "US-CA", "CH"]) == ["CH", "US-CA"]
    for bad in ("FR-75", "Germany", "U1"):
        with pytest.raises(InvalidInput):
            check_jurisdictions([bad])
