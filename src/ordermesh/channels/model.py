"""Sales channels: where orders come from."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ordermesh.tax.model import PricingMode


class ChannelKind(enum.StrEnum):
    WEB = "web"  # own web shop
    MARKETPLACE = "marketplace"  # Amazon, Flipkart, eBay, ...
    SHOP_PLATFORM = "shop_platform"  # a Shopify or WooCommerce store
    STORE = "store"  # a physical store / POS
    PHONE = "phone"
    DROPSHIP = "dropship"
    B2B = "b2b"
    SOCIAL = "social"


@dataclass(frozen=True)
class Channel:
    id: str
    code: str
    name: str
    kind: ChannelKind
    currency: str
    created_at: datetime


class CapturePolicy(enum.StrEnum):
    ORDER = "order"  # take the money when the payment is authorised
    SHIPMENT = "shipment"  # take what each shipment is worth as it ships


class TaxPoint(enum.StrEnum):
    ORDER = "order"  # the invoice is issued when the order is placed
    SHIPMENT = "shipment"  # one invoice per shipment, for what it carries


@dataclass(frozen=True)
class ChannelMoney:
    """How a channel prices, taxes, charges and invoices. Changeable, so never cached."""

    pricing_mode: PricingMode = PricingMode.INCLUSIVE
    capture_policy: CapturePolicy = CapturePolicy.ORDER
    tax_point: TaxPoint = TaxPoint.ORDER
    legal_entity_id: str | None = None
