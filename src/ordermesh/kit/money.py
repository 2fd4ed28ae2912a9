"""Exact money: ``Decimal`` amounts tied to an ISO 4217 currency.

Amounts are always held at the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD).
Rounding happens only in ``Money.of`` (half-up, the commercial convention) and callers
decide where it happens: per line, never on a total, so a total is always exactly the
sum of its parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache

import pycountry
from babel.numbers import get_currency_precision

from ordermesh.kit.errors import InvalidInput

MAX_AMOUNT = Decimal("1000000000000")  # a trillion in any currency is not a real order

# ISO 4217 codes that are not money one can sell in: no currency, testing, precious
# metals, bond-market units, SDR and regional units of account.
_NOT_FOR_SALE = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC",
                           "XBD", "XDR", "XSU", "XUA"})

# ISO 4217 minor units where CLDR's (Babel's) accounting precision differs from ISO.
_ISO_MINOR_UNIT_OVERRIDES = {
    "HUF": 2, "TWD": 2, "ISK": 0, "UGX": 0, "ALL": 2, "AFN": 2, "IRR": 2, "KPW": 2, "LAK": 2,
    "LBP": 2, "MGA": 2, "MMK": 2, "RSD": 2, "SOS": 2, "SYP": 2, "YER": 2, "IQD": 3,
}


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> int:
    """Digits after the decimal point for ``currency``; raises for unknown codes."""
    if (
        not isinstance(currency, str)
        or len(currency) != 3
        or not currency.isalpha()
        or not currency.isupper()
        or pycountry.currencies.get(alpha_3=currency) is None
    ):
        raise InvalidInput.for_field(
            "currency", f"'{currency}' is not an ISO 4217 currency code", "invalid_currency"
        )
    if currency in _NOT_FOR_SALE:
        raise InvalidInput.for_field(
            "currency", f"'{currency}' is an ISO 4217 code but not a currency one can sell in",
            "invalid_currency")
    if currency in _ISO_MINOR_UNIT_OVERRIDES:
        return _ISO_MINOR_UNIT_OVERRIDES[currency]
    return get_currency_precision(currency)


def check_currency(currency: str) -> str:
    minor_unit(currency)
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build a Money, rounding half-up to the currency's minor unit."""
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise InvalidInput.for_field("amount", f"'{amount}' is not a decimal amount") from exc
        if not value.is_finite():
            raise InvalidInput.for_field("amount", "amount must be a finite number")
        quantum = Decimal(1).scaleb(-minor_unit(currency))
        return cls(value.quantize(quantum, rounding=ROUND_HALF_UP), currency)

    @classmethod
    def exact(cls, amount: Decimal | str, currency: str, field: str = "amount") -> Money:
        """Build a Money from input that must already fit the currency's minor unit."""
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise InvalidInput.for_field(field, f"'{amount}' is not a decimal amount") from exc
        if not value.is_finite():
            raise InvalidInput.for_field(field, "amount must be a finite number")
        digits = minor_unit(currency)
        if abs(value) >= MAX_AMOUNT:
            raise InvalidInput.for_field(field, f"amount '{amount}' is out of range")
        with localcontext() as exact_context:  # wide enough that nothing is rounded away
            exact_context.prec = 100
            fits = value == value.quantize(Decimal(1).scaleb(-digits))
        if not fits:
            raise InvalidInput.for_field(
                field, f"{currency} amounts have at most {digits} decimal places, got '{amount}'"
            )
        return cls.of(value, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.of(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput.for_field(
                "currency", f"cannot combine {self.currency} with {other.currency}",
                "currency_mismatch",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """Unit price times a whole quantity: exact, no rounding needed."""
        return Money(self.amount * quantity, self.currency)

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def allocate(amount: Money, weights: list[Money]) -> list[Money]:
    """Split ``amount`` in proportion to ``weights`` so the parts add up exactly.

    Largest remainder in minor units: every part is rounded down, then the units left
    over go to the parts that lost most in rounding (the earlier part on a tie).
    """
    if not weights:
        return []
    unit = Decimal(1).scaleb(-minor_unit(amount.currency))
    whole = sum((w.amount for w in weights), Decimal(0))
    if whole == 0:
        return [Money.zero(amount.currency) for _ in weights] if amount.amount == 0 else \
            allocate(amount, [Money(Decimal(1), amount.currency) for _ in weights])
    units = int(amount.amount / unit)
    exact = [Decimal(units) * w.amount / whole for w in weights]
    floors = [int(e) for e in exact]  # int() truncates towards zero, the same for negatives
    left = units - sum(floors)
    step = 1 if left >= 0 else -1
    order = sorted(range(len(weights)), key=lambda i: (-(abs(exact[i] - floors[i])), i))
    for i in order[:abs(left)]:
        floors[i] += step
    return [Money(Decimal(f) * unit, amount.currency) for f in floors]


def prorate(amount: Money, part: int, whole: int) -> Money:
    """``amount`` x part / whole, rounded half-up to the minor unit (whole > 0)."""
    if part == whole:
        return amount
    return Money.of(amount.amount * part / whole, amount.currency)
