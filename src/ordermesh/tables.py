"""Imports every feature's tables so that ``metadata`` knows the whole schema."""

from ordermesh.apikeys import tables as apikeys_tables
from ordermesh.backoffice import tables as backoffice_tables
from ordermesh.catalog import tables as catalog_tables
from ordermesh.channels import tables as channels_tables
from ordermesh.connectors import tables as connectors_tables
from ordermesh.credit import tables as credit_tables
from ordermesh.customers import tables as customers_tables
from ordermesh.dropship import tables as dropship_tables
from ordermesh.events import tables as events_tables
from ordermesh.feedback import tables as feedback_tables
from ordermesh.fulfilment import tables as fulfilment_tables
from ordermesh.inventory import tables as inventory_tables
from ordermesh.invoices import tables as invoices_tables
from ordermesh.kit import config_cache, idempotency, outbox
from ordermesh.kit.db import metadata
from ordermesh.locations import tables as locations_tables
from ordermesh.messaging import tables as messaging_tables
from ordermesh.orders import tables as orders_tables
from ordermesh.packing import tables as packing_tables
from ordermesh.payments import tables as payments_tables
from ordermesh.pricing import tables as pricing_tables
from ordermesh.purchasing import tables as purchasing_tables
from ordermesh.returns import tables as returns_tables
from ordermesh.shipping import tables as shipping_tables
from ordermesh.sourcing import tables as sourcing_tables
from ordermesh.suppliers import tables as suppliers_tables
from ordermesh.tax import tables as tax_tables
from ordermesh.webhooks import tables as webhooks_tables

__all__ = [
    "apikeys_tables",
    "backoffice_tables",
    "catalog_tables",
    "channels_tables",
    "config_cache",
    "connectors_tables",
    "credit_tables",
    "customers_tables",
    "dropship_tables",
    "events_tables",
    "feedback_tables",
    "fulfilment_tables",
    "idempotency",
    "inventory_tables",
    "invoices_tables",
    "locations_tables",
    "messaging_tables",
    "metadata",
    "orders_tables",
    "outbox",
    "packing_tables",
    "payments_tables",
    "pricing_tables",
    "purchasing_tables",
    "returns_tables",
    "shipping_tables",
    "sourcing_tables",
    "suppliers_tables",
    "tax_tables",
    "webhooks_tables",
]
