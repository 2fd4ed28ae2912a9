"""Column types shared by every feature's tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonColumn = JSON().with_variant(JSONB(), "postgresql")
UtcDateTime = DateTime(timezone=True)

MONEY_SCALE = 4  # covers every ISO 4217 minor unit (0 to 4)


class ScaledDecimal(TypeDecorator):
    """A decimal kept as an integer count of 10^-4 units.

    SQLite has no exact decimal type: its NUMERIC affinity stores 19.99 as a binary float.
    Integers are exact there, and sums over them stay exact.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(MONEY_SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {MONEY_SCALE} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-MONEY_SCALE)


# Up to 10^14 with four decimals: exact NUMERIC on PostgreSQL, scaled integer on SQLite.
MoneyAmount = Numeric(18, MONEY_SCALE, asdecimal=True).with_variant(ScaledDecimal(), "sqlite")
