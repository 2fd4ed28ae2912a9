"""Editing a confirmed (and perhaps paid) order: quantities, lines, shipping address.

The order's part of an edit: the edits checked and planned against the order's lines
(``plan_edit``), the stock given back (``move_stock``), the lines written
(``write_lines``). The edit as one step (re-price, re-tax, source added units, move the
fulfilment orders to a new address, book the tax, settle the money) is
``flows/order_edits.py``. Units that have shipped or been refunded cannot be edited.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from sqlalchemy import insert, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import FieldError, InvalidInput
from ordermesh.kit.money import Money, prorate
from ordermesh.orders.changes import give_back
from ordermesh.orders.model import Order, OrderLine, OrderStatus, ShippingAddress
from ordermesh.orders.pricing import line_columns, line_prices
from ordermesh.orders.service import MAX_LINES
from ordermesh.orders.tables import order_lines

EDITABLE = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD,
                      OrderStatus.PROCESSING, OrderStatus.PARTIALLY_SHIPPED})


class EditOp(enum.StrEnum):
    SET_QUANTITY = "set_quantity"
    ADD_LINE = "add_line"
    REMOVE_LINE = "remove_line"
    SET_SHIPPING_ADDRESS = "set_shipping_address"


@dataclass(frozen=True)
class Edit:
    op: EditOp
    line_no: int | None = None
    quantity: int | None = None
    sku: str | None = None
    unit_price: Decimal | None = None
    address: ShippingAddress | None = None


@dataclass
class EditPlan:
    lines: dict[int, OrderLine]
    release: dict[int, int]
    reserve: dict[int, int]
    added: list[int]
    address: ShippingAddress | None
    address_changed: bool = False


def _set_quantity(plan: EditPlan, i: int, line_no: int | None, quantity: int) -> FieldError | None:
    line = plan.lines.get(line_no) if line_no is not None else None
    if line is None:
        return FieldError(f"edits.{i}.line_no", f"No line {line_no} in this order")
    if line.shipped_quantity or line.refunded_quantity:
        return FieldError(f"edits.{i}.line_no", f"Line {line_no} has shipped or refunded units "
                          "and cannot be edited", "line_shipped")
    open_now = line.open_quantity
    if quantity < open_now:
        plan.lines[line_no] = replace(
            line, cancelled_quantity=line.cancelled_quantity + open_now - quantity)
        give_back = open_now - quantity
        taken = min(give_back, plan.reserve.get(line_no, 0))  # undo this edit's own reserve
        plan.reserve[line_no] = plan.reserve.get(line_no, 0) - taken
        plan.release[line_no] = plan.release.get(line_no, 0) + give_back - taken
    elif quantity > open_now:
        # discounts are for the whole line: they grow with it, so that raising a quantity
        # and lowering it again gives the same amounts
        grown = line.quantity + quantity - open_now
        share = line.order_discount_share or Money.zero(line.unit_price.currency)
        plan.lines[line_no] = replace(
            line, quantity=grown, discount=prorate(line.line_discount, grown, line.quantity),
            order_discount_share=prorate(share, grown, line.quantity))
        plan.reserve[line_no] = plan.reserve.get(line_no, 0) + quantity - open_now
    return None


def plan_edit(uow: UnitOfWork, order: Order, edits: list[Edit]) -> EditPlan:
    plan = EditPlan({ln.line_no: ln for ln in order.lines}, {}, {}, [], order.shipping_address)
    errors: list[FieldError] = []
    new_lines: list[tuple[int, Edit]] = []
    for i, edit in enumerate(edits):
        error = None
        if edit.op in (EditOp.SET_QUANTITY, EditOp.REMOVE_LINE):
            quantity = 0 if edit.op == EditOp.REMOVE_LINE else edit.quantity
            if quantity is None or quantity < 0:
                error = FieldError(f"edits.{i}.quantity", "set_quantity needs a quantity >= 0")
            else:
                error = _set_quantity(plan, i, edit.line_no, quantity)
        elif edit.op == EditOp.ADD_LINE:
            if not edit.sku or not edit.quantity or edit.quantity <= 0:
                error = FieldError(f"edits.{i}", "add_line needs a sku and a quantity > 0")
            else:
                new_lines.append((i, edit))
        elif edit.op == EditOp.SET_SHIPPING_ADDRESS:
            if edit.address is None:
                error = FieldError(f"edits.{i}.address", "set_shipping_address needs an address")
            elif any(ln.shipped_quantity for ln in order.lines):
                error = FieldError(f"edits.{i}.address", "Part of the order has shipped to the "
                                   "address it has", "order_shipped")
            elif order.totals.refunded and order.totals.refunded.amount:
                # refunds were taxed where the order went then; moving the rest would split
                # one line's tax over two countries
                error = FieldError(f"edits.{i}.address", "The order has refunds: its address "
                                   "can no longer change", "order_refunded")
            else:
                plan.address, plan.address_changed = edit.address, True
        if error:
            errors.append(error)
    if errors:
        raise InvalidInput("Some edits cannot be made", errors=errors)
    if new_lines:
        _add_lines(uow, order, plan, new_lines)
    if len(plan.lines) > MAX_LINES:
        raise InvalidInput.for_field("edits", f"an order has at most {MAX_LINES} lines")
    if all(ln.open_quantity == 0 for ln in plan.lines.values()):
        raise InvalidInput.for_field("edits", "an edit cannot leave no units: cancel the "
                                     "order instead", "nothing_left")
    return plan


def _add_lines(uow: UnitOfWork, order: Order, plan: EditPlan, new: list[tuple[int, Edit]]) -> None:
    found = resolve_skus(uow, [e.sku for _, e in new], [f"edits.{i}.sku" for i, _ in new])
    products = [found[e.sku] for _, e in new]
    prices = line_prices(uow, order.channel_id, order.currency, products,
                         [e.unit_price for _, e in new], uow.clock.now(), field="edits")
    next_no = max(plan.lines) + 1
    for (_, edit), product, price in zip(new, products, prices, strict=True):
        plan.lines[next_no] = OrderLine(
            next_no, product.id, product.sku, product.name, edit.quantity, price.unit_price,
            list_price=price.list_price, tax_class=product.tax_class)
        plan.reserve[next_no] = edit.quantity
        plan.added.append(next_no)
        next_no += 1


def move_stock(uow: UnitOfWork, order: Order, plan: EditPlan) -> None:
    # Both steps lock stock rows; locking every product first, in the global order,
    # keeps two edits moving stock in opposite directions from deadlocking.
    lock_products(uow, {plan.lines[n].product_id for n in (*plan.release, *plan.reserve)})
    give_back(uow, order, plan.release)
    # added units are reserved by sourcing once the lines are written (flows/order_edits)


def write_lines(uow: UnitOfWork, order: Order, plan: EditPlan, amounts) -> None:
    before = {ln.line_no: ln for ln in order.lines}
    for no, line in plan.lines.items():
        old = before.get(no)
        if old is not None and (old.quantity, old.cancelled_quantity) != (
                line.quantity, line.cancelled_quantity):
            uow.execute(update(order_lines).where(
                order_lines.c.order_seq == order.seq, order_lines.c.line_no == no,
            ).values(quantity=line.quantity, cancelled_quantity=line.cancelled_quantity,
                     discount_amount=line.line_discount.amount,
                     order_discount_share=line.order_discount_share.amount
                     if line.order_discount_share else 0))
    if plan.added:
        uow.execute(insert(order_lines), [
            {"order_seq": order.seq, "line_no": n, "product_id": plan.lines[n].product_id,
             "sku": plan.lines[n].sku, "name": plan.lines[n].name,
             "quantity": plan.lines[n].quantity, "cancelled_quantity": 0,
             "unit_price": plan.lines[n].unit_price.amount,
             "list_price": plan.lines[n].list_price.amount if plan.lines[n].list_price else None,
             "discount_amount": 0, "tax_class": plan.lines[n].tax_class,
             **line_columns(amounts, n)}
            for n in plan.added])


def edit_changes(edits: list[Edit]) -> list[dict]:
    out = []
    for edit in edits:
        item = {"op": edit.op.value}
        if edit.line_no is not None:
            item["line_no"] = edit.line_no
        if edit.quantity is not None:
            item["quantity"] = edit.quantity
        if edit.sku:
            item["sku"] = edit.sku
        if edit.op == EditOp.SET_SHIPPING_ADDRESS and edit.address:
            item["address"] = asdict(edit.address)
        out.append(item)
    return out
