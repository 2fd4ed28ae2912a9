"""Invoices and credit notes of an order, issued at the channel's tax point.

The documents are built from what the order stores (per-line net, tax and gross, and
their tax components), so an invoice always agrees with the order to the cent. Each is
issued with a ``reference`` (the order, a shipment, a refund), which makes issuing it
exactly-once.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ordermesh.invoices.model import (
    Address,
    InvoiceDraft,
    InvoiceKind,
    InvoiceLine,
    Party,
    TaxBreakdownLine,
)
from ordermesh.invoices.service import creditable, invoices_for_order, issue
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.money import Money, allocate, prorate
from ordermesh.orders.model import Order, OrderLine


def split_components(components: Iterable[dict], amount: Money, tax: Money) -> list[dict]:
    """Share ``amount`` (tax included) over tax components in proportion to their tax."""
    components = list(components)
    if not components:
        return []
    cur = amount.currency
    taxes = allocate(tax, [Money.of(c["tax"], cur) for c in components]) if tax.amount \
        else [Money.zero(cur) for _ in components]
    nets = allocate(amount - tax, [Money.of(c["taxable"], cur) for c in components])
    return [{**c, "taxable": str(n.amount), "tax": str(t.amount)}
            for c, n, t in zip(components, nets, taxes, strict=True)]


def _buyer(order: Order) -> Party:
    a = order.shipping_address
    country = a.country if a else (order.tax.country or "")
    address = Address(tuple(x for x in (a.line1, a.line2) if x), a.city, a.country,
                      a.postal_code, a.region) if a else None
    return Party(name=a.name if a else f"Customer of order {order.number}", address=address,
                 country=country, vat_id=order.tax.buyer_vat_id, region=a.region if a else None)


def _line(description: str, sku: str | None, quantity: int, gross: Money, tax: Money,
          rate: Decimal) -> InvoiceLine:
    net = gross - tax
    return InvoiceLine(description, sku, quantity, Money.of(net.amount / quantity, net.currency),
                       net, rate, tax, gross)


def _breakdown(components: Iterable[dict], currency: str) -> tuple[TaxBreakdownLine, ...]:
    sums: dict[tuple[str, str, Decimal], tuple[Decimal, Decimal]] = {}
    for c in components:
        key = (c["jurisdiction"], c["name"], Decimal(c["rate_percent"]))
        taxable, tax = sums.get(key, (Decimal(0), Decimal(0)))
        sums[key] = (taxable + Decimal(c["taxable"]), tax + Decimal(c["tax"]))
    return tuple(TaxBreakdownLine(name, rate, Money.of(t, currency), Money.of(x, currency),
                                  jurisdiction)
                 for (jurisdiction, name, rate), (t, x) in sorted(sums.items()))


def _shipping_line(order: Order) -> tuple[InvoiceLine, list]:
    t = order.tax
    shipping = order.totals.shipping
    gross = shipping if t.pricing_mode == "inclusive" else shipping + t.shipping_tax
    tax = t.shipping_tax
    rate = sum((Decimal(c["rate_percent"]) for c in t.shipping_components), Decimal(0))
    return _line("Shipping", None, 1, gross, tax, rate), split_components(
        t.shipping_components, gross, tax)


def _draft(order: Order, kind: InvoiceKind, lines: list[InvoiceLine], components: list[dict],
           reference: str, tax_point, corrects: str | None = None,
           note: str | None = None) -> InvoiceDraft:
    cur = order.currency
    gross = sum((ln.gross for ln in lines), Money.zero(cur))
    tax = sum((ln.tax for ln in lines), Money.zero(cur))
    return InvoiceDraft(
        kind=kind, order_id=order.id, order_number=order.number,
        legal_entity_id=order.legal_entity_id, currency=cur, buyer=_buyer(order),
        lines=tuple(lines), tax_breakdown=_breakdown(components, cur), net=gross - tax,
        tax=tax, gross=gross, tax_point=tax_point, reverse_charge=order.tax.reverse_charge,
        corrects_invoice_id=corrects, note=note, reference=reference)


def _goods(line: OrderLine, quantity: int, gross: Money, tax: Money) -> InvoiceLine:
    return _line(line.name, line.sku, quantity, gross, tax, line.money.rate_percent)


def issue_order_invoice(uow: UnitOfWork, order: Order) -> None:
    """The invoice for everything on the order (tax point: the order)."""
    lines, components = [], []
    for ln in order.lines:
        if ln.open_quantity:
            lines.append(_goods(ln, ln.open_quantity, ln.money.gross, ln.money.tax))
            components.extend(ln.money.components)
    if order.totals.shipping.amount:
        line, parts = _shipping_line(order)
        lines.append(line)
        components.extend(parts)
    issue(uow, _draft(order, InvoiceKind.INVOICE, lines, components, "order",
                      order.tax.tax_point), commit=False)


def issue_shipment_invoice(
    uow: UnitOfWork, order: Order, shipment_id: str, values: dict[int, tuple[int, Money]],
    first: bool,
) -> None:
    """The invoice for what one shipment carried (tax point: the shipment); ``order`` is
    read after the shipment was recorded."""
    by_no = {ln.line_no: ln for ln in order.lines}
    lines, components = [], []
    for no, (quantity, gross) in sorted(values.items()):
        ln = by_no[no]
        after = ln.shipped_quantity
        tax = (prorate(ln.money.tax, after, ln.open_quantity)
               - prorate(ln.money.tax, after - quantity, ln.open_quantity))
        lines.append(_goods(ln, quantity, gross, tax))
        components.extend(split_components(ln.money.components, gross, tax))
    if first and order.totals.shipping.amount:
        line, parts = _shipping_line(order)
        lines.append(line)
        components.extend(parts)
    issue(uow, _draft(order, InvoiceKind.INVOICE, lines, components, shipment_id,
                      uow.clock.now().date()), commit=False)


def issue_credit_note(uow: UnitOfWork, order: Order, refund_id: str, parts: list,
                      reason: str) -> None:
    """A credit note for a refund, against the latest invoice that can take all of it.
    An order that was never invoiced gets none."""
    invoices = [i for i in invoices_for_order(uow, order.id) if i.kind == InvoiceKind.INVOICE]
    if not invoices:
        return
    by_no = {ln.line_no: ln for ln in order.lines}
    lines, components = [], []
    for part in parts:
        if (no := part.label.get("line_no")) is not None:
            lines.append(_goods(by_no[no], part.label["quantity"], part.amount, part.tax))
        else:
            what = "Shipping" if "shipping" in part.label else "Goodwill refund"
            if part.components:
                lines.extend(_line(f"{what} ({c['name']} {c['rate_percent']}%)", None, 1,
                                   Money.of(Decimal(c["taxable"]) + Decimal(c["tax"]),
                                            order.currency),
                                   Money.of(c["tax"], order.currency),
                                   Decimal(c["rate_percent"]))
                             for c in part.components)
                rest = part.amount - sum((Money.of(Decimal(c["taxable"]) + Decimal(c["tax"]),
                                                   order.currency) for c in part.components),
                                         Money.zero(order.currency))
                if rest.amount:
                    lines.append(_line(what, None, 1, rest, Money.zero(order.currency),
                                       Decimal(0)))
            else:
                lines.append(_line(what, None, 1, part.amount, part.tax, Decimal(0)))
        components.extend(part.components)
    zero = Money.zero(order.currency)
    gross = sum((ln.gross for ln in lines), zero)
    tax = sum((ln.tax for ln in lines), zero)
    for invoice in reversed(invoices):
        left = creditable(uow, invoice.id)
        if left.gross >= gross and left.tax >= tax and left.net >= gross - tax:
            issue(uow, _draft(order, InvoiceKind.CREDIT_NOTE, lines, components, refund_id,
                              uow.clock.now().date(), corrects=invoice.id, note=reason),
                  commit=False)
            return
    raise Conflict("This refund is larger than what is left on any one invoice of the order; "
                   "refund per invoice (shipment) instead")
