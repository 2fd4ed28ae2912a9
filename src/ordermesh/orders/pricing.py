"""Pricing and taxing an order: where prices and rates come from, and what is stored.

Used by placement, cancellation, edits and refunds alike, so that an order's money is
always computed the same way: from its lines, its discounts and its tax setup.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, update

from ordermesh.catalog.service import ProductRef
from ordermesh.channels.model import ChannelMoney
from ordermesh.invoices.service import legal_entity
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.orders.amounts import LineInput, OrderAmounts, no_rates, order_amounts
from ordermesh.orders.invoicing import split_components
from ordermesh.orders.model import LineMoney, Order, OrderLine, TaxDetails
from ordermesh.orders.tables import order_lines, orders
from ordermesh.pricing.queries import PriceBook
from ordermesh.pricing.service import list_prices
from ordermesh.tax.ledger import TaxEntry, book, booked_for_order
from ordermesh.tax.model import (
    ComponentTax,
    LineTax,
    Place,
    PricingMode,
    Rates,
    TaxClass,
    TaxNote,
    reverse_charge_applies,
)
from ordermesh.tax.registering import sale_rates
from ordermesh.tax.service import normalise_vat_id, rates_for


@dataclass(frozen=True)
class TaxSetup:
    """Everything besides the lines that decides an order's tax."""

    mode: PricingMode
    rates: Rates
    destination: Place | None
    tax_point: date
    reverse_charge: bool
    buyer_vat_id: str | None
    legal_entity_id: str | None


def tax_setup(
    uow: UnitOfWork, money: ChannelMoney, address: dict | None, buyer_vat_id: str | None,
    tax_point: date, mode: PricingMode | None = None, order_id: str | None = None,
) -> TaxSetup:
    """Destination: the shipping address, else the seller's own place (a sale over the
    counter), else nowhere — then no tax is charged and the order says so.

    With a seller, its tax registrations decide the rates (``tax.registrations``): an
    export is zero-rated, an EU distance sale may carry the seller's own VAT. Without
    one every sale is taxed where it goes. ``order_id``: an order being re-taxed, left
    out of the seller's EU distance-sales total."""
    seller = (cached(uow, ("legal_entity", money.legal_entity_id),
                     lambda: legal_entity(uow, money.legal_entity_id))
              if money.legal_entity_id else None)
    origin = Place(seller.country, seller.region) if seller else None
    destination = Place(address["country"], address.get("region")) if address else origin
    vat_id = (normalise_vat_id(buyer_vat_id, destination.country if destination else None)
              if buyer_vat_id else None)
    reverse = bool(vat_id and origin and destination
                   and reverse_charge_applies(origin, destination, vat_id))
    if seller is not None and destination is not None:
        rates, _ = sale_rates(uow, seller.id, origin, destination, tax_point, origin,
                              reverse_charge=reverse, order_id=order_id)
    elif destination is not None:
        rates = rates_for(uow, destination, tax_point, origin)
    else:
        rates = no_rates(tax_point)
    # Under reverse charge the buyer accounts for the tax: the prices sent are what is
    # paid, without tax, whatever the channel's mode (send net prices for such buyers).
    mode = PricingMode.EXCLUSIVE if reverse else (mode or money.pricing_mode)
    return TaxSetup(mode, rates, destination, tax_point, reverse, vat_id,
                    money.legal_entity_id)


@dataclass(frozen=True)
class LinePrice:
    unit_price: Money
    list_price: Money | None


def line_prices(
    uow: UnitOfWork, channel_id: str, currency: str, products: list[ProductRef],
    given: list[Decimal | None], at: datetime, field: str = "lines",
    books: Collection[PriceBook] = (),
) -> list[LinePrice]:
    """A line without a price takes the price list's (or the product's own list price);
    a given price is kept and our list price stored beside it, so a marketplace's price
    can be compared with ours. ``books``: list prices a batch of orders read already."""
    listed = list_prices(uow, channel_id, currency, [p.id for p in products], at, books)
    prices, errors = [], []
    for i, (product, price) in enumerate(zip(products, given, strict=True)):
        ours = listed.get(product.id)
        if ours is None and product.price is not None and product.price.currency == currency:
            ours = product.price
        if price is None and ours is None:
            errors.append(FieldError(
                f"{field}.{i}.unit_price",
                f"'{product.sku}' has no price in {currency} for this channel: send unit_price",
                "no_price"))
            continue
        unit = ours if price is None else Money.exact(price, currency, f"{field}.{i}.unit_price")
        if unit.is_negative():
            errors.append(FieldError(f"{field}.{i}.unit_price", "unit_price must not be negative"))
            continue
        prices.append(LinePrice(unit, ours))
    if errors:
        raise InvalidInput("Some lines have no price", errors=errors)
    return prices


