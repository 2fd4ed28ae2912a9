"""The shipped rate data is complete and consistent; VAT ids are checked with stdnum."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

import pycountry
import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.tax.model import EU_MEMBERS, RATED_CLASSES
from ordermesh.tax.seed import read_rates
from ordermesh.tax.service import normalise_vat_id

ROWS = read_rates()
US_STATES_AND_DC = 51


def test_the_data_covers_every_country_the_issue_names():
    countries = {r.country for r in ROWS}
    assert EU_MEMBERS | {"GB", "CH", "NO", "IN", "US", "CA", "AU", "JP"} == countries
    assert len({r.region for r in ROWS if r.country == "US"}) == US_STATES_AND_DC
    assert len({r.region for r in ROWS if r.country == "CA"}) == 13


def test_every_row_is_well_formed():
    for r in ROWS:
        assert r.tax_class in RATED_CLASSES, r
        assert Decimal(0) <= r.rate_percent < 100, r
        assert r.valid_to is None or r.valid_to >= r.valid_from, r
        assert r.source.startswith("https://"), r
        if r.region:
            assert pycountry.subdivisions.get(code=f"{r.country}-{r.region}") is not None, r
        assert r.jurisdiction.partition("-")[0] == r.country, r


def test_no_component_has_overlapping_periods():
    periods = defaultdict(list)
    for r in ROWS:
        periods[(r.country, r.region, r.tax_class, r.jurisdiction, r.name)].append(r)
    for key, rows in periods.items():
        rows.sort(key=lambda r: r.valid_from)
        for before, after in pairwise(rows):
            assert before.valid_to is not None and before.valid_to < after.valid_from, key
        assert sum(r.valid_to is None for r in rows) <= 1, key


def test_every_country_has_a_standard_rate_from_the_first_day_of_the_data():
    first_day = min(r.valid_from for r in ROWS)
    places = {(r.country, r.region) for r in ROWS}
    for country, region in places:
        assert any(r.valid_from == first_day and r.tax_class == "standard"
                   for r in ROWS if (r.country, r.region) == (country, region)), country


def test_a_valid_vat_id_comes_back_compact():
    assert normalise_vat_id("fr 40 303 265 045") == "FR40303265045"
    assert normalise_vat_id("EL 094259216") == "EL094259216"


@pytest.mark.parametrize("vat_id", ["DE136695977", "FR123", "XX123456789", "", "DE"])
def test_an_invalid_vat_id_is_refused_on_the_buyer_vat_id_field(vat_id):
    with pytest.raises(InvalidInput) as exc:
        normalise_vat_id(vat_id)
    assert exc.value.errors[0].field == "buyer_vat_id"
    assert exc.value.errors[0].code == "invalid_vat_id"
