"""HTTP route of a 3PL's shipped report (``flows/handoff.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows.fulfilment_view import read
from ordermesh.flows.handoff import ReportedPackage
from ordermesh.flows.handoff import partner_shipped as shipped
from ordermesh.fulfilment.schemas import FulfilmentOrderRead, PartnerShippedIn, line_units
from ordermesh.http.deps import WriteContext
from ordermesh.kit.db import UnitOfWork
from ordermesh.packing.service import ExternalPackage

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])


@router.post("/fulfilment-orders/{fo_id}/3pl/shipped",
             summary="3PL: shipped, with its packages and tracking numbers")
def partner_shipped(fo_id: str, body: PartnerShippedIn,
                    ctx: WriteContext) -> FulfilmentOrderRead:
    """Every open unit must be in the packages (report missing units `short` first)."""
    idem = ctx.idempotency(body)
    packages = [ReportedPackage(ExternalPackage(
        p.tracking_number, sorted(line_units(p.lines).items()), p.sscc, p.weight_g),
        p.carrier) for p in body.packages]

    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = shipped(uow, fo_id, packages, idem)
        return read(uow, fo.id)

    return ctx.run(work)
