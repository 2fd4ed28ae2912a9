"""Stock of a SKU across locations, with a stock adjustment form and charts."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from ordermesh.backoffice.charts import on_hand_line, stock_bars
from ordermesh.backoffice.model import Permission, User
from ordermesh.backoffice.scoping import check_location, location_conditions
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.http.problems import status_for
from ordermesh.inventory import service
from ordermesh.inventory.model import AdjustmentReason
from ordermesh.inventory.tables import inventory_movements
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.locations.service import list_locations, location_by_code

router = APIRouter()
Viewer = Annotated[PageContext, Depends(need(Permission.VIEW))]
HISTORY = 30
MAX_DELTA = 1_000_000


Adjuster = Annotated[PageContext, Depends(form_for(Permission.STOCK_ADJUST))]


def _history(uow: UnitOfWork, product_id: str, scope: User) -> list[int]:
    """On hand (all locations, or the user's) after each of the latest ``HISTORY``
    movements."""
    m = inventory_movements.c
    mine = location_conditions(scope, m.location_id)
    total = uow.execute(select(func.coalesce(func.sum(m.on_hand_delta), 0))
                        .where(m.product_id == product_id, *mine)).scalar_one()
    deltas = [r.on_hand_delta for r in uow.execute(
        select(m.on_hand_delta).where(m.product_id == product_id, *mine)
        .order_by(m.seq.desc()).limit(HISTORY))]
    points = [int(total)]
    for delta in deltas[:-1]:
        points.append(points[-1] - delta)
    return points[::-1]


@router.get("/inventory")
def find_sku(page: Viewer, sku: str = "") -> Response:
    if sku.strip():
        return RedirectResponse(f"/app/inventory/{sku.strip()}", status_code=303)
    return page.render("stock.html", stock=None)


def _stock_page(page: PageContext, sku: str, status: int = 200, **extra) -> HTMLResponse:
    with page.read() as uow:
        found = service.stock_for_sku(uow, sku)
        # a person limited to locations sees and adjusts the stock there only
        found = replace(found, levels=[lv for lv in found.levels
                                       if page.user.sees_location(lv.location_id)])
        history = _history(uow, found.product_id, page.user)
        locations = [loc.code for loc in list_locations(uow)
                     if page.user.sees_location(loc.id)]
    bars = stock_bars([(lv.location_code, lv.available, lv.reserved) for lv in found.levels])
    return page.render("stock.html", status, stock=found, bars=bars,
                       line=on_hand_line(history), locations=locations,
                       reasons=list(AdjustmentReason), **extra)


@router.get("/inventory/{sku}")
def stock_of(page: Viewer, sku: str) -> HTMLResponse:
    return _stock_page(page, sku)


@router.post("/inventory/{sku}/adjust")
def adjust(page: Adjuster, sku: str) -> Response:
    form = page.form
    try:
        raw = form.get("quantity_delta", "").strip()
        delta = int(raw) if raw.lstrip("-").isdigit() else None
        if delta is None or delta == 0 or abs(delta) > MAX_DELTA:
            raise InvalidInput.for_field(
                "quantity_delta", f"a whole number of units, not 0, at most {MAX_DELTA} "
                "either way (negative removes stock)")
        try:
            reason = AdjustmentReason(form.get("reason", ""))
        except ValueError:
            raise InvalidInput.for_field("reason", "choose a reason from the list") from None
        note = form.get("note", "").strip()[:500] or None
        cmd = service.AdjustStock(sku, form.get("location", ""), delta, reason, note)
        page.run(lambda uow: _adjust(uow, cmd, page.user))
    except DomainError as exc:
        field = (exc.errors[0].field.split(".")[-1] if isinstance(exc, InvalidInput)
                 and exc.errors else "quantity_delta")
        if field not in ("quantity_delta", "reason", "location"):
            field = "location" if "location" in exc.detail.lower() else "quantity_delta"
        return _stock_page(page, sku, status_for(exc), errors={field: exc.detail},
                           form=form)
    return RedirectResponse(f"/app/inventory/{sku}?adjusted=1", status_code=303)


def _adjust(uow: UnitOfWork, cmd: service.AdjustStock, user: User) -> None:
    if user.location_ids:
        location = location_by_code(uow, cmd.location.strip())
        check_location(user, location.id, location.code)
    service.adjust_stock(uow, cmd)  # the caller commits (it may be one step of a flow)
    uow.commit()
