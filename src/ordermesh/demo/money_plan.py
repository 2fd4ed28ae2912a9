"""What happens to the demo's money, planned before anything is written: pure and
deterministic for a seed, like the orders it follows.

Customers pay as they check out: cards on the test gateway (a few declined, some waiting
for 3-D Secure), cash at the till, card, bank transfer or cash on delivery on the phone;
Amazon's cards are captured as parcels leave. Bank transfers arrive days later. Some
older orders (shipped by the floor, ``floor.py``) come back or get a goodwill refund, and
a few recent ones are edited: a unit more, a unit fewer, a new delivery address.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ordermesh.demo.timeline import PlannedChange, PlannedOrder
from ordermesh.orders.edits import Edit, EditOp
from ordermesh.orders.model import ShippingAddress
from ordermesh.orders.refunds import RefundLine, RefundRequest
from ordermesh.payments.model import PaymentMethod


@dataclass(frozen=True)
class MoneyStep:
    at: datetime
    order_key: int


@dataclass(frozen=True)
class Pay(MoneyStep):
    provider: str
    source: str | None
    method: PaymentMethod | None = None
    capture: bool = True


@dataclass(frozen=True)
class Settle(MoneyStep):
    """3-D Secure done: ask the gateway, and capture what it approved."""


@dataclass(frozen=True)
class MarkPaid(MoneyStep):
    """A bank transfer arrived: a person marks the manual payment paid."""


@dataclass(frozen=True)
class Refund(MoneyStep):
    request: RefundRequest


@dataclass(frozen=True)
class Amend(MoneyStep):
    edits: list[Edit]
    reason: str
    release_hold: bool = False


CARDS = ("4242424242424242", "5555555555554444", "4000056655665556", "378282246310005")
CARD_WEIGHTS = (50, 30, 12, 8)
DECLINED = ("4000000000000002", "4000000000009995", "4000000000000069")
THREE_DS, THREE_DS_FAILS = "4000000000003220", "4000008400001629"
_ONLINE = ("web-de", "shopify-home", "web-uk")


def _later(order: PlannedOrder, now: datetime, delta: timedelta) -> datetime | None:
    at = order.at + delta
    return at if at < now else None


@dataclass
class _Planner:
    rng: random.Random
    now: datetime
    steps: list[MoneyStep] = field(default_factory=list)
    paid: list[PlannedOrder] = field(default_factory=list)  # by card, captured or not

    def card(self) -> str:
        return self.rng.choices(CARDS, CARD_WEIGHTS)[0]

    def add(self, step: MoneyStep | None) -> None:
        if step is not None and step.at < self.now:
            self.steps.append(step)

    def pay(self, order: PlannedOrder, reason: str | None) -> None:
        rng, key, channel = self.rng, order.key, order.cmd.channel
        if reason == "Payment declined":
            self.add(Pay(order.at, key, "test", rng.choice(DECLINED)))
        elif reason == "Awaiting bank transfer":
            self.add(Pay(order.at, key, "manual", None, PaymentMethod.BANK_TRANSFER, False))
        elif channel == "pos":
            cash = order.cmd.customer is None and rng.random() < 0.6
            self.add(Pay(order.at, key, "manual", None, PaymentMethod.CASH) if cash
                     else Pay(order.at, key, "test", self.card()))
        elif channel == "phone":
            self._phone(order)
        elif channel == "amazon-de":
            self.add(Pay(order.at, key, "test", self.card(), capture=False))
            self.paid.append(order)
        else:
            self._online(order, reason is not None)

    def _phone(self, order: PlannedOrder) -> None:
        draw, key = self.rng.random(), order.key
        if draw < 0.5:
            self.add(Pay(order.at, key, "test", self.card()))
            self.paid.append(order)
        elif draw < 0.8:  # bank transfer, arriving one to four working days later
            self.add(Pay(order.at, key, "manual", f"Transfer ref. {key + 52000}",
                         PaymentMethod.BANK_TRANSFER, False))
            if (at := _later(order, self.now, timedelta(days=self.rng.randint(1, 4)))):
                self.add(MarkPaid(at, key))
        else:
            self.add(Pay(order.at, key, "manual", None, PaymentMethod.CASH_ON_DELIVERY, False))

    def _online(self, order: PlannedOrder, changed: bool) -> None:
        draw, key, rng = self.rng.random(), order.key, self.rng
        if changed or draw >= 0.08:
            self.add(Pay(order.at, key, "test", self.card()))
            if not changed:
                self.paid.append(order)
        elif draw < 0.03:  # declined, then paid with another card a few minutes later
            self.add(Pay(order.at, key, "test", rng.choice(DECLINED)))
            self.add(_step(Pay, order, self.now, timedelta(minutes=rng.randint(2, 9)),
                           provider="test", source=self.card()))
        elif draw < 0.045:  # declined; the shop is still waiting for the customer
            self.add(Pay(order.at, key, "test", rng.choice(DECLINED)))
        else:  # 3-D Secure: done minutes later (refused by the bank, or not done yet)
            fails = draw < 0.05
            self.add(Pay(order.at, key, "test", THREE_DS_FAILS if fails else THREE_DS))
            if fails or order.at < self.now - timedelta(days=5) or rng.random() < 0.5:
                self.add(_step(Settle, order, self.now,
                               timedelta(seconds=rng.randint(45, 300))))


def _step(kind, order: PlannedOrder, now: datetime, delta: timedelta, **extra):
    at = _later(order, now, delta)
    return None if at is None else kind(at, order.key, **extra)


MOVED = "Customer asked to change the delivery address"
_RETURNS = ("Returned: too small", "Returned: colour not as pictured",
            "Returned: arrived damaged")
RETURNING = 12


def _returns(plan: _Planner, candidates: list[PlannedOrder]) -> None:
    """Among older orders (shipped by the floor by then): two come back, one gets a
    goodwill refund and one its delivery fee back."""
    rng, now = plan.rng, plan.now
    old = [o for o in candidates if o.at < now - timedelta(days=12) and o.cmd.shipping_address]
    shipped = rng.sample(old, min(RETURNING, len(old)))
    if not any(o.cmd.shipping_price > 0 for o in shipped[3:]):  # one to refund its fee
        with_fee = [o for o in old if o.cmd.shipping_price > 0 and o not in shipped]
        shipped += rng.sample(with_fee, min(1, len(with_fee)))
    for order, reason in zip(shipped[:2], _RETURNS, strict=False):
        plan.add(_step(Refund, order, now, timedelta(days=rng.randint(6, 10)),
                       request=RefundRequest(reason, (RefundLine(1, 1),))))
    if len(shipped) > 2:
        goodwill = shipped[2]
        amount = Decimal(5 if goodwill.cmd.currency == "GBP" else 10)
        plan.add(_step(Refund, goodwill, now, timedelta(days=4), request=RefundRequest(
            "Goodwill: the parcel arrived three days late", amount=amount)))
    fee = next((o for o in shipped[3:] if o.cmd.shipping_price > 0), None)
    if fee is not None:
        plan.add(_step(Refund, fee, now, timedelta(days=3), request=RefundRequest(
            "Delivery fee refunded: the courier missed the agreed slot",
            shipping=fee.cmd.shipping_price)))


def _new_address(rng: random.Random, order: PlannedOrder,
                 orders: list[PlannedOrder]) -> ShippingAddress | None:
    """Somewhere else the channel delivers to, preferably in another country (re-taxed)."""
    old = order.cmd.shipping_address
    elsewhere = sorted({o.cmd.shipping_address for o in orders if o.cmd.shipping_address
                        and o.cmd.channel == order.cmd.channel
                        and o.cmd.shipping_address.city != old.city},
                       key=lambda a: (a.country != old.country, a.city, a.line1,
                                      a.postal_code or "", a.name))  # a total order
    if not elsewhere:
        return None
    target = rng.choice(elsewhere[-5:])
    return ShippingAddress(old.name, target.line1, target.city, target.country,
                           postal_code=target.postal_code)


def _edits(plan: _Planner, candidates: list[PlannedOrder], changes: list[PlannedChange],
           orders: list[PlannedOrder]) -> None:
    """One more unit, one fewer, and a new delivery address (for an order held for it)."""
    rng, now = plan.rng, plan.now
    recent = [o for o in candidates if now - timedelta(days=10) < o.at < now - timedelta(days=1)
              and o.cmd.channel in _ONLINE]
    more = next((o for o in recent if o.cmd.lines[0].quantity == 1), None)
    fewer = next((o for o in recent if o.cmd.lines[0].quantity > 1), None)
    if more is not None:
        plan.add(_step(Amend, more, now, timedelta(hours=3), edits=[
            Edit(EditOp.SET_QUANTITY, 1, 2)], reason="Customer phoned to add a second one"))
    if fewer is not None:
        plan.add(_step(Amend, fewer, now, timedelta(hours=2), edits=[
            Edit(EditOp.SET_QUANTITY, 1, fewer.cmd.lines[0].quantity - 1)],
            reason="Customer asked for one fewer"))
    by_key = {o.key: o for o in orders}
    held = [(c.at, by_key[c.order_key]) for c in changes if c.hold and c.reason == MOVED
            and by_key[c.order_key].cmd.channel in _ONLINE]  # not Amazon's to change
    moving = [(at + timedelta(minutes=40), order, True) for at, order in held]
    moving += [(o.at + timedelta(hours=5), o, False) for o in recent if o not in (more, fewer)]
    for at, order, release in moving[:1]:
        address = _new_address(rng, order, orders)
        if address is not None:
            plan.add(Amend(min(at, now - timedelta(seconds=1)), order.key,
                           [Edit(EditOp.SET_SHIPPING_ADDRESS, address=address)],
                           "Customer moved: deliver to the new address", release_hold=release))


def plan_money(rng: random.Random, now: datetime, orders: list[PlannedOrder],
               changes: list[PlannedChange]) -> list[MoneyStep]:
    """Payments for the orders, then shipments, refunds and edits; not yet in time order."""
    reasons = {c.order_key: c.reason for c in changes}
    plan = _Planner(rng, now)
    for order in orders:
        plan.pay(order, reasons.get(order.key))
    untouched = [o for o in plan.paid if o.key not in reasons]
    _returns(plan, untouched)
    _edits(plan, [o for o in untouched if o.cmd.channel != "amazon-de"], changes, orders)
    return plan.steps
