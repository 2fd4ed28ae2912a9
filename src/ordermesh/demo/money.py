"""The demo shop's money: who sells, at what price, and replaying what is planned for it.

Set up with the reference data: a legal entity per country the shop sells from (the
German GmbH for every euro channel, a UK Ltd for the pound web shop), each channel linked
to its seller with its pricing, capture and invoicing settings, and a price list per
channel plus a fortnight of candle prices on the German web shop. What then happens to the
money (``money_plan``) is replayed with the orders, one use case per transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from ordermesh.channels.model import CapturePolicy, ChannelMoney, TaxPoint
from ordermesh.demo.catalogue import CHANNELS, PRODUCTS
from ordermesh.demo.money_plan import Amend, MarkPaid, MoneyStep, Pay, Refund, Settle
from ordermesh.demo.timeline import LOCAL, charm, local_time
from ordermesh.flows.order_edits import edit_order
from ordermesh.invoices.entities import CreateLegalEntity, create_legal_entity
from ordermesh.invoices.model import Address
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import InsufficientStock
from ordermesh.orders.changes import release_hold
from ordermesh.orders.refunds import refund_order
from ordermesh.payments.model import PaymentStatus
from ordermesh.payments.service import (
    AuthoriseRequest,
    authorise_payment,
    capture,
    order_payments,
    sync_payment,
)
from ordermesh.pricing.model import Validity
from ordermesh.pricing.service import CreatePriceList, SkuAmount, create_price_list, set_prices

UowAt = Callable[[datetime], UnitOfWork]

# ------------------------------------------------------------------------ setting up

_ENTITIES = (
    CreateLegalEntity(
        "nordlys-de", "Nordlys Home & Fashion GmbH",
        Address(("Torstraße 125",), "Berlin", "DE", "10119"), "DE", "de_DE",
        vat_id="DE294618379", email="rechnung@nordlys-home.example",
        tax_ids={"Steuernummer": "37/512/61874",
                 "Handelsregister": "HRB 218734 B, Amtsgericht Charlottenburg"},
        invoice_prefix="DE-RE-", credit_note_prefix="DE-GS-"),
    CreateLegalEntity(
        "nordlys-uk", "Nordlys UK Ltd",
        Address(("71 Shoreditch High Street",), "London", "GB", "E1 6JJ"), "GB", "en_GB",
        vat_id="GB284716335", email="invoices@nordlys-home.example",
        tax_ids={"Company number": "14209376"},
        invoice_prefix="UK-INV-", credit_note_prefix="UK-CN-"),
)
SELLERS = len(_ENTITIES)
_SELLER = {"GBP": "nordlys-uk"}  # every other currency: the German GmbH
# Amazon charges the buyer when the parcel leaves and invoices per shipment; everything
# else is paid at checkout and invoiced with the order. Prices always include VAT.
_SETTINGS = {"amazon-de": (CapturePolicy.SHIPMENT, TaxPoint.SHIPMENT)}
# A marketplace owns its prices: its list holds ours, so the difference shows per line.
_OUR_PRICES = frozenset({"amazon-de"})
_PROMO = ("web-de-candle-fortnight", "Candle fortnight (web shop DE): 15% off",
          ("Candles", "Fragrance"), Decimal("0.85"))


def create_legal_entities(uow_at: UowAt, at: datetime) -> dict[str, str]:
    """The sellers, with their invoice and credit-note series; code -> id."""
    ids = {}
    for cmd in _ENTITIES:
        with uow_at(at) as uow:
            ids[cmd.code] = create_legal_entity(uow, cmd).id
    return ids


def channel_money(channel: str, entities: dict[str, str]) -> ChannelMoney:
    currency = next(c.currency for c in CHANNELS if c.code == channel)
    capture_policy, tax_point = _SETTINGS.get(channel, (CapturePolicy.ORDER, TaxPoint.ORDER))
    return ChannelMoney(capture_policy=capture_policy, tax_point=tax_point,
                        legal_entity_id=entities[_SELLER.get(currency, "nordlys-de")])


def create_price_lists(uow_at: UowAt, at: datetime, now: datetime,
                       prices: dict[str, dict[str, Decimal]]) -> int:
    """A list per channel valid from ``at`` on, and two weeks of candle prices ending two
    days before ``now``; how many lists."""
    ours = {p.sku: p.price for p in PRODUCTS}
    for channel in CHANNELS:
        listed = ours if channel.code in _OUR_PRICES else prices[channel.code]
        code = f"{channel.code}-list"
        with uow_at(at) as uow:
            create_price_list(uow, CreatePriceList(code, f"{channel.name}: list prices",
                                                   channel.code, validity=Validity(at)))
        with uow_at(at) as uow:
            set_prices(uow, code, [SkuAmount(sku, amount) for sku, amount in listed.items()])
    code, name, categories, factor = _PROMO
    start = local_time(now.astimezone(LOCAL).date() - timedelta(days=16), 0)
    with uow_at(at) as uow:
        create_price_list(uow, CreatePriceList(code, name, "web-de", priority=10,
                                               validity=Validity(start, start + timedelta(14))))
    with uow_at(at) as uow:
        set_prices(uow, code, [SkuAmount(p.sku, charm(prices["web-de"][p.sku] * factor))
                               for p in PRODUCTS if p.category in categories])
    return len(CHANNELS) + 1


class MoneyLoader:
    """Replays planned steps through the use cases, one transaction each."""

    def __init__(self, uow_at: UowAt) -> None:
        self.uow_at = uow_at
        self.counts = {"payments": 0, "declined": 0, "pending": 0,
                       "refunds": 0, "edits": 0, "skipped": 0}

    def apply(self, step: MoneyStep, order_id: str) -> None:
        handler = {Pay: self._pay, Settle: self._settle, MarkPaid: self._mark_paid,
                   Refund: self._refund, Amend: self._amend}[type(step)]
        handler(step, order_id)

    def _pay(self, step: Pay, order_id: str) -> None:
        done = authorise_payment(self._at(step.at), order_id, AuthoriseRequest(
            step.provider, method=step.method, source=step.source, capture=step.capture))
        key = {PaymentStatus.DECLINED: "declined", PaymentStatus.PENDING: "pending"}.get(
            done.payment.status, "payments")
        self.counts[key] += 1

    def _at(self, at: datetime) -> Transactions:
        return Transactions(lambda: self.uow_at(at))

    def _payments(self, at: datetime, order_id: str, status: PaymentStatus) -> list[str]:
        with self.uow_at(at) as uow:
            return [p.id for p in order_payments(uow, order_id).payments if p.status is status]

    def _settle(self, step: Settle, order_id: str) -> None:
        for payment_id in self._payments(step.at, order_id, PaymentStatus.PENDING):
            with self.uow_at(step.at) as uow:
                settled = sync_payment(uow, payment_id)
            self.counts["pending"] -= 1
            if settled.status is PaymentStatus.AUTHORISED:  # the shop captures at checkout
                capture(self._at(step.at), payment_id)
            approved = settled.status in (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED)
            self.counts["payments" if approved else "declined"] += 1

    def _mark_paid(self, step: MarkPaid, order_id: str) -> None:
        for payment_id in self._payments(step.at, order_id, PaymentStatus.AUTHORISED):
            capture(self._at(step.at), payment_id)

    def _refund(self, step: Refund, order_id: str) -> None:
        with self.uow_at(step.at) as uow:
            refund_order(uow, order_id, step.request)
        self.counts["refunds"] += 1

    def _amend(self, step: Amend, order_id: str) -> None:
        try:
            with self.uow_at(step.at) as uow:
                edit_order(uow, order_id, step.edits, step.reason)
        except InsufficientStock:  # the unit asked for has sold out meanwhile
            self.counts["skipped"] += 1
            return
        if step.release_hold:
            with self.uow_at(step.at) as uow:
                release_hold(uow, order_id, "Delivery address changed")
        self.counts["edits"] += 1

    def summary(self) -> str:
        c = self.counts
        return (f"money: {c['payments']} payments taken, {c['declined']} declined, "
                f"{c['pending']} awaiting 3-D Secure; "
                f"{c['refunds']} refunds, {c['edits']} edits")
