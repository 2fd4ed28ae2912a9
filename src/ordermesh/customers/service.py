from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from ordermesh.customers.model import Customer, normalise_email, normalise_phone
from ordermesh.customers.tables import customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.kit.upsert import insert_ignore_returning

_BY_EMAIL = select(customers).where(customers.c.email == bindparam("email"))
_BY_PHONE = (select(customers).where(customers.c.phone == bindparam("phone"))
             .order_by(customers.c.created_at).limit(1))


def _to_customer(row) -> Customer:
    return Customer(row.id, row.email, row.phone, row.name, as_utc(row.created_at),
                    as_utc(row.updated_at))


def match_or_create(
    uow: UnitOfWork, *, email: str | None, phone: str | None, name: str | None
) -> str:
    """The id of the customer with this e-mail, else this phone, else a new customer.

    Runs inside the caller's transaction. A matched customer gains the phone or name it
    did not have yet; what it had is never overwritten by an order.
    """
    email, phone = normalise_email(email), normalise_phone(phone)
    now = uow.clock.now()
    row = None
    if email:
        # Most orders come from known customers: look first, insert only when missing.
        row = uow.execute(_BY_EMAIL, {"email": email}).first()
        if row is None:
            new = new_id("cus")
            created = insert_ignore_returning(uow, customers, ("email",), "id", {
                "id": new, "email": email, "phone": phone, "name": name, "created_at": now,
                "updated_at": now})
            if created is not None:
                record_event(uow, "customer.created", "customer", new, {"email": email})
                return new
            row = uow.execute(_BY_EMAIL, {"email": email}).one()  # created concurrently
    elif phone:
        row = uow.execute(_BY_PHONE, {"phone": phone}).first()
    if row is None:
        new = new_id("cus")
        uow.execute(insert(customers).values(id=new, email=email, phone=phone, name=name,
                                             created_at=now, updated_at=now))
        record_event(uow, "customer.created", "customer", new, {"email": email})
        return new
    missing = {k: v for k, v in (("phone", phone), ("name", name)) if v and not getattr(row, k)}
    if missing:
        uow.execute(update(customers).where(customers.c.id == row.id)
                    .values(**missing, updated_at=now))
        record_event(uow, "customer.updated", "customer", row.id, {"added": sorted(missing)})
    return row.id


def get_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    row = uow.execute(select(customers).where(customers.c.id == customer_id)).first()
    if row is None:
        raise NotFound(f"Customer '{customer_id}' does not exist")
    return _to_customer(row)


def get_customers(uow: UnitOfWork, ids: set[str]) -> dict[str, Customer]:
    if not ids:
        return {}
    rows = uow.execute(select(customers).where(customers.c.id.in_(ids)))
    return {r.id: _to_customer(r) for r in rows}


def list_customers(
    uow: UnitOfWork, *, email: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page[Customer]:
    """Newest first; offset cursor (customer lists are browsed, not streamed)."""
    offset = decode_cursor(cursor) or 0
    query = select(customers).order_by(customers.c.created_at.desc(), customers.c.id.desc())
    if email:
        query = query.where(customers.c.email == normalise_email(email))
    rows = list(uow.execute(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return Page([_to_customer(r) for r in rows[:limit]], next_cursor)
