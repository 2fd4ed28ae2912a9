from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ordermesh.customers import service
from ordermesh.customers.model import Customer
from ordermesh.http.deps import ReadContext
from ordermesh.kit.pagination import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
# GET /customers/{id} (a customer with their orders) is in orders/customers_api.py: orders
# sit above customers.


class CustomerRead(BaseModel):
    id: str
    email: str | None
    phone: str | None
    name: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Customer) -> CustomerRead:
        return cls(id=c.id, email=c.email, phone=c.phone, name=c.name,
                   created_at=c.created_at, updated_at=c.updated_at)


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    next_cursor: str | None


@router.get("", summary="List customers, newest first")
def list_customers(
    ctx: ReadContext,
    email: Annotated[str | None, Query(max_length=254)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CustomerPage:
    with ctx.read_uow() as uow:
        page = service.list_customers(uow, email=email, limit=limit, cursor=cursor)
    return CustomerPage(items=[CustomerRead.of(c) for c in page.items],
                        next_cursor=page.next_cursor)
