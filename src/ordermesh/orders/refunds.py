"""Refunds after the sale: units of lines, shipping, or an amount (goodwill).

Never more than was paid: each line gives back at most what it cost, shipping at most
what was charged, and the order at most its total; the payments ledger then refuses to
refund more than was captured (in the same transaction).

Units are refunded at their share of the whole line, counted cumulatively (the first k
units are worth ``line x k / units``), so refunding a line unit by unit gives back exactly
the line's amount, cent for cent, and what is left always matches what cancelling the
other units would leave. The tax in a
refund is in proportion to the amount, split over the tax components it came from, and
booked (negative) into the tax ledger at the refund's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money, allocate, prorate
from ordermesh.orders.changes import give_back, record_transition
from ordermesh.orders.invoicing import issue_credit_note, split_components
from ordermesh.orders.model import Order, OrderStatus, units_per_line
from ordermesh.orders.pricing import book_refund
from ordermesh.orders.queries import load_order, order_ref
from ordermesh.orders.settlement import record_refund
from ordermesh.orders.tables import order_lines, order_refunds, orders
from ordermesh.payments.service import refund_for_order
from ordermesh.tax.ledger import booked_for_order


@dataclass(frozen=True)
class RefundLine:
    line_no: int
    quantity: int


@dataclass(frozen=True)
class Deduction:
    """A fee kept back from refunding lines (a return's restocking fee)."""

    kind: str
    description: str  # the credit note's words for it
    amount: Decimal


@dataclass(frozen=True)
class RefundRequest:
    reason: str
    lines: tuple[RefundLine, ...] = ()
    shipping: Decimal | None = None
    amount: Decimal | None = None  # goodwill, on top of lines and shipping
    deductions: tuple[Deduction, ...] = ()  # kept back from what the lines give back
    # False: the money goes back another way the caller records (store credit), not to
    # the order's payments; the units, tax and credit note are refunded all the same
    to_payment: bool = True


@dataclass(frozen=True)
class Part:
    """One part of a refund, with the tax in it split by component."""

    label: dict
    amount: Money
    tax: Money
    components: list[dict]
    # a fee kept back: what it takes from each line part (line_no, amount, tax, components)
    shares: tuple[tuple[int, Money, Money, list[dict]], ...] = ()


def _line_parts(order: Order, lines: tuple[RefundLine, ...]) -> list[Part]:
    wanted = units_per_line(order.lines, list(lines),
                            lambda ln: ln.open_quantity - ln.refunded_quantity,
                            "not yet refunded", "refund", "exceeds_refundable_quantity")
    by_no = {ln.line_no: ln for ln in order.lines}
    parts = []
    for line_no, quantity in sorted(wanted.items()):
        line = by_no[line_no]
        # counted from the whole line, as a cancellation re-prices it: refunding some units
        # and cancelling the others always fits
        done, units = line.refunded_quantity + quantity, line.open_quantity
        zero = Money.zero(order.currency)
        amount = max(prorate(line.money.gross, done, units) - line.refunded, zero)
        tax = min(max(prorate(line.money.tax, done, units) - line.refunded_tax, zero), amount)
        parts.append(Part({"line_no": line_no, "quantity": quantity}, amount, tax,
                          split_components(line.money.components, amount, tax)))
    return parts


def _share(amount: Money, of: Money, tax: Money, components, label: dict, *,
           stacked: bool) -> Part:
    part_tax = Money.of(tax.amount * amount.amount / of.amount, amount.currency) \
        if of.amount else Money.zero(amount.currency)
    return Part(label, amount, part_tax,
                split_components(components, amount, part_tax, stacked=stacked))


def _kept_back(deductions: tuple[Deduction, ...], lines: list[Part], currency: str
               ) -> list[Part]:
    """Negative parts for the fees kept back from refunding ``lines``. A fee is a share of
    the units' price left with the seller: it holds the tax of each line in proportion,
    so the tax booked back and credited is only that of the money refunded."""
    value = sum((p.amount for p in lines), Money.zero(currency))
    fees = [_amount(d.amount, currency, "deductions") for d in deductions]
    if sum(fees, Money.zero(currency)) > value:
        raise InvalidInput.for_field("deductions", f"fees of {sum(fees, Money.zero(currency))}"
                                     f" are more than the {value} the lines give back",
                                     "exceeds_refundable")
    parts = []
    for deduction, fee in zip(deductions, fees, strict=True):
        shares = []
        for line, share in zip(lines, allocate(fee, [p.amount for p in lines]), strict=True):
            share_tax = Money.of(line.tax.amount * share.amount / line.amount.amount, currency) \
                if line.amount.amount else Money.zero(currency)
            shares.append((line.label["line_no"], share, share_tax,
                           split_components(line.components, share, share_tax)))
        tax = sum((t for _, _, t, _ in shares), Money.zero(currency))
        parts.append(Part({"deduction": deduction.kind, "description": deduction.description},
                          -fee, -tax, _negated_by_rate([c for *_, cs in shares for c in cs]),
                          tuple(shares)))
    return parts


def _negated_by_rate(components: list[dict]) -> list[dict]:
    """One component per rate (lines of one rate add up), taxable and tax negative."""
    merged: dict[tuple, dict] = {}
    for c in components:
        key = (c.get("jurisdiction"), c["name"], c["rate_percent"])
        if key in merged:
            was = merged[key]
            merged[key] = {**was, "taxable": str(Decimal(was["taxable"]) - Decimal(c["taxable"])),
                           "tax": str(Decimal(was["tax"]) - Decimal(c["tax"]))}
        else:
            merged[key] = {**c, "taxable": str(-Decimal(c["taxable"])),
                           "tax": str(-Decimal(c["tax"]))}
    return list(merged.values())


def _amount(value: Decimal, currency: str, field: str) -> Money:
    money = Money.exact(value, currency, field)
    if money.amount <= 0:
        raise InvalidInput.for_field(field, f"{field} must be more than zero")
    return money


def _parts(uow: UnitOfWork, order: Order, req: RefundRequest) -> list[Part]:
    cur = order.currency
    parts = _line_parts(order, req.lines)
    if req.deductions:
        parts += _kept_back(req.deductions, parts, cur)
    if req.shipping is not None:
        amount = _amount(req.shipping, cur, "shipping")
        gross = order.shipping_gross
        left = gross - order.totals.shipping_refunded
        if amount > left:
            raise InvalidInput.for_field(
                "shipping", f"only {left} of shipping is left to refund", "exceeds_refundable")
        parts.append(_share(amount, gross, order.tax.shipping_tax,
                            order.tax.shipping_components, {"shipping": True}, stacked=True))
    if req.amount is not None:
        # in proportion to what is still paid for: the order less earlier refunds
        amount = _amount(req.amount, cur, "amount")
        left = [c for c in booked_for_order(uow, order.id)
                if Decimal(c["taxable"]) > 0 or Decimal(c["tax"]) > 0]
        left_tax = sum((Money.of(c["tax"], cur) for c in left), Money.zero(cur))
        parts.append(_share(amount, order.totals.total - order.totals.refunded, left_tax,
                            left, {"goodwill": True}, stacked=False))
    if not parts:
        raise InvalidInput.for_field("lines", "say what to refund: lines, shipping or amount",
                                     "nothing_to_refund")
    return parts


def refund_order(
    uow: UnitOfWork, order_id: str, req: RefundRequest,
    idem: idempotency.IdempotencyKey | None = None, refund_id: str | None = None,
) -> dict:
    """Commits. A caller that records the refund elsewhere in the same transaction (a
    return) may name its ``refund_id``."""
    refund_id = refund_id or new_id("rfd")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("refund", refund_id, 201)):
        return get_refund(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    parts = _parts(uow, order, req)
    cur = order.currency
    amount = sum((p.amount for p in parts), Money.zero(cur))
    tax = sum((p.tax for p in parts), Money.zero(cur))
    if not amount.amount and not req.deductions:  # only fees kept back may leave nothing
        raise InvalidInput.for_field("amount", "amount must be greater than zero",
                                     "not_positive")
    left = order.totals.total - order.totals.refunded
    if amount > left:
        raise InvalidInput.for_field(
            "amount", f"{amount} is more than the {left} left to refund on this order",
            "exceeds_refundable")
    by_no = {ln.line_no: ln for ln in order.lines}
    unshipped = {p.label["line_no"]: by_no[p.label["line_no"]]
                 .unshipped_share_of_refund(p.label["quantity"])
                 for p in parts if "line_no" in p.label}
    if order.capture_policy == "shipment" and any(unshipped.values()):
        # nothing was captured for them: cancelling releases their authorisation
        raise Conflict(f"Order {order.number} captures per shipment and units of lines "
                       f"{sorted(n for n, q in unshipped.items() if q)} have not shipped: "
                       "cancel them instead of refunding them",
                       extra={"lines": sorted(n for n, q in unshipped.items() if q)})
    # units refunded before they shipped will not ship: their stock goes back
    give_back(uow, order, unshipped)
    for part in parts:
        if (line_no := part.label.get("line_no")) is not None:
            uow.execute(update(order_lines).where(
                order_lines.c.order_seq == order.seq, order_lines.c.line_no == line_no).values(
                refunded_quantity=order_lines.c.refunded_quantity + part.label["quantity"],
                refunded_unshipped=order_lines.c.refunded_unshipped
                + by_no[line_no].unshipped_share_of_refund(part.label["quantity"]),
                refunded_amount=order_lines.c.refunded_amount + part.amount.amount,
                refunded_tax_amount=order_lines.c.refunded_tax_amount + part.tax.amount))
    shipping = sum((p.amount.amount for p in parts if "shipping" in p.label), Decimal(0))
    uow.execute(update(orders).where(orders.c.seq == order.seq).values(
        refunded_amount=orders.c.refunded_amount + amount.amount,
        shipping_refunded_amount=orders.c.shipping_refunded_amount + shipping,
        updated_at=uow.clock.now()))
    if amount.amount and req.to_payment:  # an even exchange gives nothing back
        refund_for_order(uow, order.id, amount, req.reason, refund_id)
    lines = [{**p.label, "amount": str(p.amount.amount), "tax": str(p.tax.amount)}
             for p in parts]
    refund_id = record_refund(uow, order.seq, order.id, "refund", amount, tax, req.reason, lines,
                              refund_id=refund_id)
    book_refund(uow, order.id, refund_id, uow.clock.now().date(), cur,
                [c for p in parts for c in p.components])
    issue_credit_note(uow, order, refund_id, parts, req.reason)
    if order.status == OrderStatus.PARTIALLY_SHIPPED and any(unshipped.values()):
        after = load_order(uow, order.id)
        if all(ln.cancellable_quantity == 0 for ln in after.lines):
            record_transition(uow, after, OrderStatus.SHIPPED, "the rest was refunded")
    idempotency.complete(uow, idem, "refund", refund_id, 201)
    uow.commit()
    return get_refund(uow, refund_id)


def _refund_json(row, currency: str) -> dict:
    return {"id": row.id, "kind": row.kind, "amount": str(Money.of(row.amount, currency).amount),
            "tax": str(Money.of(row.tax_amount, currency).amount), "currency": row.currency,
            "lines": row.lines, "reason": row.reason, "actor": row.actor,
            "created_at": as_utc(row.created_at)}


def get_refund(uow: UnitOfWork, refund_id: str) -> dict:
    row = uow.execute(select(order_refunds).where(order_refunds.c.id == refund_id)).one()
    return _refund_json(row, row.currency)


def list_refunds(uow: UnitOfWork, order_id: str) -> list[dict]:
    ref = order_ref(uow, order_id)
    rows = uow.execute(select(order_refunds).where(order_refunds.c.order_seq == ref.seq)
                       .order_by(order_refunds.c.created_at, order_refunds.c.id))
    return [_refund_json(r, ref.currency) for r in rows]
