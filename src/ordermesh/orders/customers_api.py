"""``GET /customers/{id}``: a customer with their most recent orders.

The read lives with orders, which sit above customers (an order names its customer;
customers know nothing of orders), so that customers imports no feature."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.customers import service as customers
from ordermesh.customers.api import CustomerRead
from ordermesh.http.deps import ReadContext
from ordermesh.orders.queries import OrderFilter, list_orders
from ordermesh.orders.schemas import OrderSummary

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

RECENT_ORDERS = 20


class CustomerWithOrders(CustomerRead):
    orders: list[OrderSummary]
    more_orders_cursor: str | None


@router.get("/{customer_id}", summary="A customer with their most recent orders")
def get_customer(customer_id: str, ctx: ReadContext) -> CustomerWithOrders:
    """`orders` holds the newest orders; page on with
    `GET /api/v1/orders?customer={id}&cursor={more_orders_cursor}`."""
    with ctx.read_uow() as uow:
        customer = customers.get_customer(uow, customer_id)
        page = list_orders(uow, OrderFilter(customer_id=customer_id), limit=RECENT_ORDERS)
    return CustomerWithOrders(
        **CustomerRead.of(customer).model_dump(),
        orders=[OrderSummary.of(o) for o in page.items], more_orders_cursor=page.next_cursor,
    )
