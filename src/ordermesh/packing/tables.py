"""Tables of the packing feature."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

packaging_types = Table(
    "packaging_types",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("length_mm", Integer, nullable=False),
    Column("width_mm", Integer, nullable=False),
    Column("height_mm", Integer, nullable=False),
    Column("max_weight_g", Integer, nullable=False),
    Column("own_weight_g", Integer, nullable=False),
    Column("cost_amount", MoneyAmount, nullable=False),
    Column("cost_currency", String(3), nullable=False),
    Column("handling", JsonColumn, nullable=False),
    Column("gift_wrap", Boolean, nullable=False),
    # The catalogue product whose stock is this packaging material (optional).
    Column("material_sku", String(64)),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("length_mm > 0 AND width_mm > 0 AND height_mm > 0",
                    name="dimensions_positive"),
    CheckConstraint("max_weight_g > own_weight_g AND own_weight_g >= 0", name="weights"),
)

# The hazmat mark text a product's packages carry, e.g. "UN3481 Lithium ion batteries
# packed with equipment". Keyed by SKU; products without one get a generic mark.
hazmat_marks = Table(
    "hazmat_marks",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("mark", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One row ("default"): what new SSCCs are built from.
sscc_settings = Table(
    "sscc_settings",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("extension_digit", Integer, nullable=False),
    Column("company_prefix", String(10), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("extension_digit BETWEEN 0 AND 9", name="extension_digit"),
)

# The next serial reference per (company prefix, extension digit): taken with a
# conditional UPDATE in the packing transaction, so a serial is never handed out twice.
sscc_counters = Table(
    "sscc_counters",
    metadata,
    Column("company_prefix", String(10), nullable=False),
    Column("extension_digit", Integer, nullable=False),
    Column("next_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    PrimaryKeyConstraint("company_prefix", "extension_digit"),
    CheckConstraint("next_serial >= 0 AND next_serial <= last_serial + 1", name="serial_range"),
)

packages = Table(
    "packages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("fulfilment_order_id", String(40), nullable=False),
    Column("batch_id", String(40), nullable=False),  # one packing request
    Column("seq", Integer, nullable=False),  # n of m within the fulfilment order
    Column("source", String(20), nullable=False),  # packed here | external (3PL)
    Column("sscc", String(18), unique=True),
    Column("packaging_type_id", String(40), ForeignKey("packaging_types.id")),
    Column("packaging_code", String(40)),
    Column("weight_g", Integer),
    Column("weight_estimated", Boolean, nullable=False),
    Column("length_mm", Integer),
    Column("width_mm", Integer),
    Column("height_mm", Integer),
    Column("marks", JsonColumn, nullable=False),
    Column("notes", JsonColumn, nullable=False),
    Column("warnings", JsonColumn, nullable=False),
    Column("gift_wrap", Boolean, nullable=False),
    Column("why", Text),
    Column("cost_amount", MoneyAmount),
    Column("cost_currency", String(3)),
    Column("packaging_shortfall", Integer, nullable=False),  # units of material not in stock
    Column("tracking_number", String(100)),
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("fulfilment_order_id", "seq"),
    Index("ix_packages_batch_id", "batch_id"),
)

package_lines = Table(
    "package_lines",
    metadata,
    Column("package_id", String(40), ForeignKey("packages.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    PrimaryKeyConstraint("package_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)
