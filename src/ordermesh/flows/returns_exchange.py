"""An exchange: the units a customer returns pay for a replacement order of another
variant or product, placed through the one placement flow (``flows.placement``), one
unit of work.

The returned units' value V (their share of what was paid, as a refund counts it) is
taken off the replacement as an order discount, up to the replacement's own total R:
the customer pays R - V on the replacement when it costs more (its balance, charged as
any order's), and the refund of the return keeps back what the replacement took (its
``exchange_credit``), so V - R comes back when it costs less. An even exchange moves no
money. The replacement is priced first without writing (``draft_order``,
``total_order``), so the credit is exact to the cent under any tax regime; it is then
reserved and released for fulfilment like every order.

When: the return's policy (``exchange_reserve``) lets the replacement be placed once
the return is authorised (``at_once``) or only once every unit came back
(``at_receipt``). Refused, nothing changed: a return without exchange lines, one
exchanged already, one not yet (or no longer) at the allowed step, a replacement
that cannot be reserved (409 naming the short SKU).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import update

from ordermesh.channels.service import get_channel
from ordermesh.customers.service import get_customer
from ordermesh.flows.placement import place_order
from ordermesh.flows.returns_refunds import exchange_lines
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders import service as orders
from ordermesh.orders.model import Order
from ordermesh.orders.queries import load_order
from ordermesh.orders.service import CustomerDetails, PlaceLine, PlaceOrder
from ordermesh.returns.model import ExchangeReserve, ReturnFees, ReturnStatus
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import lock_return, refund_money
from ordermesh.returns.tables import returns

S = ReturnStatus
_WHEN = {ExchangeReserve.AT_ONCE: (S.AUTHORISED, S.PARTIALLY_RECEIVED, S.RECEIVED,
                                   S.INSPECTED),
         ExchangeReserve.AT_RECEIPT: (S.RECEIVED, S.INSPECTED)}


def _check(ret: dict) -> list[dict]:
    lines = exchange_lines(ret)
    if not lines:
        raise Conflict(f"Return {ret['number']} has no line to exchange")
    if ret["exchange_order_id"]:
        raise Conflict(f"Return {ret['number']} was exchanged already",
                       extra={"exchange_order_id": ret["exchange_order_id"]})
    when = ExchangeReserve(ret["exchange_reserve"])
    if ret["status"] not in _WHEN[when]:
        why = ("its policy places the replacement once every unit came back"
               if when is ExchangeReserve.AT_RECEIPT and ret["status"] in _WHEN[
                   ExchangeReserve.AT_ONCE] else f"it is {ret['status']}")
        raise Conflict(f"Return {ret['number']} cannot be exchanged now: {why}",
                       extra={"current_status": ret["status"]})
    return lines


def _replacement(uow: UnitOfWork, order: Order, ret: dict, lines: list[dict]) -> PlaceOrder:
    customer = get_customer(uow, order.customer_id) if order.customer_id else None
    return PlaceOrder(
        channel=get_channel(uow, order.channel_id).code,
        lines=[PlaceLine(ln["exchange_sku"], ln["quantity"]) for ln in lines],
        customer=CustomerDetails(email=customer.email, name=customer.name,
                                 phone=customer.phone) if customer else None,
        shipping_address=order.shipping_address,
        note=f"Replacement for return {ret['number']} of order {order.number}")


def _total(uow: UnitOfWork, cmd: PlaceOrder) -> tuple[Money, Money]:
    """What the order would cost, and what its lines leave for an order discount; writes
    nothing."""
    draft = orders.total_order(uow, orders.draft_order(uow, cmd, "ord_exchange_preview"))
    room = sum((ln.line_total - ln.line_discount for ln in draft.lines),
               Money.zero(draft.currency))
    return draft.amounts.totals.total, room


def _priced(uow: UnitOfWork, cmd: PlaceOrder, value: Money) -> tuple[PlaceOrder, Money]:
    """The replacement with the returned value off it, and what that took off (never more
    than ``value``). A discount on net prices takes the tax with it: it is scaled down
    until the total falls by no more than the value."""
    full, room = _total(uow, cmd)
    discount = room if full <= value else min(value, room)  # all of it, or the value
    for _ in range(3):
        priced = replace(cmd, discount=discount.amount if discount.amount else None,
                         discount_reason="paid by the returned units" if discount.amount
                         else None)
        credit = full - _total(uow, priced)[0]
        if credit <= value:
            return priced, credit
        discount = Money.of(discount.amount * value.amount / credit.amount
                            - Decimal("0.005"), discount.currency)
    raise Conflict("The replacement could not be priced against the returned units")


def place_exchange(uow: UnitOfWork, return_id: str,
                   idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Place the replacement order of the return's exchange lines. Commits."""
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return get_return(uow, prior.resource_id)
    ret = lock_return(uow, return_id)
    lines = _check(ret)
    order = load_order(uow, ret["order_id"])
    money = refund_money(order, [(ln["order_line_no"], ln["quantity"], ln["reason"])
                                 for ln in lines], ReturnFees(), False)
    value = Money.of(money["value"], order.currency)
    cmd, credit = _priced(uow, _replacement(uow, order, ret, lines), value)
    # the return's side first: placing the order commits the whole unit of work
    replacement_id = new_id("ord")
    uow.execute(update(returns).where(returns.c.id == ret["id"]).values(
        exchange_order_id=replacement_id, exchange_credit=credit.amount,
        updated_at=uow.clock.now()))
    record_event(uow, "return.exchanged", "return", ret["id"], {
        "number": ret["number"], "order_id": order.id, "value": str(value.amount),
        "exchange_credit": str(credit.amount),
        "lines": [{"line_no": ln["line_no"], "sku": ln["sku"],
                   "exchange_sku": ln["exchange_sku"], "quantity": ln["quantity"]}
                  for ln in lines], "exchange_order_id": replacement_id})
    place_order(uow, cmd, order_id=replacement_id)
    return get_return(uow, ret["id"])
