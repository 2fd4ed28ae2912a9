"""What a seller's tax registration and locale must look like, checked with the libraries
that know: python-stdnum (VAT, GST and business numbers), Babel (locales), pycountry
(countries and their subdivisions)."""

from __future__ import annotations

import pycountry
from babel import Locale, UnknownLocaleError

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.vat_ids import MAX_TAX_ID, normalise_vat_id

__all__ = ["MAX_TAX_ID", "check_country", "check_locale", "check_region",
           "normalise_vat_id"]

# Where tax depends on the state or province, a seller must say which it is in.
REGION_REQUIRED = frozenset({"US", "CA", "IN"})


def check_country(country: str, field: str = "country") -> str:
    if (len(country) != 2 or not country.isupper()
            or pycountry.countries.get(alpha_2=country) is None):
        raise InvalidInput.for_field(field, f"'{country}' is not an ISO 3166-1 alpha-2 code",
                                     "invalid_country")
    return country


def check_region(country: str, region: str | None, field: str = "region") -> str | None:
    """An ISO 3166-2 subdivision of ``country``, given as ``MH`` or ``IN-MH``; kept as
    ``MH``. Required where tax depends on it (US, CA, IN)."""
    if region is None or not region.strip():
        if country in REGION_REQUIRED:
            raise InvalidInput.for_field(
                field, f"a seller in {country} must give its state or province (ISO 3166-2, "
                "e.g. 'MH' for Maharashtra)", "missing")
        return None
    code = region.strip().upper()
    code = code.removeprefix(f"{country}-")
    if pycountry.subdivisions.get(code=f"{country}-{code}") is None:
        raise InvalidInput.for_field(field, f"'{region}' is not a subdivision of {country} "
                                     "(ISO 3166-2)", "unknown_region")
    return code


def check_locale(value: str, field: str = "locale") -> str:
    """A locale Babel knows (``de_DE``, ``en-US`` or ``ja``), written ``de_DE``."""
    wanted = value.strip().replace("-", "_")
    try:
        locale = Locale.parse(wanted)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise InvalidInput.for_field(field, f"'{value}' is not a known locale (e.g. de_DE)",
                                     "unknown_locale") from exc
    # Babel falls back silently (en_ZZ -> en_US): only an exact match is the locale asked for.
    if str(locale).lower() != wanted.lower():
        raise InvalidInput.for_field(field, f"'{value}' is not a known locale (e.g. de_DE)",
                                     "unknown_locale")
    return str(locale)
