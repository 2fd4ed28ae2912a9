"""Customers: matching an order to its customer, reading and listing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from ordermesh.customers import identities as ids
from ordermesh.customers.matching import given_identities
from ordermesh.customers.model import (
    Customer,
    Identity,
    IdentityKind,
    normalise_email,
    normalise_phone,
)
from ordermesh.customers.tables import customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.kit.upsert import insert_ignore_returning

_BY_EMAIL = select(customers.c.id).where(customers.c.email == bindparam("email"))


def to_customer(row) -> Customer:
    return Customer(
        row.id, row.email, row.phone, row.name, as_utc(row.created_at), as_utc(row.updated_at),
        language=row.language, locale=row.locale, preferred_channel=row.preferred_channel,
        preferred_contact=row.preferred_contact, contact_hours=row.contact_hours,
        notes=row.notes, tags=list(row.tags or []), preferences=dict(row.preferences or {}),
        source_channel=row.source_channel, merged_into=row.merged_into,
        erased_at=as_utc(row.erased_at) if row.erased_at else None, version=row.version)


def match_or_create(
    uow: UnitOfWork, *, email: str | None, phone: str | None, name: str | None,
    channel: str | None = None, account_id: str | None = None, region: str | None = None,
) -> str:
    """The id of the customer an order belongs to, created when nobody matches.

    The order's identities, strongest first: the channel's own id for the buyer
    (``account_id``), the e-mail, the phone (E.164; a national number is read in
    ``region``). The customer owning the strongest one that is known is the customer —
    except that a phone decides only when the order has no e-mail. The customer gains the
    order's identities nobody has yet, and a phone or name it did not have; nothing it has
    is overwritten. Runs inside the caller's transaction. (A batch of orders applies
    the same rules with its reads and writes made once: ``customers.matching``.)
    """
    email = normalise_email(email)
    phone = normalise_phone(phone, region, "customer.phone")
    given = given_identities(email, phone, channel, account_id)
    deciding = [i for i in given if not (email and i.kind is IdentityKind.PHONE)]
    found = ids.owners(uow, given)
    owner = next((found[i] for i in deciding if i in found), None)
    if owner is None and deciding:
        owner = _create(uow, given, deciding[0], email, phone, name, channel)
        if owner is None:
            return found_after_race(uow, given, deciding[0], email)
    elif owner is None:  # a name alone: always a new customer
        return _create(uow, [], None, email, phone, name, channel) or ""
    if not _fill_in(uow, owner, given, found, phone, name, channel):
        # erased while we looked: its identities are gone, the person starts afresh
        return match_or_create(uow, email=email, phone=phone, name=name, channel=channel,
                               account_id=account_id, region=region)
    return owner


def found_after_race(uow: UnitOfWork, given: list[Identity], primary: Identity,
                     email: str | None) -> str:
    """A concurrent first order of the same person committed while we waited: theirs."""
    owner = ids.owners(uow, [primary]).get(primary)
    if owner is None and email:
        owner = uow.execute(_BY_EMAIL, {"email": email}).scalar()
    assert owner is not None, "the identity or e-mail we waited for has an owner"
    if not _fill_in(uow, owner, given, ids.owners(uow, given), None, None, None):
        return _create(uow, given, primary, email, None, None, None) or owner
    return owner


def _create(uow: UnitOfWork, given: list[Identity], primary: Identity | None,
            email: str | None, phone: str | None, name: str | None,
            channel: str | None) -> str | None:
    """A new customer owning ``primary``, or None when a concurrent transaction created
    the customer with it first (our row is gone again)."""
    now = uow.clock.now()
    new = new_id("cus")
    values = {"id": new, "email": email, "phone": phone, "name": name, "created_at": now,
              "updated_at": now, "source_channel": channel, "tags": [], "preferences": {}}
    if email:
        if insert_ignore_returning(uow, customers, ("email",), "id", values) is None:
            return None
    else:
        uow.execute(insert(customers).values(**values))
    if primary is not None and not ids.claim(uow, new, primary, channel or "api"):
        uow.execute(delete(customers).where(customers.c.id == new))
        return None
    for identity in given:
        if identity != primary:
            ids.claim(uow, new, identity, channel or "api")
    record_event(uow, "customer.created", "customer", new, {"email": email})
    return new


def _fill_in(uow: UnitOfWork, owner: str, given: list[Identity], found: dict[Identity, str],
             phone: str | None, name: str | None, channel: str | None) -> bool:
    """Give the customer what the order adds; False when it was erased meanwhile. Its row
    is locked, so an erasure (which locks it too) and the order cannot cross."""
    row = uow.execute(select(customers).where(customers.c.id == owner).with_for_update()).one()
    if row.erased_at is not None:
        return False
    added = {i.kind.value for i in given
             if i not in found and ids.claim(uow, owner, i, channel or "api")}
    missing = {k: v for k, v in (("phone", phone), ("name", name)) if v and not getattr(row, k)}
    if missing:
        uow.execute(update(customers).where(customers.c.id == owner)
                    .values(**missing, updated_at=uow.clock.now()))
    added |= set(missing)
    if added:
        record_event(uow, "customer.updated", "customer", owner, {"added": sorted(added)})
    return True


def get_customer(db: Any, customer_id: str) -> Customer:
    row = db.execute(select(customers).where(customers.c.id == customer_id)).first()
    if row is None:
        raise NotFound(f"Customer '{customer_id}' does not exist")
    return to_customer(row)


def lock_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    """The customer, its row locked for a change; an erased customer cannot change."""
    row = uow.execute(select(customers).where(customers.c.id == customer_id)
                      .with_for_update()).first()
    if row is None:
        raise NotFound(f"Customer '{customer_id}' does not exist")
    if row.erased_at is not None:
        raise Conflict(f"Customer '{customer_id}' was erased", extra={"reason": "erased"})
    return to_customer(row)


def get_customers(uow: UnitOfWork, wanted: set[str]) -> dict[str, Customer]:
    if not wanted:
        return {}
    rows = uow.execute(select(customers).where(customers.c.id.in_(wanted)))
    return {r.id: to_customer(r) for r in rows}


def list_customers(
    uow: UnitOfWork, *, email: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page[Customer]:
    """Newest first; offset cursor (customer lists are browsed, not streamed). Customers
    merged into another are listed only when asked for by e-mail (their survivor is)."""
    offset = decode_cursor(cursor) or 0
    query = select(customers).order_by(customers.c.created_at.desc(), customers.c.id.desc())
    if email:
        query = query.where(customers.c.email == normalise_email(email))
    else:
        query = query.where(customers.c.merged_into.is_(None))
    rows = list(uow.execute(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return Page([to_customer(r) for r in rows[:limit]], next_cursor)
