"""Connectors: one interface every shop platform speaks, and the records around it.

A connector turns a platform's signed webhook into our ``ChannelOrder`` and our
intents (a stock level, a shipment with its tracking, a cancellation) into the
platform's own REST calls. It holds no state: the account (base URL, credentials,
settings) is given to it, and every call it makes takes the HTTP client it is handed, so
the worker decides timeouts and nothing remote ever runs inside a transaction.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import httpx


class Platform(enum.StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    AMAZON = "amazon"


class WebhookIntent(enum.StrEnum):
    """What a platform's delivery asks of us, whatever the platform calls it."""

    CREATE = "create"  # a new order: place it
    CANCEL = "cancel"  # the platform cancelled the order


class InboxStatus(enum.StrEnum):
    PLACED = "placed"  # the order was placed from this webhook
    ALREADY_PLACED = "already_placed"  # another webhook placed the same platform order
    REFUSED = "refused"  # could not be placed: unknown SKU, short stock, ... (``reason``)
    CANCELLED = "cancelled"  # the platform cancelled the order and so did we
    IGNORED = "ignored"  # a topic or order we have nothing to do with (``reason``)


class PushKind(enum.StrEnum):
    STOCK = "stock"  # the available-to-sell of one SKU for the channel
    FULFILMENT = "fulfilment"  # units shipped, with carrier and tracking
    CANCELLATION = "cancellation"  # the order was cancelled here
    REFUND = "refund"  # money was given back here on the platform's order


class PushStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up: attempts exhausted, or refused for good (4xx)


class WebhookRefused(Exception):
    """The webhook's signature does not match its body (or is missing)."""


class PayloadInvalid(Exception):
    """The webhook body is not the platform's order: ``errors`` as (field, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


@dataclass(frozen=True)
class ChannelAddress:
    name: str
    line1: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class ChannelLine:
    platform_line_id: str
    sku: str
    quantity: int
    unit_price: Decimal  # as the platform charged it, before the line's discount
    discount: Decimal = Decimal(0)  # off the whole line


@dataclass(frozen=True)
class ChannelOrder:
    """A platform's order in our terms, prices exactly as the channel charged them."""

    external_id: str
    name: str  # the number the shop shows the buyer (#1001)
    currency: str
    taxes_included: bool
    lines: list[ChannelLine]
    shipping_price: Decimal
    email: str | None
    customer_name: str | None
    phone: str | None
    customer_account_id: str | None
    address: ChannelAddress | None
    cancelled: bool = False
    paid: bool = False  # the platform took the buyer's money for the whole order


@dataclass(frozen=True)
class StockLevel:
    sku: str
    available: int
    listing: Mapping[str, Any]  # the platform's ids of the SKU (inventory item, ...)


@dataclass(frozen=True)
class ShippedLine:
    sku: str
    quantity: int
    platform_line_id: str


@dataclass(frozen=True)
class FulfilmentNotice:
    external_id: str
    lines: list[ShippedLine]
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    complete: bool = False  # nothing of the order is left to ship
    shipment_id: str | None = None  # ours: the same on every retry of the push
    shipped_at: datetime | None = None


@dataclass(frozen=True)
class RefundedLine:
    platform_line_id: str
    quantity: int
    amount: Decimal  # what the units were refunded, tax included
    tax: Decimal  # the tax contained in ``amount``


@dataclass(frozen=True)
class RefundNotice:
    """Money we gave back on a platform's order. ``refund_id`` (ours) goes into the
    platform's refund note, so a repeated push finds the refund it already made."""

    external_id: str
    refund_id: str
    amount: Decimal  # the whole refund, tax included
    currency: str
    lines: list[RefundedLine]  # empty for a goodwill amount, a cancellation or an edit
    reason: str | None

    @property
    def note(self) -> str:
        return f"{self.reason or 'Refunded'} (ordermesh {self.refund_id})"


@dataclass(frozen=True)
class CallResult:
    """What one push got: the platform's status code and what it said (kept short)."""

    status_code: int | None
    detail: str | None = None
    retry_after_s: float | None = None  # the platform's Retry-After on a 429
    give_up: bool = False  # nothing to send it to: retrying cannot help

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def final(self) -> bool:
        """Refused for good: retrying the same request cannot succeed."""
        return self.give_up or (self.status_code is not None and 400 <= self.status_code < 500
                                and self.status_code not in (408, 409, 423, 429))