def line_inputs(lines: Iterable[OrderLine]) -> list[LineInput]:
    return [
        LineInput(line.line_no, line.quantity, line.open_quantity, line.unit_price,
                  line.total_discount, TaxClass(line.tax_class), refunded_in_full(line))
        for line in lines
    ]


def refunded_in_full(line: OrderLine) -> LineTax | None:
    """For a line whose open units have all been refunded (the others cancelled): its
    amounts as the refunds gave them back, the tax split over its components in
    proportion, as a refund splits it (see ``amounts`` on why it is not re-priced)."""
    if (not line.refunded_quantity or line.refunded_quantity != line.open_quantity
            or line.money is None or line.refunded is None or line.refunded_tax is None):
        return None
    components = tuple(
        ComponentTax(c["jurisdiction"], c["name"], Decimal(c["rate_percent"]),
                     Money.of(c["taxable"], line.refunded.currency),
                     Money.of(c["tax"], line.refunded.currency),
                     TaxNote(c["reason_code"], c["reason"]) if c.get("reason_code") else None)
        for c in split_components(line.money.components, line.refunded, line.refunded_tax))
    return LineTax(str(line.line_no), TaxClass(line.tax_class),
                   line.refunded - line.refunded_tax, line.refunded_tax, line.refunded,
                   line.money.rate_percent, components)


def amounts_for(
    lines: Iterable[OrderLine], shipping: Money, order_discount: Money, setup: TaxSetup
) -> OrderAmounts:
    return order_amounts(line_inputs(lines), shipping, order_discount, setup.rates, setup.mode,
                         reverse_charge=setup.reverse_charge)


def breakdown_json(amounts: OrderAmounts) -> list[dict]:
    return [component_json(c) for c in amounts.tax.breakdown]


def component_json(c) -> dict:
    out = {"jurisdiction": c.jurisdiction, "name": c.name, "rate_percent": str(c.rate_percent),
           "taxable": str(c.taxable.amount), "tax": str(c.tax.amount)}
    if c.note is not None:  # why it is taxed so: an export, an EU distance sale
        out.update(reason_code=c.note.code, reason=c.note.text)
    return out


def line_columns(amounts: OrderAmounts, line_no: int) -> dict:
    a = amounts.lines[line_no]
    return {"applied_discount_amount": a.discount.amount, "net_amount": a.net.amount,
            "tax_amount": a.tax.amount, "gross_amount": a.gross.amount,
            "tax_rate": a.rate_percent, "tax_components": [component_json(c) for c in a.components]}


def line_money(amounts: OrderAmounts, line_no: int) -> LineMoney:
    a = amounts.lines[line_no]
    return LineMoney(a.discount, a.net, a.tax, a.gross, a.rate_percent,
                     tuple(component_json(c) for c in a.components))


def tax_details(setup: TaxSetup, amounts: OrderAmounts) -> TaxDetails:
    d = setup.destination
    return TaxDetails(
        pricing_mode=setup.mode.value, country=d.country if d else None,
        region=d.region if d else None, tax_point=setup.tax_point,
        reverse_charge=setup.reverse_charge, buyer_vat_id=setup.buyer_vat_id,
        shipping_tax=amounts.shipping.tax, breakdown=tuple(breakdown_json(amounts)),
        shipping_components=tuple(component_json(c) for c in amounts.shipping.components))


def header_columns(amounts: OrderAmounts) -> dict:
    t = amounts.totals
    return {"subtotal_amount": t.subtotal.amount, "discount_amount": t.discount.amount,
            "shipping_amount": t.shipping.amount, "tax_amount": t.tax.amount,
            "shipping_tax_amount": amounts.shipping.tax.amount, "total_amount": t.total.amount,
            "tax_breakdown": breakdown_json(amounts),
            "shipping_tax_components": [component_json(c) for c in amounts.shipping.components]}


