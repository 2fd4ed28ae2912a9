"""VAT, GST and business numbers, checked with python-stdnum: format and check digits,
not whether the number is registered (that would need the tax office's service)."""

from __future__ import annotations

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidFormat, ValidationError
from stdnum.jp import cn as jp_corporate_number
from stdnum.util import clean

from ordermesh.kit.errors import InvalidInput

# EU member states by ISO code; Greece's VAT ids start with EL, Northern Ireland's
# traders (country GB) may hold an XI id.
_EU = frozenset(cc.upper() for cc in eu_vat.MEMBER_STATES) - {"XI"}
_VAT_PREFIX = {"GR": "EL"}
_COUNTRY_OF_PREFIX = {"EL": "GR", "XI": "GB", **{c: c for c in _EU}, "GB": "GB"}
MAX_TAX_ID = 40


def normalise_vat_id(country: str, value: str, field: str = "vat_id") -> str:
    """The seller's VAT (or GST, ABN...) id for ``country``, validated and compacted.

    EU countries: the VIES form with its prefix (``DE136695976``, ``EL094259216``), the
    prefix added when missing. GB: ``GB`` + nine or twelve digits (or an ``XI`` id).
    Elsewhere python-stdnum's VAT scheme for the country when it has one (CH ``CHE...MWST``,
    NO ``...MVA``, IN GSTIN, AU ABN, CA BN, ...); JP the qualified invoice issuer number
    ``T`` + the 13-digit corporate number; a country without a scheme in python-stdnum
    (e.g. US) keeps the value as given, trimmed.
    """
    raw = " ".join(value.split())
    if not raw:
        raise InvalidInput.for_field(field, "must not be empty", "missing")
    if len(raw) > MAX_TAX_ID:
        raise InvalidInput.for_field(field, f"is longer than {MAX_TAX_ID} characters")
    try:
        if country in _EU:
            return _eu_vat_id(country, raw, field)
        if country == "GB":
            if clean(raw, " -.").upper().startswith("XI"):
                return eu_vat.validate(raw).upper()
            return "GB" + get_cc_module("gb", "vat").validate(raw)
        if country == "JP":
            compact = clean(raw, " -").upper()
            if not compact.startswith("T"):
                raise InvalidFormat()
            return "T" + jp_corporate_number.validate(compact[1:])
        module = get_cc_module(country.lower(), "vat")
        return module.validate(raw) if module is not None else raw
    except ValidationError as exc:
        raise InvalidInput.for_field(
            field, f"'{value}' is not a valid VAT id for {country}: {exc}",
            "invalid_vat_id") from exc


def _eu_vat_id(country: str, raw: str, field: str) -> str:
    prefix = _VAT_PREFIX.get(country, country)
    compact = clean(raw, " -./,").upper()
    if compact[:2].isalpha():
        given, body = compact[:2], compact[2:]
        if given not in (prefix, country):
            raise InvalidInput.for_field(
                field, f"a VAT id from {country} starts with {prefix}, not {given}",
                "invalid_vat_id")
    else:
        given, body = prefix, compact
    return prefix + eu_vat.validate(given + body)[2:].upper()


def country_of(vat_id: str) -> str | None:
    """The country a VAT id's own prefix names (EU member states and the UK), if any."""
    return _COUNTRY_OF_PREFIX.get(clean(vat_id, " -./,").upper()[:2])
