"""Legal entities, their invoice series and the invoices they issued.

``invoices`` rows are written once: the migration adds triggers (SQLite and PostgreSQL)
that refuse any UPDATE or DELETE, so "never changed once issued" holds in the database
and not only in the code.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")
KINDS = "kind IN ('invoice', 'credit_note')"

legal_entities = Table(
    "legal_entities",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", JsonColumn, nullable=False),  # {lines, postal_code, city, region, country}
    Column("country", String(2), nullable=False),
    Column("region", String(10)),
    Column("vat_id", String(40)),
    Column("tax_ids", JsonColumn, nullable=False),  # {"EORI": "DE123...", ...}
    Column("email", String(254)),
    Column("locale", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache
)

invoice_series = Table(
    "invoice_series",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("prefix", String(50), nullable=False),
    # The sequence the next document of this series gets; taken and raised by one
    # conditional UPDATE in the issuing transaction, so numbers have no gaps.
    Column("next_number", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("next_number >= 1", name="next_number_positive"),
    CheckConstraint(KINDS, name="series_kind"),
    # Unique per legal entity across kinds: an invoice and a credit note never share a number.
    UniqueConstraint("legal_entity_id", "prefix"),
    # One active series per legal entity and kind.
    Index("uq_invoice_series_active", "legal_entity_id", "kind", unique=True,
          sqlite_where=text("active"), postgresql_where=text("active")),
)

invoices = Table(
    "invoices",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), nullable=False),
    Column("series_id", String(40), ForeignKey("invoice_series.id"), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("number", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("order_id", String(40), nullable=False),  # no FK: invoices outlive order changes
    Column("order_number", String(40), nullable=False),
    Column("corrects_invoice_id", String(40), ForeignKey("invoices.id")),
    Column("corrects_number", String(80)),
    # a replacement invoice (after an edit): the number(s) of the invoice(s) it replaces
    Column("replaces_number", String(200)),
    Column("reference", String(100)),  # what caused it (shipment, refund): issued once
    Column("issued_at", UtcDateTime, nullable=False),
    Column("tax_point", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(20), nullable=False),
    Column("seller", JsonColumn, nullable=False),
    Column("buyer", JsonColumn, nullable=False),
    Column("lines", JsonColumn, nullable=False),
    Column("tax_breakdown", JsonColumn, nullable=False),
    Column("net_amount", MoneyAmount, nullable=False),
    Column("tax_amount", MoneyAmount, nullable=False),
    Column("gross_amount", MoneyAmount, nullable=False),
    Column("reverse_charge", Boolean, nullable=False),
    Column("note", String(2000)),
    Column("payment", JsonColumn),  # {status, methods, due_date} when it was issued
    CheckConstraint("sequence >= 1", name="sequence_positive"),
    CheckConstraint(KINDS, name="invoice_kind"),
    CheckConstraint("net_amount >= 0 AND tax_amount >= 0 AND "
                    "gross_amount = net_amount + tax_amount", name="amounts_add_up"),
    CheckConstraint("(kind = 'invoice' AND corrects_invoice_id IS NULL) OR "
                    "(kind = 'credit_note' AND corrects_invoice_id IS NOT NULL "
                    "AND gross_amount > 0)", name="credit_note_corrects_an_invoice"),
    CheckConstraint("NOT reverse_charge OR tax_amount = 0", name="reverse_charge_without_tax"),
    UniqueConstraint("series_id", "sequence"),
    UniqueConstraint("legal_entity_id", "number"),
    UniqueConstraint("order_id", "reference"),
    Index("ix_invoices_legal_entity_seq", "legal_entity_id", "seq"),
    Index("ix_invoices_corrects_invoice_id", "corrects_invoice_id"),
    Index("ix_invoices_issued_at", "issued_at"),
)
