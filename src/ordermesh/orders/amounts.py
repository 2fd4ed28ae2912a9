"""What an order costs: prices, discounts, tax per line and the totals. Pure.

The order of the steps is the rounding contract:

1. a line's subtotal is unit price x open units (exact);
2. its own discount is the share of the line discount for the open units (rounded once);
3. the order discount is split over the lines in proportion to what is left of them,
   with ``allocate`` so the shares add up to the order discount exactly;
4. the tax engine turns each line's amount (gross when prices include tax, net when
   they do not) into net + tax = gross, per line and per tax component;
5. every total is a plain sum of the lines (and of shipping), never rounded again.

A line whose open units have all been refunded is not re-priced: it is worth what was
refunded for it (``LineInput.refunded``). Refunds value units as shares of the line as it
was; re-pricing just those units would round to other cents than the shares did, and
the difference (a cent of tax, say) would stay on an order with nothing left to give back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ordermesh.kit.money import Money, allocate, prorate, total
from ordermesh.tax.model import (
    ComponentTax,
    LineTax,
    Place,
    PricingMode,
    Rates,
    TaxableLine,
    TaxClass,
    TaxResult,
    compute_tax,
    summarise,
)

SHIPPING_KEY = "shipping"


@dataclass(frozen=True)
class LineInput:
    line_no: int
    quantity: int  # as ordered
    open_quantity: int  # ordered less cancelled
    unit_price: Money
    discount: Money  # for the whole ordered quantity
    tax_class: TaxClass
    refunded: LineTax | None = None  # every open unit refunded: what they were refunded at


@dataclass(frozen=True)
class LineAmounts:
    subtotal: Money  # unit price x open units
    discount: Money  # line discount and share of the order discount, for the open units
    net: Money
    tax: Money
    gross: Money
    rate_percent: Decimal
    components: tuple[ComponentTax, ...]


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Money
    discount: Money
    shipping: Money  # as charged (gross when prices include tax)
    tax: Money
    total: Money  # what the customer pays
    net: Money


@dataclass(frozen=True)
class OrderAmounts:
    lines: dict[int, LineAmounts]
    shipping: LineAmounts
    totals: OrderTotals
    tax: TaxResult


def no_rates(on: date) -> Rates:
    """Where no tax applies (no destination is known): every class taxes at nothing."""
    return Rates(destination=Place(""), on=on, by_class={c: () for c in TaxClass})


def _line_amounts(subtotal: Money, discount: Money, tax: LineTax) -> LineAmounts:
    return LineAmounts(subtotal, discount, tax.net, tax.tax, tax.gross, tax.rate_percent,
                       tax.components)


def _as_refunded(result: TaxResult, refunded: dict[str, LineTax]) -> TaxResult:
    """``result`` with the lines refunded in full taken as refunded."""
    if not refunded:
        return result
    taxed = tuple(refunded.get(t.key, t) for t in result.lines)
    currency = result.gross.currency
    return TaxResult(lines=taxed, net=total((t.net for t in taxed), currency),
                     tax=total((t.tax for t in taxed), currency),
                     gross=total((t.gross for t in taxed), currency),
                     reverse_charge=result.reverse_charge,
                     breakdown=summarise(c for t in taxed for c in t.components))


def order_amounts(
    lines: list[LineInput], shipping: Money, order_discount: Money, rates: Rates,
    mode: PricingMode, *, reverse_charge: bool = False,
    shipping_tax_class: TaxClass = TaxClass.STANDARD,
) -> OrderAmounts:
    currency = shipping.currency
    subtotals = [line.unit_price.times(line.open_quantity) for line in lines]
    own_discounts = [prorate(line.discount, line.open_quantity, line.quantity)
                     if line.quantity else Money.zero(currency) for line in lines]
    after_own = [s - d for s, d in zip(subtotals, own_discounts, strict=True)]
    shares = allocate(order_discount, after_own)
    taxable = [
        TaxableLine(str(line.line_no), amount - share, line.tax_class)
        for line, amount, share in zip(lines, after_own, shares, strict=True)
    ]
    taxable.append(TaxableLine(SHIPPING_KEY, shipping, shipping_tax_class))
    result = _as_refunded(compute_tax(taxable, rates, mode, reverse_charge=reverse_charge),
                          {str(line.line_no): line.refunded for line in lines if line.refunded})
    by_key = {t.key: t for t in result.lines}
    inclusive = PricingMode(mode) is PricingMode.INCLUSIVE
    line_amounts = {
        # a line taken as refunded: its discount is what its refunds left off the subtotal
        line.line_no: _line_amounts(sub, own + share if line.refunded is None else
                                    sub - (line.refunded.gross if inclusive
                                           else line.refunded.net),
                                    by_key[str(line.line_no)])
        for line, sub, own, share in zip(lines, subtotals, own_discounts, shares, strict=True)
    }
    zero = Money.zero(currency)
    shipping_amounts = _line_amounts(shipping, zero, by_key[SHIPPING_KEY])
    subtotal = total(subtotals, currency)
    discount = total((a.discount for a in line_amounts.values()), currency)
    totals = OrderTotals(
        subtotal=subtotal, discount=discount, shipping=shipping, tax=result.tax,
        total=result.gross, net=result.net,
    )
    return OrderAmounts(line_amounts, shipping_amounts, totals, result)
