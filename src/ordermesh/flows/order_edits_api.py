"""HTTP route of editing an order (``flows/order_edits.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows.order_edits import edit_order as run_edit
from ordermesh.http.deps import WriteContext
from ordermesh.orders import edits
from ordermesh.orders.model import ShippingAddress
from ordermesh.orders.money_api import EditIn, OrderEdit
from ordermesh.orders.schemas import OrderRead

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


def _edit(e: EditIn) -> edits.Edit:
    address = ShippingAddress(**e.address.model_dump()) if e.address else None
    return edits.Edit(e.op, e.line_no, e.quantity, e.sku, e.unit_price, address)


@router.post("/{order_id}/edits", summary="Edit an order: quantities, lines, address")
def edit_order(order_id: str, body: OrderEdit, ctx: WriteContext) -> OrderRead:
    """Re-prices, re-taxes, reserves or releases stock and settles the money difference
    (extra authorisation, void or refund) in one transaction; the order gets a new
    version. Lines with shipped or refunded units cannot be edited."""
    idem = ctx.idempotency(body)
    changes = [_edit(e) for e in body.edits]
    order = ctx.run(lambda uow: run_edit(uow, order_id, changes, body.reason, idem))
    return OrderRead.of(order)
