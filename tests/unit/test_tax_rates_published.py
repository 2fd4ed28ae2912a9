"""The shipped rate data (``tax/data/rates.csv``) against rates typed by hand from the
tax authorities' own publications, not from that file: a wrong or stale row fails here
even when the engine wiring is right.

Sources (the rates in force on 2026-01-01):
- EU member states: European Commission, "VAT rates applied in the Member States of the
  European Union" (taxation-customs.ec.europa.eu, TEDB), with the national changes it
  lists: Estonia 24 % from 2025-07-01 (Riigikogu, VAT Act amendment), Slovakia 23/19/5 %
  from 2025-01-01 (Act 278/2024), Romania 21/11 % from 2025-08-01 (Law 141/2025),
  Finland 25.5 % from 2024-09-01 and 13.5 % instead of 14 % from 2026-01-01 (Vero),
  Lithuania 12 % and 5 % instead of 9 % from 2026-01-01 (Law XV-287);
- United Kingdom: HMRC, "VAT rates on different goods and services";
- Switzerland: Swiss Federal Tax Administration (ESTV/FTA), "VAT rates" (8.1, 2.6, 3.8
  from 2024-01-01);
- Norway: Skatteetaten, "Merverdiavgift - satser" (25, 15, 12);
- India: GST Council, 56th meeting (rates in force from 2025-09-22: 5, 18, 40;
  3 and 0.25 for precious metals and stones);
- Australia: ATO, "GST" (10, no reduced rate);
- Japan: National Tax Agency, "Consumption tax" (10, 8 reduced);
- Canada: CRA, "GST/HST rates" (GST 5; HST Ontario 13, Nova Scotia 14 from 2025-04-01,
  New Brunswick, Newfoundland and Labrador, Prince Edward Island 15); Revenu Québec
  (QST 9.975); British Columbia PST 7; Manitoba RST 7; Saskatchewan PST 6.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ordermesh.tax.seed import RateRow, read_rates

ON = date(2026, 1, 1)
ROWS = read_rates()


def _rates(*values: str) -> frozenset[Decimal]:
    return frozenset(Decimal(v) for v in values)


# country -> (standard rate, every reduced and super-reduced rate published)
PUBLISHED: dict[str, tuple[Decimal, frozenset[Decimal]]] = {
    "AT": (Decimal("20"), _rates("10", "13")),
    "BE": (Decimal("21"), _rates("6", "12")),
    "BG": (Decimal("20"), _rates("9")),
    "CY": (Decimal("19"), _rates("5", "9", "3")),
    "CZ": (Decimal("21"), _rates("12")),
    "DE": (Decimal("19"), _rates("7")),
    "DK": (Decimal("25"), _rates()),
    "EE": (Decimal("24"), _rates("9", "13")),
    "ES": (Decimal("21"), _rates("10", "4")),
    "FI": (Decimal("25.5"), _rates("13.5", "10")),
    "FR": (Decimal("20"), _rates("5.5", "10", "2.1")),
    "GR": (Decimal("24"), _rates("6", "13")),
    "HR": (Decimal("25"), _rates("5", "13")),
    "HU": (Decimal("27"), _rates("5", "18")),
    "IE": (Decimal("23"), _rates("9", "13.5", "4.8")),
    "IT": (Decimal("22"), _rates("5", "10", "4")),
    "LT": (Decimal("21"), _rates("5", "12")),
    "LU": (Decimal("17"), _rates("8", "14", "3")),
    "LV": (Decimal("21"), _rates("5", "12")),
    "MT": (Decimal("18"), _rates("5", "7", "12")),
    "NL": (Decimal("21"), _rates("9")),
    "PL": (Decimal("23"), _rates("5", "8")),
    "PT": (Decimal("23"), _rates("6", "13")),
    "RO": (Decimal("21"), _rates("11")),
    "SE": (Decimal("25"), _rates("6", "12")),
    "SI": (Decimal("22"), _rates("5", "9.5")),
    "SK": (Decimal("23"), _rates("5", "19")),
    "GB": (Decimal("20"), _rates("5")),
    "CH": (Decimal("8.1"), _rates("2.6", "3.8")),
    "NO": (Decimal("25"), _rates("12", "15")),
    "IN": (Decimal("18"), _rates("5", "3", "0.25")),
    "AU": (Decimal("10"), _rates()),
    "JP": (Decimal("10"), _rates("8")),
}

# Canadian province -> the components of the standard rate: {jurisdiction: rate}
CANADA: dict[str, dict[str, Decimal]] = {
    **{p: {"CA": Decimal("5")} for p in ("AB", "NT", "NU", "YT")},
    "BC": {"CA": Decimal("5"), "CA-BC": Decimal("7")},
    "MB": {"CA": Decimal("5"), "CA-MB": Decimal("7")},
    "SK": {"CA": Decimal("5"), "CA-SK": Decimal("6")},
    "QC": {"CA": Decimal("5"), "CA-QC": Decimal("9.975")},
    "ON": {"CA-ON": Decimal("13")},
    "NS": {"CA-NS": Decimal("14")},
    **{p: {f"CA-{p}": Decimal("15")} for p in ("NB", "NL", "PE")},
}

# (country, region, date, standard rate) the day before a published change took effect
BEFORE_A_CHANGE = [
    ("EE", "", date(2025, 6, 30), Decimal("22")),
    ("FI", "", date(2024, 8, 31), Decimal("24")),
    ("SK", "", date(2024, 12, 31), Decimal("20")),
    ("RO", "", date(2025, 7, 31), Decimal("19")),
    ("CH", "", date(2023, 12, 31), Decimal("7.7")),
    ("LU", "", date(2023, 12, 31), Decimal("16")),
    ("CA", "NS", date(2025, 3, 31), Decimal("15")),
]


def in_force(country: str, region: str, tax_class: str, on: date) -> list[RateRow]:
    return [r for r in ROWS if (r.country, r.region, r.tax_class) == (country, region, tax_class)
            and r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)]


def test_the_published_table_covers_every_country_the_data_has_but_the_us():
    assert set(PUBLISHED) | {"CA", "US"} == {r.country for r in ROWS}
    assert set(CANADA) == {r.region for r in ROWS if r.country == "CA"}


@pytest.mark.parametrize("country", sorted(PUBLISHED))
def test_the_shipped_standard_rate_is_the_published_one(country):
    standard, _ = PUBLISHED[country]
    assert [r.rate_percent for r in in_force(country, "", "standard", ON)] == [standard]


@pytest.mark.parametrize("country", sorted(PUBLISHED))
def test_the_shipped_reduced_rates_are_published_reduced_rates(country):
    _, reduced = PUBLISHED[country]
    shipped = [r.rate_percent for tax_class in ("reduced", "super_reduced")
               for r in in_force(country, "", tax_class, ON)]
    assert set(shipped) <= reduced, f"{country}: {shipped} not among {sorted(reduced)}"
    if reduced:
        assert in_force(country, "", "reduced", ON), f"{country} has a reduced rate"
    else:
        assert shipped == [], f"{country} has no reduced rate"


@pytest.mark.parametrize("province", sorted(CANADA))
def test_each_canadian_province_pays_the_published_gst_hst_pst_or_qst(province):
    shipped = {r.jurisdiction: r.rate_percent for r in in_force("CA", province, "standard", ON)}
    assert shipped == CANADA[province]


@pytest.mark.parametrize(("country", "region", "day", "standard"), BEFORE_A_CHANGE)
def test_the_rate_before_a_published_change_is_kept_for_its_period(
        country, region, day, standard):
    assert sum(r.rate_percent for r in in_force(country, region, "standard", day)) == standard
