"""Pydantic field types shared by every feature's API."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money, minor_unit

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


def _currency(value: str) -> str:
    try:
        minor_unit(value)
    except InvalidInput as exc:
        raise ValueError(exc.detail) from exc
    return value


def _country(value: str) -> str:
    import pycountry

    if len(value) != 2 or not value.isupper() or pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value


def _upper(value: object) -> object:
    """Country codes are case-insensitive on input: "de" is DE."""
    return value.upper() if isinstance(value, str) else value


_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _plain_decimal(value: object) -> object:
    """An amount written as a string is plain decimal notation: "1e3", "NaN", "Infinity",
    "1_000" and " 5" are not prices (Python's Decimal would read all of them)."""
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError(f"'{value}' is not a decimal amount like 19.99")
    return value


CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=3, examples=["EUR"]), AfterValidator(_currency)
]
CountryCode = Annotated[
    str, BeforeValidator(_upper), Field(min_length=2, max_length=2, examples=["DE"]),
    AfterValidator(_country),
]
# An amount of money as input: a plain decimal string ("19.99"); JSON numbers are accepted.
DecimalAmount = Annotated[Decimal, BeforeValidator(_plain_decimal),
                          Field(allow_inf_nan=False, examples=["19.99"])]
# Money travels as a decimal string ("19.99"); numbers are accepted on input.
MoneyString = Annotated[
    DecimalAmount,
    Field(ge=0, lt=Decimal("1000000000000")),
    PlainSerializer(lambda v: str(v), return_type=str, when_used="json"),
]
AmountOut = Annotated[Decimal, PlainSerializer(lambda v: str(v), return_type=str)]


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyString
    currency: CurrencyCode

    def to_money(self, field: str = "amount") -> Money:
        return Money.exact(self.amount, self.currency, field)


class MoneyOut(BaseModel):
    amount: AmountOut = Field(examples=["19.99"])
    currency: str = Field(examples=["EUR"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(None, max_length=100, description="State, province or county")
    postal_code: str | None = Field(None, max_length=20)
    country: CountryCode


def _iso_date_only(value: object) -> object:
    """Dates travel as ISO 8601 strings; a number is not a date (pydantic would read 0
    as 1970-01-01)."""
    if isinstance(value, int | float):
        raise ValueError("a date is a string like 2026-12-01")
    return value


# Business dates (expected supply, validity, due dates) lie in this window: year 1 or 9999
# is a typo or a probe, and arithmetic on it (a date plus a lead time) would overflow.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)


def _plausible_date(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must lie between {FIRST_DATE} and {LAST_DATE}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_plausible_date),
                    Field(examples=["2026-12-01"])]

# Unicode's explicit direction controls: embeddings and overrides (U+202A..U+202E) and
# isolates (U+2066..U+2069). In an identifier they make one value display as another
# (a tracking number or reference that reads differently from what it matches).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi_controls(value: str) -> str:
    if _BIDI_CONTROLS.search(value):
        raise ValueError("may not contain Unicode direction controls (U+202A..U+202E, "
                         "U+2066..U+2069)")
    return value


# An identifier from another system (a channel's order number, a PO or 3PL reference, a
# tracking number, a supplier's SKU): any printable text but the direction controls.
Identifier = Annotated[str, AfterValidator(no_bidi_controls)]