_UPDATE_LINE = update(order_lines).where(
    order_lines.c.order_seq == bindparam("seq"), order_lines.c.line_no == bindparam("no"))


def store_amounts(uow: UnitOfWork, seq: int, amounts: OrderAmounts, **header: object) -> None:
    """Write recomputed amounts over an order's lines and header."""
    uow.execute(_UPDATE_LINE.values(
        applied_discount_amount=bindparam("applied_discount_amount"),
        net_amount=bindparam("net_amount"), tax_amount=bindparam("tax_amount"),
        gross_amount=bindparam("gross_amount"), tax_rate=bindparam("tax_rate"),
        tax_components=bindparam("tax_components")),
        [{"seq": seq, "no": no, **line_columns(amounts, no)} for no in amounts.lines])
    uow.execute(update(orders).where(orders.c.seq == seq)
                .values(**header_columns(amounts), **header))


def _keyed(
    breakdown: Iterable[dict],
) -> dict[tuple[str, str, Decimal], tuple[Decimal, Decimal]]:
    """Sums per (jurisdiction, name, rate); rates as numbers, so 19 and 19.0000 are one."""
    out: dict[tuple[str, str, Decimal], tuple[Decimal, Decimal]] = {}
    for c in breakdown:
        key = (c["jurisdiction"], c["name"], Decimal(c["rate_percent"]))
        taxable, tax = out.get(key, (Decimal(0), Decimal(0)))
        out[key] = (taxable + Decimal(c["taxable"]), tax + Decimal(c["tax"]))
    return out


def book_towards(
    uow: UnitOfWork, order_id: str, document: str, document_id: str, tax_point: date,
    currency: str, breakdown: Iterable[dict],
) -> Money:
    """Bring the ledger to what the order's tax now is, less what refunds gave back;
    returns the tax this change gives back (nothing when it adds tax).

    Booked against what the ledger holds, not against the order's previous breakdown:
    a goodwill or shipping refund has already taken its tax back, and must not be taken
    back twice when the order is then cancelled. No rate goes below zero (see
    ``_no_rate_below_zero``)."""
    target = _keyed(breakdown)
    for key, (taxable, tax) in _keyed(booked_for_order(uow, order_id, "refund")).items():
        old_taxable, old_tax = target.get(key, (Decimal(0), Decimal(0)))
        target[key] = (old_taxable + taxable, old_tax + tax)
    wanted = _as_breakdown(_no_rate_below_zero(target))
    current = booked_for_order(uow, order_id)
    book_tax_change(uow, order_id, document, document_id, tax_point, currency, current, wanted)
    given_back = sum((Decimal(c["tax"]) for c in current), Decimal(0)) - sum(
        (Decimal(c["tax"]) for c in wanted), Decimal(0))
    return Money.of(max(given_back, Decimal(0)), currency)


def book_refund(
    uow: UnitOfWork, order_id: str, refund_id: str, day: date, currency: str,
    components: Iterable[dict],
) -> None:
    """Take a refund's tax components off the ledger, no rate below zero."""
    current = booked_for_order(uow, order_id)
    target = _keyed(current)
    for key, (taxable, tax) in _keyed(components).items():
        old_taxable, old_tax = target.get(key, (Decimal(0), Decimal(0)))
        target[key] = (old_taxable - taxable, old_tax - tax)
    book_tax_change(uow, order_id, "refund", refund_id, day, currency, current,
                    _as_breakdown(_no_rate_below_zero(target)))


def _as_breakdown(keyed: dict) -> list[dict]:
    return [{"jurisdiction": j, "name": n, "rate_percent": str(r), "taxable": str(x),
             "tax": str(t)} for (j, n, r), (x, t) in keyed.items()]


