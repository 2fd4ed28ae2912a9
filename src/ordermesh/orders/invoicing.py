"""Invoices and credit notes of an order, issued at the channel's tax point.

The documents are built from what the order stores (per-line net, tax and gross, and
their tax components), so an invoice always agrees with the order to the cent. Each is
issued with a ``reference`` (the order, a shipment, a refund), which makes issuing it
exactly-once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from ordermesh.invoices.model import (
    Address,
    Credited,
    InvoiceDraft,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    Party,
    TaxBreakdownLine,
)
from ordermesh.invoices.service import creditable, invoices_for_order, issue
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.money import Money, allocate, minor_unit, prorate
from ordermesh.orders.model import Order, OrderLine


def split_components(components: Iterable[dict], amount: Money, tax: Money, *,
                     stacked: bool = True) -> list[dict]:
    """A part (``amount``, tax included, of which ``tax``) of something taxed by
    ``components``: each component's tax and taxable amount in proportion.

    ``stacked``: the components tax one and the same amount (a line's GST and PST), so
    each keeps the whole net; otherwise (an order's rates, each on other lines) the net
    is shared over them."""
    components = list(components)
    if not components:
        return []
    cur = amount.currency
    taxes = allocate(tax, [Money.of(c["tax"], cur) for c in components]) if tax.amount \
        else [Money.zero(cur) for _ in components]
    # GST and PST (or CGST and SGST) are each levied on the whole net: every component's
    # taxable is the same share of its own taxable amount
    net = amount - tax
    base = max(Decimal(c["taxable"]) for c in components)
    if stacked:
        nets = [Money.of(net.amount * Decimal(c["taxable"]) / base, cur) if base else net
                for c in components]
    else:
        nets = allocate(net, [Money.of(c["taxable"], cur) for c in components])
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
    reasons: dict[tuple[str, str, Decimal], str] = {}
    for c in components:
        key = (c["jurisdiction"], c["name"], Decimal(c["rate_percent"]))
        taxable, tax = sums.get(key, (Decimal(0), Decimal(0)))
        sums[key] = (taxable + Decimal(c["taxable"]), tax + Decimal(c["tax"]))
        if c.get("reason"):
            reasons.setdefault(key, c["reason"])
    return tuple(TaxBreakdownLine(key[1], key[2], Money.of(t, currency), Money.of(x, currency),
                                  key[0], reasons.get(key))
                 for key, (t, x) in sorted(sums.items()))


def _shipping_line(order: Order) -> tuple[InvoiceLine, list]:
    t = order.tax
    gross, tax = order.shipping_gross, t.shipping_tax
    rate = sum((Decimal(c["rate_percent"]) for c in t.shipping_components), Decimal(0))
    return _line("Shipping", None, 1, gross, tax, rate), split_components(
        t.shipping_components, gross, tax)


def _draft(order: Order, kind: InvoiceKind, lines: list[InvoiceLine], components: list[dict],
           reference: str, tax_point, corrects: str | None = None,
           note: str | None = None, replaces: str | None = None) -> InvoiceDraft:
    cur = order.currency
    gross = sum((ln.gross for ln in lines), Money.zero(cur))
    tax = sum((ln.tax for ln in lines), Money.zero(cur))
    return InvoiceDraft(
        kind=kind, order_id=order.id, order_number=order.number,
        legal_entity_id=order.legal_entity_id, currency=cur, buyer=_buyer(order),
        lines=tuple(lines), tax_breakdown=_breakdown(components, cur), net=gross - tax,
        tax=tax, gross=gross, tax_point=tax_point, reverse_charge=order.tax.reverse_charge,
        corrects_invoice_id=corrects, note=note, reference=reference,
        replaces_number=replaces, payment=_payment(order))


def _payment(order: Order) -> InvoicePayment:
    s = order.payment_standing
    return InvoicePayment(s.status.value, tuple(m.value for m in s.methods), s.due_date)


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


Piece = tuple[InvoiceLine, list[dict]]  # a document line and the tax components in it


def _less_fees(line: OrderLine, part, fees: list[tuple[str, Money, Money, list[dict]]]
               ) -> Piece:
    """A refunded line's piece less the fees kept back from it: a credit note has no
    negative lines, so each fee is shown on the line it is taken from."""
    gross, tax, components = part.amount, part.tax, part.components
    for _, amount, fee_tax, fee_components in fees:
        gross, tax = gross - amount, tax - fee_tax
        components = [{**c, "taxable": str(Decimal(c["taxable"]) - Decimal(f["taxable"])),
                       "tax": str(Decimal(c["tax"]) - Decimal(f["tax"]))}
                      for c, f in zip(components, fee_components, strict=True)]
    goods = _goods(line, part.label["quantity"], gross, tax)
    if fees:
        kept = ", ".join(f"{what.lower()} {amount.amount}" for what, amount, _, _ in fees)
        goods = replace(goods, description=f"{goods.description}, less {kept}")
    return goods, components


def _refund_pieces(order: Order, parts: list) -> list[Piece]:
    by_no = {ln.line_no: ln for ln in order.lines}
    cur = order.currency
    pieces: list[Piece] = []
    fees: dict[int, list] = {}
    for part in parts:
        for no, amount, tax, components in part.shares:
            fees.setdefault(no, []).append((part.label["description"], amount, tax,
                                            components))
    for part in parts:
        if (no := part.label.get("line_no")) is not None:
            pieces.append(_less_fees(by_no[no], part, fees.get(no, [])))
            continue
        if part.shares:  # a fee: taken from the lines above
            continue
        if "shipping" in part.label:  # one charge, taxed by every component at once
            rate = sum((Decimal(c["rate_percent"]) for c in part.components), Decimal(0))
            pieces.append((_line("Shipping", None, 1, part.amount, part.tax, rate),
                           part.components))
            continue
        what = "Goodwill refund"
        taxed = [c for c in part.components if Decimal(c["tax"])]
        for c in taxed:  # one line per rate: an invoice line has a single rate
            gross = Money.of(Decimal(c["taxable"]) + Decimal(c["tax"]), cur)
            pieces.append((_line(f"{what} ({c['name']} {c['rate_percent']}%)", None, 1, gross,
                                 Money.of(c["tax"], cur), Decimal(c["rate_percent"])), [c]))
        rest = part.amount - sum((p[0].gross for p in pieces[len(pieces) - len(taxed):]),
                                 Money.zero(cur))
        if rest.amount:
            untaxed = [c for c in part.components if not Decimal(c["tax"])]
            pieces.append((_line(what, None, 1, rest, Money.zero(cur), Decimal(0)), untaxed))
    return pieces


def _fits(line: InvoiceLine, room: Credited) -> bool:
    return room.gross >= line.gross and room.tax >= line.tax and room.net >= line.net


def _part_of(piece: Piece, gross: Money) -> Piece:
    """``gross`` of a piece, its tax and components in proportion."""
    line, components = piece
    tax = Money.of(line.tax.amount * gross.amount / line.gross.amount, gross.currency)
    return (_line(line.description, line.sku, 1, gross, tax, line.tax_rate_percent),
            split_components(components, gross, tax))


def _largest_part(piece: Piece, room: Credited) -> Piece | None:
    """The largest part of ``piece`` that fits ``room`` (one minor unit at a time from
    the proportional estimate: rounding can make the estimate a cent too large)."""
    line = piece[0]
    gross = min(line.gross, room.gross)
    if line.tax.amount:
        gross = min(gross, Money.of(line.gross.amount * room.tax.amount / line.tax.amount,
                                    gross.currency))
    if line.net.amount:
        gross = min(gross, Money.of(line.gross.amount * room.net.amount / line.net.amount,
                                    gross.currency))
    unit = Money(Decimal(1).scaleb(-minor_unit(gross.currency)), gross.currency)
    while gross.amount > 0:
        part = _part_of(piece, gross)
        if _fits(part[0], room):
            return part
        gross = gross - unit
    return None


def _squeezed(piece: Piece, room: Credited) -> Piece:
    """As much of ``piece`` as ``room`` takes, its tax moved by the cent or so that makes
    it fit: net and tax must each stay within what the invoice has left."""
    line, components = piece
    gross = min(line.gross, room.gross)
    tax = min(max(line.tax, gross - room.net), room.tax)
    return (_line(line.description, line.sku, 1, gross, tax, line.tax_rate_percent),
            split_components(components, gross, tax))


def _credit(uow: UnitOfWork, order: Order, pieces: list[Piece], reference: str,
            note: str | None, *, at_most_what_is_left: bool = False) -> Money:
    """Credit notes for ``pieces``, newest invoice first: a piece goes whole to an invoice
    with room for it, or is split over several (one credit note per invoice touched).

    ``at_most_what_is_left``: credit what the invoices still hold and let the rest go,
    for a correction after a goodwill refund, whose credit note has already taken part
    of what the lines were invoiced at. Returns what could not be credited."""
    invoices = [i for i in invoices_for_order(uow, order.id) if i.kind == InvoiceKind.INVOICE]
    short = Money.zero(order.currency)
    if not invoices or not pieces:
        return short
    room = {i.id: creditable(uow, i.id) for i in invoices}
    taken: dict[str, list[Piece]] = {}

    def take(invoice_id: str, piece: Piece) -> None:
        line, left = piece[0], room[invoice_id]
        room[invoice_id] = Credited(left.net - line.net, left.tax - line.tax,
                                    left.gross - line.gross)
        taken.setdefault(invoice_id, []).append(piece)

    for piece in pieces:
        whole = next((i for i in reversed(invoices) if _fits(piece[0], room[i.id])), None)
        if whole is not None:
            take(whole.id, piece)
            continue
        rest = piece
        for invoice in reversed(invoices):
            part = _largest_part(rest, room[invoice.id])
            if part is None:
                continue
            take(invoice.id, part)
            if part[0].gross == rest[0].gross:
                rest = None
                break
            rest = _part_of(rest, rest[0].gross - part[0].gross)
        for invoice in reversed(invoices):  # cents that proportional rounding left over
            if rest is None or room[invoice.id].gross.amount <= 0:
                continue
            part = _squeezed(rest, room[invoice.id])
            take(invoice.id, part)
            rest = None if part[0].gross == rest[0].gross else \
                _part_of(rest, rest[0].gross - part[0].gross)
        if rest is not None and not at_most_what_is_left:
            raise Conflict(f"The invoices of order {order.number} have less left to credit "
                           f"than '{piece[0].description}' ({piece[0].gross})")
        if rest is not None:
            short = short + rest[0].gross
    today = uow.clock.now().date()
    for n, invoice in enumerate(i for i in invoices if i.id in taken):
        chosen = taken[invoice.id]
        issue(uow, _draft(order, InvoiceKind.CREDIT_NOTE, [p[0] for p in chosen],
                          [c for p in chosen for c in p[1]],
                          reference if n == 0 else f"{reference}:{n}", today,
                          corrects=invoice.id, note=note), commit=False)
    return short


def issue_credit_note(uow: UnitOfWork, order: Order, refund_id: str, parts: list,
                      reason: str) -> None:
    """The credit notes of a refund. An order without a seller gets none; one invoiced
    per shipment can only be refunded once something has shipped (been invoiced)."""
    if not order.legal_entity_id:
        return
    if not any(i.kind == InvoiceKind.INVOICE for i in invoices_for_order(uow, order.id)):
        raise Conflict(f"Nothing of order {order.number} has been invoiced yet (it is invoiced "
                       "per shipment): cancel units instead, or refund once they have shipped")
    # a line an exchange took whole is paid by the replacement order: nothing to credit
    _credit(uow, order, [p for p in _refund_pieces(order, parts) if p[0].gross.amount],
            refund_id, reason)


def _billed(order: Order, line: OrderLine) -> Piece | None:
    """What a line stands invoiced at, less what was refunded (and credited) on it."""
    if not line.open_quantity or line.money is None:
        return None
    gross = line.money.gross - (line.refunded or Money.zero(order.currency))
    tax = line.money.tax - (line.refunded_tax or Money.zero(order.currency))
    units = max(line.open_quantity - line.refunded_quantity, 1)
    if gross.amount <= 0:
        return None
    return _goods(line, units, gross, tax), split_components(line.money.components, gross, tax)


def _billed_shipping(order: Order) -> Piece | None:
    left = order.totals.shipping_refunded or Money.zero(order.currency)
    if not order.totals.shipping.amount:
        return None
    line, _ = _shipping_line(order)
    gross = line.gross - left
    if gross.amount <= 0:
        return None
    tax = Money.of(line.tax.amount * gross.amount / line.gross.amount, order.currency)
    return (_line("Shipping", None, 1, gross, tax, line.tax_rate_percent),
            split_components(order.tax.shipping_components, gross, tax))


def correct_invoices(uow: UnitOfWork, before: Order, after: Order, reference: str,
                     reason: str | None) -> None:
    """After an edit or a cancellation of an order invoiced when placed: what changed is
    credited at what it was invoiced at, and invoiced again at what it is now. Invoices
    are never changed; corrections are documents of their own."""
    if not after.legal_entity_id or after.invoicing != "order":
        return
    if not any(i.kind == InvoiceKind.INVOICE for i in invoices_for_order(uow, after.id)):
        return
    old = {ln.line_no: ln for ln in before.lines}
    credits: list[Piece] = []
    bills: list[Piece] = []
    for line in after.lines:
        was = _billed(before, old[line.line_no]) if line.line_no in old else None
        now = _billed(after, line)
        if was != now:
            credits += [was] if was else []
            bills += [now] if now else []
    was, now = _billed_shipping(before), _billed_shipping(after)
    if was != now:
        credits += [was] if was else []
        bills += [now] if now else []
    # the credit notes undo what was invoiced: as the order was (reverse charge or not)
    short = _credit(uow, before, credits, f"{reference}:credit", reason,
                    at_most_what_is_left=True)
    # what a goodwill refund already credited is not invoiced again either
    kept: list[Piece] = []
    for piece in bills:
        cut = min(short, piece[0].gross)
        short = short - cut
        if cut < piece[0].gross:
            kept.append(piece if not cut.amount else _part_of(piece, piece[0].gross - cut))
    bills = kept
    if bills:
        # the replacement names what it replaces; the edit's reason is internal and is
        # not printed on it
        credited = sorted({d.corrects_number for d in invoices_for_order(uow, after.id)
                           if d.kind == InvoiceKind.CREDIT_NOTE and d.corrects_number
                           and (d.reference or "").startswith(f"{reference}:credit")})
        issue(uow, _draft(after, InvoiceKind.INVOICE, [p[0] for p in bills],
                          [c for p in bills for c in p[1]], reference,
                          uow.clock.now().date(), replaces=", ".join(credited) or None),
              commit=False)