@dataclass(frozen=True)
class PolledOrder:
    """One platform order as its list endpoint shows it now."""

    version: str  # the platform's last-modified time of this state of the order
    topic: str  # the webhook topic that would have brought this state
    payload: Any
    created_at: datetime | None = None  # when the platform took the order, if it says
    external_id: str | None = None  # the platform's order id, when not ``payload["id"]``


def platform_time(value: Any) -> datetime | None:
    """An ISO 8601 time as a platform writes it; one without an offset is UTC (GMT)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PolledPage:
    """One page of a platform's orders updated since a time; ``result`` says whether it
    was read. ``next_cursor`` is the platform's handle of the next page (None: the last)."""

    result: CallResult
    orders: list[PolledOrder] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass(frozen=True)
class Account:
    """A connector account as the connector needs it, credentials open."""

    id: str
    code: str
    platform: Platform
    channel: str  # our channel code
    base_url: str
    credentials: Mapping[str, str]
    settings: Mapping[str, Any]
    active: bool


class Connector(Protocol):
    """What every platform adapter does; each call takes the worker's HTTP client."""

    def verify(self, headers: Mapping[str, str], raw: bytes) -> None:
        """Raise ``WebhookRefused`` unless the body is signed with the account's secret."""
        ...

    def webhook_id(self, headers: Mapping[str, str]) -> str | None:
        """The platform's id of this delivery: the same on every retry of it."""
        ...

    def topic(self, headers: Mapping[str, str]) -> str:
        ...

    def is_ping(self, headers: Mapping[str, str], raw: bytes) -> bool:
        """A platform's unsigned test of the address (WooCommerce's, when a webhook is
        saved): answered 200, nothing read or written."""
        ...

    def intent(self, topic: str, payload: Any) -> WebhookIntent | None:
        """What the delivery asks; None for a topic (or an update) we take no action on."""
        ...

    def ignored_because(self, topic: str, payload: Any) -> str | None:
        """Why an order ``intent`` takes no action on is not placed, in the platform's
        terms (an order not paid yet, one the marketplace fulfils); None: the default."""
        ...

    def parse_order(self, payload: Any) -> ChannelOrder:
        """The platform's order JSON in our terms; ``PayloadInvalid`` when it is not one."""
        ...

    def listings(self, client: httpx.Client) -> dict[str, dict[str, Any]]:
        """SKU -> the platform's ids of that SKU, for stock pushes."""
        ...

    def poll_orders(self, client: httpx.Client, since: datetime, cursor: str | None,
                    page_size: int) -> PolledPage:
        """One page of the orders updated since ``since`` (``cursor`` None: the first
        page), in an order that new and changed orders can only be added to, never
        shift out of, while the pages are walked."""
        ...

    def push_stock(self, client: httpx.Client, level: StockLevel) -> CallResult:
        ...

    def push_fulfilment(self, client: httpx.Client, notice: FulfilmentNotice) -> CallResult:
        ...

    def push_cancellation(self, client: httpx.Client, external_id: str,
                          reason: str | None) -> CallResult:
        ...

    def push_refund(self, client: httpx.Client, notice: RefundNotice) -> CallResult:
        """Record the refund on the platform's order, once: a refund whose note names
        ``notice.refund_id`` is there already after a lost answer."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits up to ``base * 2**(n-1)``
    (at most ``cap``), or the platform's Retry-After when it said one."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    timeout_s: float = 10.0
    lease: timedelta = field(default=timedelta(minutes=2))

    def next_attempt(self, now: datetime, attempt: int, result: CallResult,
                     rng: random.Random | None = None) -> datetime | None:
        """When to try again after ``attempt`` failed, or None to give up."""
        if result.final or attempt >= self.max_attempts:
            return None
        if result.retry_after_s is not None:
            return now + timedelta(seconds=min(result.retry_after_s, self.cap.total_seconds()))
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        spread = (rng or random).uniform(0.5, 1.0)  # never sooner than half the step
        return now + ceiling * spread
