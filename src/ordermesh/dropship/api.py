"""The merchant's drop-ship routes: routing rules, and the drop-ship purchase orders with
the supplier's cost beside our price. The supplier's own routes are
``flows/dropship_api.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ordermesh.dropship import rules as rules_service
from ordermesh.dropship import service
from ordermesh.dropship.model import DropshipStatus
from ordermesh.dropship.schemas import DropshipList, DropshipRead, RuleIn, RuleList, RuleRead
from ordermesh.http.deps import ReadContext, WriteContext

router = APIRouter(prefix="/api/v1", tags=["dropship"])


@router.post("/dropship-rules", status_code=201, summary="Route lines to a drop-ship supplier",
             responses={422: {"description": "Unknown or blocked supplier, a product the "
                              "supplier does not carry, an unknown channel"}})
def create_rule(body: RuleIn, ctx: WriteContext) -> RuleRead:
    """From now on, placement sends the matching lines (by product, by channel, or both)
    to the supplier: `always`, or `when_short` for the units our own locations cannot
    supply. The most specific rule that matches a line decides. The supplier gets a
    location of kind `supplier` (`DS-<code>`) with its first rule. Writes
    `dropship.rule_created`."""
    return RuleRead.of(ctx.run(lambda uow: rules_service.create_rule(
        uow, body.supplier, body.sku, body.channel, body.mode)))


@router.get("/dropship-rules", summary="Drop-ship routing rules")
def list_rules(ctx: ReadContext) -> RuleList:
    with ctx.read_uow() as uow:
        return RuleList(items=[RuleRead.of(r) for r in rules_service.list_rules(uow)])


@router.delete("/dropship-rules/{rule_id}", status_code=204, summary="Delete a routing rule")
def delete_rule(rule_id: str, ctx: WriteContext) -> Response:
    """Orders already routed keep their drop-ship orders. Writes `dropship.rule_deleted`."""
    ctx.run(lambda uow: rules_service.delete_rule(uow, rule_id))
    return Response(status_code=204)


@router.get("/dropship-orders", summary="Drop-ship purchase orders")
def list_dropships(
    ctx: ReadContext,
    supplier: Annotated[str | None, Query(max_length=40, description="Supplier id")] = None,
    status: Annotated[DropshipStatus | None, Query()] = None,
    order_id: Annotated[str | None, Query(max_length=40)] = None,
) -> DropshipList:
    """Oldest first, at most 100."""
    with ctx.read_uow() as uow:
        return DropshipList(items=[DropshipRead.of(ds) for ds in service.list_dropships(
            uow, supplier_id=supplier, status=status, order_id=order_id)])


@router.get("/dropship-orders/{ds_id}", summary="One drop-ship purchase order")
def get_dropship(ds_id: str, ctx: ReadContext) -> DropshipRead:
    """By id or number (`DS-000042-1`)."""
    with ctx.read_uow() as uow:
        return DropshipRead.of(service.get_dropship(uow, ds_id))
