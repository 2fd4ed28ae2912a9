"""Dashboard, work queues, the orders list and search, an order's page and its actions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from ordermesh.backoffice import queries
from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.scoping import check_order, visible
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.customers.service import get_customer
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.http.problems import status_for
from ordermesh.invoices import service as invoices
from ordermesh.invoices.pdf import render_pdf
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.kit.money import Money, prorate
from ordermesh.orders import changes, refunds
from ordermesh.orders.model import Order, OrderLine
from ordermesh.orders.queries import load_order
from ordermesh.payments.service import order_payments

router = APIRouter()
Viewer = Annotated[PageContext, Depends(need(Permission.VIEW))]
MAX_Q = 254


Holder = Annotated[PageContext, Depends(form_for(Permission.ORDER_HOLD))]
Refunder = Annotated[PageContext, Depends(form_for(Permission.ORDER_REFUND))]


@router.get("/")
def dashboard(page: Viewer) -> HTMLResponse:
    with page.read() as uow:
        me = page.user
        data = {"sales": queries.sales_by_channel(uow, me),
                "statuses": queries.orders_by_status(uow, me),
                "at_risk": queries.skus_at_risk(uow, scope=me),
                # the latest events of everything: not for a person limited to a part
                "events": [] if me.scoped else queries.latest_events(uow),
                "queues": {name: len(items) for name, items
                           in queries.work_queues(uow, scope=me).items()}}
    return page.render("dashboard.html", **data)


@router.get("/queues")
def work_queues(page: Viewer) -> HTMLResponse:
    with page.read() as uow:
        found = queries.work_queues(uow, scope=page.user)
        now = uow.clock.now()
    return page.render("queues.html", queues=found, now=now)


@router.get("/orders")
def orders(page: Viewer, q: str = "", cursor: str | None = None) -> HTMLResponse:
    if len(q) > MAX_Q:
        raise InvalidInput.for_field("q", f"a search is at most {MAX_Q} characters")
    with page.read() as uow:
        found, next_cursor = queries.search_orders(uow, q, cursor, queries.PAGE_SIZE,
                                                   page.user)
    return page.render("orders.html", orders=found, q=q, next_cursor=next_cursor)


CSV_PAGE = 500
CSV_COLUMNS = ("order", "external_id", "channel", "customer_email", "status", "total",
               "currency", "placed_at")


def _cell(value: object) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): text that starts
    like one is kept as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(page: PageContext, q: str) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    cursor: str | None = None
    while True:
        with page.read() as uow:  # one short read per page, not one for the whole file
            found, cursor = queries.search_orders(uow, q, cursor, CSV_PAGE, page.user)
        for o in found:
            writer.writerow([_cell(v) for v in (
                o.number, o.external_id, o.channel, o.email, o.status, o.total, o.currency,
                o.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"))])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if cursor is None:
            return


@router.get("/orders.csv")
def orders_csv(page: Viewer, q: str = "") -> StreamingResponse:
    """Every order the search finds (all of them without ``q``), newest first."""
    if len(q) > MAX_Q:
        raise InvalidInput.for_field("q", f"a search is at most {MAX_Q} characters")
    return StreamingResponse(_csv_rows(page, q), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="orders.csv"'})


def _order_page(page: PageContext, number: str, status: int = 200, **extra) -> HTMLResponse:
    with page.read() as uow:
        order = check_order(uow, page.user, load_order(uow, number))
        data = {
            "order": order,
            "payments": order_payments(uow, order.id),
            "refunds": refunds.list_refunds(uow, order.id),
            "invoices": invoices.list_invoices(
                uow, invoices.InvoiceFilter(order_id=order.id), limit=100).items,
            "fulfilment": fulfilment_for_order(uow, order.id),
            "parcels": queries.parcels_of(uow, order.id),
            "events": queries.events_of(uow, [order.id]),
            "customer": get_customer(uow, order.customer_id) if order.customer_id else None,
        }
    return page.render("order.html", status, **data, **extra)


@router.get("/orders/{number}")
def order(page: Viewer, number: str) -> HTMLResponse:
    return _order_page(page, number)


@router.get("/invoices/{invoice_id}.pdf")
def invoice_pdf(page: Viewer, invoice_id: str) -> Response:
    with page.read() as uow:
        invoice = invoices.get_invoice(uow, invoice_id)
        if page.user.scoped:
            check_order(uow, page.user, load_order(uow, invoice.order_id))
    return Response(render_pdf(invoice), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{invoice.number}.pdf"'})


@router.post("/orders/{number}/hold")
def hold(page: Holder, number: str) -> Response:
    reason = page.form.get("reason", "").strip()
    if not 1 <= len(reason) <= 500:
        return _order_page(page, number, 422,
                           hold_error="say why the order is held, in 1 to 500 characters")
    page.run(lambda uow: changes.hold_order(uow, visible(uow, page, number), reason))
    return RedirectResponse(f"/app/orders/{number}", status_code=303)


@router.post("/orders/{number}/release-hold")
def release(page: Holder, number: str) -> Response:
    reason = page.form.get("reason", "").strip() or None
    page.run(lambda uow: changes.release_hold(uow, visible(uow, page, number), reason))
    return RedirectResponse(f"/app/orders/{number}", status_code=303)


def refund_preview(order: Order, line: OrderLine, quantity: int) -> Money:
    """What refunding ``quantity`` units of ``line`` gives back, as ``refunds`` counts it
    (the line's share for the units refunded so far and these, less what was refunded)."""
    zero = Money.zero(order.currency)
    done, units = line.refunded_quantity + quantity, line.open_quantity
    return max(prorate(line.money.gross, done, units) - (line.refunded or zero), zero)


def _refund_input(order: Order, form: dict[str, str]) -> tuple[OrderLine, int, str]:
    lines = {str(ln.line_no): ln for ln in order.lines}
    line = lines.get(form.get("line_no", ""))
    if line is None:
        raise InvalidInput.for_field("line_no", "choose a line of this order")
    raw = form.get("quantity", "").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput.for_field("quantity", "a whole number of units, at least 1")
    left = line.open_quantity - line.refunded_quantity
    if int(raw) > left:
        raise InvalidInput.for_field("quantity", f"only {left} unit(s) of line "
                                     f"{line.line_no} are not refunded yet")
    reason = form.get("reason", "").strip()
    if not 1 <= len(reason) <= 200:
        raise InvalidInput.for_field("reason", "say why, in 1 to 200 characters")
    return line, int(raw), reason


@router.post("/orders/{number}/refund")
def refund(page: Refunder, number: str) -> Response:
    """First post: a page saying exactly what will be refunded; posting it again with
    ``confirm=yes`` refunds through the same use case as the API."""
    with page.read() as uow:
        order = check_order(uow, page.user, load_order(uow, number))
    try:
        line, quantity, reason = _refund_input(order, page.form)
    except InvalidInput as exc:
        field = exc.errors[0].field if exc.errors else "quantity"
        return _order_page(page, number, 422, refund_errors={field: exc.detail},
                           refund_form=page.form)
    if page.form.get("confirm") != "yes":
        return page.render("refund_confirm.html", order=order, line=line, quantity=quantity,
                           reason=reason, amount=refund_preview(order, line, quantity))
    request = refunds.RefundRequest(reason=reason,
                                    lines=(refunds.RefundLine(line.line_no, quantity),))
    try:
        page.run(lambda uow: refunds.refund_order(uow, order.id, request))
    except DomainError as exc:
        # the API problem's message, beside the field it names
        field = (exc.errors[0].field.split(".")[-1] if isinstance(exc, InvalidInput)
                 and exc.errors else "quantity")
        return _order_page(page, number, status_for(exc),
                           refund_errors={field: exc.detail}, refund_form=page.form)
    return RedirectResponse(f"/app/orders/{order.number}?refunded=1", status_code=303)
