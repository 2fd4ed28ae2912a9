"""Merging duplicates: a merge links one customer to another and can be undone.

Nothing is copied or overwritten: the merged customer keeps its identities, addresses,
consents and orders and points at its survivor (``merged_into``); reads of either show the
whole group (``identities.group_of``), and matching keeps finding the customer that owns
the identity, so undoing a merge gives back exactly the two customers there were.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from ordermesh.customers.identities import MAX_CHAIN, group_of
from ordermesh.customers.model import check_merge
from ordermesh.customers.service import lock_customer
from ordermesh.customers.tables import customer_audit, customer_merges, customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event


def _merge_dict(row) -> dict:
    return {"id": row.id, "survivor_id": row.survivor_id, "merged_id": row.merged_id,
            "reason": row.reason, "merged_at": as_utc(row.merged_at),
            "merged_by": row.merged_by,
            "undone_at": as_utc(row.undone_at) if row.undone_at else None,
            "undone_by": row.undone_by}


def audit(uow: UnitOfWork, customer_id: str, action: str, detail: dict) -> None:
    uow.execute(insert(customer_audit).values(
        id=new_id("aud"), customer_id=customer_id, action=action, actor=uow.actor,
        at=uow.clock.now(), detail=detail))


def merge(uow: UnitOfWork, survivor_id: str, merged_id: str, reason: str) -> dict:
    """Link ``merged_id`` to ``survivor_id``. Both are locked in id order (two merges of the
    same pair in opposite directions cannot deadlock); the survivor must not itself be
    merged, the merged one not already be."""
    if survivor_id == merged_id:
        check_merge(lock_customer(uow, survivor_id), lock_customer(uow, merged_id))
    first, second = sorted((survivor_id, merged_id))
    locked = {c.id: c for c in (lock_customer(uow, first), lock_customer(uow, second))}
    survivor, merged = locked[survivor_id], locked[merged_id]
    if survivor.merged_into is not None:
        raise Conflict(f"Customer '{survivor_id}' is merged into '{survivor.merged_into}': "
                       "merge into that one", extra={"merged_into": survivor.merged_into})
    if merged.merged_into is not None:
        raise Conflict(f"Customer '{merged_id}' is already merged into "
                       f"'{merged.merged_into}'", extra={"merged_into": merged.merged_into})
    if len(group_of(uow, merged_id)) + len(group_of(uow, survivor_id)) > MAX_CHAIN:
        raise Conflict(f"A group of more than {MAX_CHAIN} customers is not merged further")
    now = uow.clock.now()
    merge_id = new_id("mrg")
    uow.execute(insert(customer_merges).values(
        id=merge_id, survivor_id=survivor_id, merged_id=merged_id, reason=reason,
        merged_at=now, merged_by=uow.actor))
    uow.execute(update(customers).where(customers.c.id == merged_id).values(
        merged_into=survivor_id, updated_at=now, version=customers.c.version + 1))
    detail = {"merge_id": merge_id, "survivor_id": survivor_id, "merged_id": merged_id}
    audit(uow, survivor_id, "merged", {**detail, "reason": reason})
    record_event(uow, "customer.merged", "customer", survivor_id, detail)
    return get_merge(uow, merge_id)


def unmerge(uow: UnitOfWork, merge_id: str) -> dict:
    """Undo a merge: the merged customer stands alone again with everything it had."""
    row = uow.execute(select(customer_merges).where(customer_merges.c.id == merge_id)
                      .with_for_update()).first()
    if row is None:
        raise NotFound(f"Merge '{merge_id}' does not exist")
    if row.undone_at is not None:
        raise Conflict(f"Merge '{merge_id}' was already undone",
                       extra={"undone_at": as_utc(row.undone_at).isoformat()})
    lock_customer(uow, row.merged_id)
    now = uow.clock.now()
    uow.execute(update(customer_merges).where(customer_merges.c.id == merge_id)
                .values(undone_at=now, undone_by=uow.actor))
    uow.execute(update(customers).where(customers.c.id == row.merged_id).values(
        merged_into=None, updated_at=now, version=customers.c.version + 1))
    detail = {"merge_id": merge_id, "survivor_id": row.survivor_id, "merged_id": row.merged_id}
    audit(uow, row.survivor_id, "unmerged", detail)
    record_event(uow, "customer.unmerged", "customer", row.survivor_id, detail)
    return get_merge(uow, merge_id)


def get_merge(db: Any, merge_id: str) -> dict:
    row = db.execute(select(customer_merges).where(customer_merges.c.id == merge_id)).first()
    if row is None:
        raise NotFound(f"Merge '{merge_id}' does not exist")
    return _merge_dict(row)


def merges_of(db: Any, customer_ids: list[str]) -> list[dict]:
    t = customer_merges
    rows = db.execute(select(t).where(t.c.survivor_id.in_(customer_ids)
                                      | t.c.merged_id.in_(customer_ids))
                      .order_by(t.c.merged_at, t.c.id))
    return [_merge_dict(r) for r in rows]


def audit_of(db: Any, customer_ids: list[str]) -> list[dict]:
    t = customer_audit
    rows = db.execute(select(t).where(t.c.customer_id.in_(customer_ids))
                      .order_by(t.c.at, t.c.id))
    return [{"customer_id": r.customer_id, "action": r.action, "actor": r.actor,
             "at": as_utc(r.at), "detail": r.detail} for r in rows]
