"""Tax rate periods and the tax ledger."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import MoneyAmount, UtcDateTime

# One row per component of a tax class in a country (or region) for a period of days.
# ``region`` is '' for the whole country; ``valid_to`` is the last day (NULL: open-ended).
tax_rates = Table(
    "tax_rates",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("region", String(3), nullable=False),
    Column("tax_class", String(20), nullable=False),
    Column("jurisdiction", String(6), nullable=False),
    Column("name", String(40), nullable=False),
    Column("rate_percent", MoneyAmount, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("source", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Only sign checks on MoneyAmount columns: SQLite stores them scaled by 10^4.
    CheckConstraint("rate_percent >= 0", name="rate_not_negative"),
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period_ordered"),
    CheckConstraint("tax_class IN ('standard', 'reduced', 'super_reduced')",
                    name="rated_class"),
    UniqueConstraint("country", "region", "tax_class", "jurisdiction", "name", "valid_from",
                     name="uq_tax_rates_period_start"),
    Index("ix_tax_rates_lookup", "country", "region", "valid_from"),
    # At most one open-ended period per component: the database refuses a second one.
    Index("ix_tax_rates_one_open_period", "country", "region", "tax_class", "jurisdiction",
          "name", unique=True, sqlite_where=text("valid_to IS NULL"),
          postgresql_where=text("valid_to IS NULL")),
    info={"config": True},  # kit.config_cache
)

# The tax ledger: append only. Refunds and cancellations are negative entries.
tax_entries = Table(
    "tax_entries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("document", String(20), nullable=False),
    Column("document_id", String(40)),
    Column("tax_point", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("jurisdiction", String(6), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(3), nullable=False),
    Column("name", String(40), nullable=False),
    Column("rate_percent", MoneyAmount, nullable=False),
    Column("taxable_amount", MoneyAmount, nullable=False),
    Column("tax_amount", MoneyAmount, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # the seller, and the destination country of the sale (which differs from the
    # jurisdiction for an EU distance sale taxed at the seller's own VAT)
    Column("legal_entity_id", String(40)),
    Column("destination", String(2)),
    CheckConstraint("document IN ('order', 'edit', 'refund', 'cancellation')",
                    name="known_document"),
    CheckConstraint("rate_percent >= 0", name="entry_rate_not_negative"),
    CheckConstraint("(taxable_amount >= 0 AND tax_amount >= 0) OR "
                    "(taxable_amount <= 0 AND tax_amount <= 0)", name="amounts_same_sign"),
    Index("ix_tax_entries_report", "tax_point", "country"),
    Index("ix_tax_entries_order", "order_id"),
    Index("ix_tax_entries_entity", "legal_entity_id", "tax_point"),
)

# Where a legal entity is registered for tax besides its own country (tax.registrations):
# "CH", "US-CA", "CA-QC", "IN-KA".
tax_registrations = Table(
    "tax_registrations",
    metadata,
    Column("legal_entity_id", String(40), primary_key=True),
    Column("jurisdiction", String(6), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache
)

# A legal entity's EU One-Stop-Shop opt-in (absent: not opted in).
tax_schemes = Table(
    "tax_schemes",
    metadata,
    Column("legal_entity_id", String(40), primary_key=True),
    Column("oss", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache
)