def _no_rate_below_zero(target: dict) -> dict:
    """A goodwill refund takes its tax from every rate of the order; when a line of one
    rate is later refunded or cancelled in full, that rate would end below zero. The
    shortfall is shared by the other rates instead, in proportion to what each holds
    (taxable amounts by taxable amount, tax by tax), so the totals stay what the customer
    was charged less what was given back, and a rate keeps tax only while it keeps a
    taxable amount. When nothing taxable is left anywhere, nothing is kept at any rate."""
    keys = list(target)
    taxable = {k: target[k][0] for k in keys}
    tax = {k: target[k][1] for k in keys}
    if sum(taxable.values(), Decimal(0)) <= 0:
        return {k: (Decimal(0) * taxable[k], Decimal(0) * tax[k]) for k in keys}
    taxable, tax = _shared_out(taxable), _shared_out(tax)
    for k in keys:  # tax left on a rate with nothing taxable moves to the largest rate
        if taxable[k] <= 0 < tax[k]:
            largest = max(keys, key=lambda key: taxable[key])
            tax[largest] += tax[k]
            tax[k] -= tax[k]
    return {k: (taxable[k], tax[k]) for k in keys}


def _shared_out(values: dict) -> dict:
    """Values with no negative one: the sum (or zero, when it is negative) shared by the
    positive values in proportion to their size, in the values' smallest unit, remainders
    to the largest fractions first."""
    if all(v >= 0 for v in values.values()):
        return dict(values)
    total = sum(values.values(), Decimal(0))
    positive = {k: v for k, v in values.items() if v > 0}
    unit = Decimal(1).scaleb(min((v.as_tuple().exponent for v in values.values()), default=0))
    out = {k: Decimal(0) * unit for k in values}
    if total <= 0 or not positive:
        return out
    whole = sum(positive.values(), Decimal(0))
    exact = {k: total * v / whole for k, v in positive.items()}
    for k, share in exact.items():
        out[k] = (share / unit).to_integral_value(rounding="ROUND_FLOOR") * unit
    left = int((total - sum(out.values(), Decimal(0))) / unit)
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[:left]:
        out[k] += unit
    return out


def book_tax_change(
    uow: UnitOfWork, order_id: str, document: str, document_id: str | None, tax_point: date,
    currency: str, before: Iterable[dict], after: Iterable[dict], *,
    legal_entity_id: str | None = None, destination: str | None = None,
    seller_known: bool = False,
) -> None:
    """Book into the tax ledger what changed between two breakdowns of one order (the
    seller and destination: given at placement, the order's first entries' later;
    ``seller_known``: ``legal_entity_id`` is the seller even when None, as at placement)."""
    old, new = _keyed(before), _keyed(after)
    entries = []
    for key in sorted(old.keys() | new.keys()):
        taxable = new.get(key, (0, 0))[0] - old.get(key, (0, 0))[0]
        tax = new.get(key, (0, 0))[1] - old.get(key, (0, 0))[1]
        if taxable == 0 and tax == 0:
            continue
        jurisdiction, name, rate = key
        # the ledger keeps taxable and tax of one entry of the same sign: a change where
        # rounding moves them apart (taxable +0.01, tax -0.01) is two entries
        pairs = [(taxable, tax)] if taxable * tax >= 0 else [(taxable, 0), (0, tax)]
        entries += [TaxEntry(order_id, document, document_id, tax_point, currency,
                             jurisdiction, name, Decimal(rate), Money.of(x, currency),
                             Money.of(t, currency), legal_entity_id, destination)
                    for x, t in pairs]
    if entries:
        book(uow, entries, seller_known=seller_known)


def order_setup(uow: UnitOfWork, order: Order, address: dict | None = None) -> TaxSetup:
    """The tax setup an order was placed with; a new ``address`` re-taxes it."""
    tax = order.tax
    mode = PricingMode(tax.pricing_mode)
    if address is None and order.shipping_address:
        address = asdict(order.shipping_address)
    if tax.tax_point is None:  # placed before ordermesh computed taxes: it has none
        return TaxSetup(mode, no_rates(order.created_at.date()), None,
                        order.created_at.date(), False, None, order.legal_entity_id)
    money = ChannelMoney(pricing_mode=mode, legal_entity_id=order.legal_entity_id)
    return tax_setup(uow, money, address, tax.buyer_vat_id, tax.tax_point, mode, order.id)


def check_refunds_covered(order: Order, amounts: OrderAmounts) -> None:
    """A change may not leave a line worth less than was already refunded on it."""
    for line in order.lines:
        new = amounts.lines[line.line_no].gross
        if line.refunded and line.refunded.amount and new < line.refunded:
            raise Conflict(
                f"Line {line.line_no} would be worth {new}, less than the {line.refunded} "
                "already refunded on it", extra={"line_no": line.line_no})
