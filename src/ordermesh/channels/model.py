"""Sales channels: where orders come from."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


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
