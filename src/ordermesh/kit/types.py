"""Column types shared by every feature's tables."""

from __future__ import annotations

from sqlalchemy import JSON, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB

JsonColumn = JSON().with_variant(JSONB(), "postgresql")
UtcDateTime = DateTime(timezone=True)
# 18 digits with 4 decimals covers every ISO 4217 minor unit (0-4) up to 10^14.
MoneyAmount = Numeric(18, 4, asdecimal=True)
