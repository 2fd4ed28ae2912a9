"""A seller's VAT id, region and locale are checked by the libraries that know them."""

from __future__ import annotations

import pytest

from ordermesh.invoices.identifiers import check_locale, check_region, normalise_vat_id
from ordermesh.kit.errors import InvalidInput


@pytest.mark.parametrize(("country", "given", "stored"), [
    ("DE", "de 136 695 976", "DE136695976"),
    ("DE", "136695976", "DE136695976"),  # the country prefix is added
    ("FR", "FR 40 303 265 045", "FR40303265045"),
    ("GR", "094259216", "EL094259216"),  # Greece's VAT prefix is EL
    ("GR", "GR094259216", "EL094259216"),
    ("AT", "ATU13585627", "ATU13585627"),
    ("GB", "GB 980 7806 84", "GB980780684"),
    ("GB", "XI980780684", "XI980780684"),  # Northern Ireland
    ("CH", "CHE-116.281.710 MWST", "CHE116281710MWST"),
    ("NO", "NO 995 525 828 MVA", "995525828MVA"),
    ("IN", "27aapfu0939f1zv", "27AAPFU0939F1ZV"),  # GSTIN
    ("AU", "51 824 753 556", "51824753556"),  # ABN
    ("JP", "T5-8356-7825-6246", "T5835678256246"),  # qualified invoice issuer number
    ("US", " 12-3456789 ", "12-3456789"),  # no VAT scheme: kept as given
])
def test_vat_ids_are_validated_and_normalised_for_the_sellers_country(country, given, stored):
    assert normalise_vat_id(country, given) == stored


@pytest.mark.parametrize(("country", "given"), [
    ("DE", "DE136695977"),  # check digit
    ("DE", "FR40303265045"),  # another country's id
    ("AU", "51 824 753 557"),
    ("CH", "CHE-116.281.711"),
    ("IN", "27AAPFU0939F1ZX"),
    ("JP", "5835678256246"),  # without the T
    ("GB", "GB123"),
])
def test_an_invalid_vat_id_is_refused_on_the_field(country, given):
    with pytest.raises(InvalidInput) as refused:
        normalise_vat_id(country, given)
    assert refused.value.errors[0].field == "vat_id"
    assert refused.value.errors[0].code == "invalid_vat_id"


def test_locales_are_known_to_babel_and_written_with_an_underscore():
    assert check_locale("de-DE") == "de_DE"
    assert check_locale("ja_JP") == "ja_JP"
    for unknown in ("xx_YY", "en_ZZ", "", "../etc"):
        with pytest.raises(InvalidInput):
            check_locale(unknown)


def test_regions_are_iso_subdivisions_and_required_where_tax_depends_on_them():
    assert check_region("IN", "in-mh") == "MH"
    assert check_region("US", "CA") == "CA"
    assert check_region("DE", None) is None
    with pytest.raises(InvalidInput):
        check_region("US", None)
    with pytest.raises(InvalidInput):
        check_region("IN", "XX")
