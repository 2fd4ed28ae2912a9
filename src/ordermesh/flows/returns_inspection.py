"""Inspecting a received return, one unit of work: the inspection is recorded
(``returns.inspection``) and, when the return's policy releases refunds after
inspection, the return is refunded and resolved in the same transaction
(``flows.returns_refunds``)."""

from __future__ import annotations

from ordermesh.flows.returns_refunds import resolve_with_refund
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.returns.inspection import InspectedLine, record_inspection
from ordermesh.returns.model import RefundRelease
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import lock_return


def inspect_return(uow: UnitOfWork, return_id: str, lines: list[InspectedLine],
                   note: str | None = None,
                   idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Grade every received unit of the return once. Commits."""
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return get_return(uow, prior.resource_id)
    ret = lock_return(uow, return_id)
    record_inspection(uow, ret, lines, note)
    if ret["refund_release"] == RefundRelease.INSPECTION:
        return resolve_with_refund(uow, get_return(uow, ret["id"]),
                                   "refunded after inspection, as the policy says")
    uow.commit()
    return get_return(uow, ret["id"])
