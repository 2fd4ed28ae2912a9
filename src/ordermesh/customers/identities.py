"""Identities: finding a customer by what an order or a person gives, and the merge group
a customer belongs to. Functions take anything with ``execute`` (a unit of work or a
SQLAlchemy Connection), so ``consent.may_contact`` can use them on a bare connection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from ordermesh.customers.model import Identity, IdentityKind
from ordermesh.customers.tables import customer_identities, customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning

MAX_CHAIN = 50  # merges chained deeper than this are refused when made


def owners(db: Any, wanted: Iterable[Identity]) -> dict[Identity, str]:
    """The customer that owns each of these identities, when one does."""
    wanted = list(wanted)
    if not wanted:
        return {}
    t = customer_identities
    rows = db.execute(select(t.c.kind, t.c.channel, t.c.value, t.c.customer_id).where(or_(*(
        and_(t.c.kind == i.kind.value, t.c.channel == i.channel, t.c.value == i.value)
        for i in wanted))))
    return {Identity(IdentityKind(r.kind), r.channel, r.value): r.customer_id for r in rows}


def claim(uow: UnitOfWork, customer_id: str, identity: Identity, source: str) -> bool:
    """Give the identity to the customer unless someone has it (also someone whose
    transaction commits while we wait on the unique index): whether we got it."""
    return insert_ignore_returning(uow, customer_identities, ("kind", "channel", "value"), "id", {
        "id": new_id("cid"), "customer_id": customer_id, "kind": identity.kind.value,
        "channel": identity.channel, "value": identity.value, "source": source,
        "created_at": uow.clock.now()}) is not None


def add_identity(uow: UnitOfWork, customer_id: str, identity: Identity, source: str) -> None:
    owner = owners(uow, [identity]).get(identity)
    if owner == customer_id:
        return
    if owner is not None or not claim(uow, customer_id, identity, source):
        raise Conflict(f"The {identity.kind.value} '{identity.value}' belongs to another "
                       "customer: merge the two customers instead",
                       extra={"customer_id": owner})


def remove_identity(uow: UnitOfWork, customer_id: str, identity_id: str) -> dict | None:
    t = customer_identities
    row = uow.execute(select(t).where(t.c.id == identity_id, t.c.customer_id == customer_id)
                      ).first()
    if row is not None:
        uow.execute(delete(t).where(t.c.id == identity_id))
    return None if row is None else {"kind": row.kind, "channel": row.channel}


def identities_of(db: Any, ids: Iterable[str]) -> list[dict]:
    t = customer_identities
    rows = db.execute(select(t).where(t.c.customer_id.in_(list(ids)))
                      .order_by(t.c.created_at, t.c.id))
    return [{"id": r.id, "customer_id": r.customer_id, "kind": r.kind,
             "channel": r.channel or None, "value": r.value, "source": r.source,
             "created_at": as_utc(r.created_at),
             "undeliverable_at": as_utc(r.undeliverable_at) if r.undeliverable_at else None,
             "undeliverable_reason": r.undeliverable_reason} for r in rows]


def undeliverable(db: Any, identity: Identity) -> tuple[Any, str] | None:
    """(since when, why) nothing can be delivered to this e-mail or phone, or None."""
    t = customer_identities
    row = db.execute(select(t.c.undeliverable_at, t.c.undeliverable_reason).where(
        t.c.kind == identity.kind.value, t.c.channel == identity.channel,
        t.c.value == identity.value, t.c.undeliverable_at.is_not(None))).first()
    return None if row is None else (as_utc(row.undeliverable_at), row.undeliverable_reason)


def mark_undeliverable(uow: UnitOfWork, customer_id: str, identity: Identity,
                       reason: str) -> None:
    """Record a hard bounce on the identity (claimed for the customer when nobody has it:
    the address came from the customer record alone)."""
    t = customer_identities
    if not owners(uow, [identity]):
        claim(uow, customer_id, identity, "bounce")
    uow.execute(update(t).where(t.c.kind == identity.kind.value,
                                t.c.channel == identity.channel,
                                t.c.value == identity.value)
                .values(undeliverable_at=uow.clock.now(), undeliverable_reason=reason[:300]))
    record_event(uow, "customer.updated", "customer", customer_id,
                 {"changed": ["identities"], "undeliverable": [identity.kind.value]})


def root_of(db: Any, customer_id: str) -> str:
    """The customer at the end of the merge links (itself when not merged)."""
    current = customer_id
    for _ in range(MAX_CHAIN + 1):
        parent = db.execute(select(customers.c.merged_into)
                            .where(customers.c.id == current)).scalar()
        if parent is None:
            return current
        current = parent
    raise RuntimeError(f"merge chain from {customer_id} deeper than {MAX_CHAIN}")


def groups_of_roots(db: Any, roots: list[str]) -> dict[str, list[str]]:
    """``group_of`` for many customers that are roots (merged into no one), in one read
    per level of merging instead of one walk per customer."""
    groups = {root: [root] for root in roots}
    root_of_id = {root: root for root in roots}
    frontier = list(roots)
    for _ in range(MAX_CHAIN + 1):
        if not frontier:
            return groups
        rows = db.execute(select(customers.c.id, customers.c.merged_into)
                          .where(customers.c.merged_into.in_(frontier))
                          .order_by(customers.c.created_at, customers.c.id)).all()
        frontier = []
        for r in rows:
            root_of_id[r.id] = root_of_id[r.merged_into]
            groups[root_of_id[r.id]].append(r.id)
            frontier.append(r.id)
    raise RuntimeError(f"merges below {roots[0]}… deeper than {MAX_CHAIN}")


def group_of(db: Any, customer_id: str) -> list[str]:
    """Every customer that is the same person as this one: its root first, then everyone
    merged into it, directly or through others."""
    root = root_of(db, customer_id)
    group, frontier = [root], [root]
    while frontier:
        frontier = [r.id for r in db.execute(
            select(customers.c.id).where(customers.c.merged_into.in_(frontier))
            .order_by(customers.c.created_at, customers.c.id))]
        group.extend(frontier)
    return group
