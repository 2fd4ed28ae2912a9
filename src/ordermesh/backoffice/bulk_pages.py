"""Bulk actions on the orders list: hold, release the hold of, or cancel the orders
ticked, after a page that says what each will do.

Each order goes through the API's own use case (``changes.hold_order``,
``changes.release_hold``, ``changes.cancel_order``) in its own transaction, acting as the
signed-in person: one refusal (an order already shipped, say) leaves the others done, and
the result page says, order by order, what was done or why it was refused (the API
problem's message). Only roles with ``order.bulk`` (operator, admin) see the boxes and may
post; an order outside the person's locations and channels is refused as not found.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.scoping import check_order
from ordermesh.backoffice.web import PageContext, form_for
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.orders import changes
from ordermesh.orders.model import CANCELLABLE, TRANSITIONS, Order, OrderStatus
from ordermesh.orders.queries import load_order

router = APIRouter()
Bulk = Annotated[PageContext, Depends(form_for(Permission.ORDER_BULK))]
MAX_ORDERS = 100
MAX_REASON = 500


class BulkAction(enum.StrEnum):
    HOLD = "hold"
    RELEASE = "release"
    CANCEL = "cancel"


VERBS = {BulkAction.HOLD: "Put on hold", BulkAction.RELEASE: "Release the hold",
         BulkAction.CANCEL: "Cancel"}


@dataclass(frozen=True)
class Outcome:
    number: str
    status: str  # before (preview) or after (result)
    ok: bool
    detail: str


def _preview_one(order: Order, action: BulkAction) -> Outcome:
    """What ``action`` would do to ``order`` now, as its use case would decide."""
    status = order.status
    if action is BulkAction.HOLD:
        if OrderStatus.ON_HOLD in TRANSITIONS[status]:
            return Outcome(order.number, status, True, "goes on hold; nothing ships until "
                           "it is released")
        return Outcome(order.number, status, False, f"an order that is {status} cannot be "
                       "put on hold")
    if action is BulkAction.RELEASE:
        if status is OrderStatus.ON_HOLD:
            return Outcome(order.number, status, True, "goes back to the status it had "
                           "before the hold")
        return Outcome(order.number, status, False, f"it is {status}, not on hold")
    units = sum(line.cancellable_quantity for line in order.lines)
    if (status in CANCELLABLE or status is OrderStatus.PARTIALLY_SHIPPED) and units:
        reserved = sum(line.reserved_quantity for line in order.lines)
        return Outcome(order.number, status, True,
                       f"{units} unit(s) not shipped are cancelled and {reserved} "
                       "reserved unit(s) go back to stock; payments are settled as the "
                       "API's cancel does")
    return Outcome(order.number, status, False, f"an order that is {status} with {units} "
                   "unit(s) left to ship cannot be cancelled")


def _run_one(uow: UnitOfWork, page: PageContext, number: str, action: BulkAction,
             reason: str | None) -> Order:
    order = check_order(uow, page.user, load_order(uow, number))
    if action is BulkAction.HOLD:
        return changes.hold_order(uow, order.id, reason or "")
    if action is BulkAction.RELEASE:
        return changes.release_hold(uow, order.id, reason)
    cancelled = changes.cancel_order(uow, order.id, None, reason)
    uow.commit()
    return cancelled


def _input(form: dict[str, str], numbers: list[str]) -> tuple[BulkAction, str | None]:
    try:
        action = BulkAction(form.get("action", ""))
    except ValueError:
        raise InvalidInput.for_field("action", "choose hold, release or cancel") from None
    if not numbers:
        raise InvalidInput.for_field("order", "tick at least one order")
    if len(numbers) > MAX_ORDERS:
        raise InvalidInput.for_field("order", f"at most {MAX_ORDERS} orders at once")
    reason = form.get("reason", "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput.for_field("reason", f"a reason is at most {MAX_REASON} characters")
    if action is BulkAction.HOLD and not reason:
        raise InvalidInput.for_field("reason", "say why the orders are held, in 1 to "
                                     f"{MAX_REASON} characters")
    return action, reason or None


@router.post("/orders/bulk")
async def bulk(request: Request, page: Bulk) -> HTMLResponse:
    """First post: what each ticked order would go through; posted again with
    ``confirm=yes``: done, order by order, each in its own transaction."""
    form = await request.form()
    numbers = list(dict.fromkeys(n.strip() for n in form.getlist("order")
                                 if isinstance(n, str) and n.strip()))
    try:
        action, reason = _input(page.form, numbers)
    except InvalidInput as exc:
        return page.render("bulk_orders.html", 422, error=exc.detail, numbers=numbers,
                           action=page.form.get("action", ""), outcomes=[], verbs=VERBS,
                           reason=page.form.get("reason", "")[:MAX_REASON], confirmed=False)
    outcomes: list[Outcome] = []
    if page.form.get("confirm") != "yes":
        with page.read() as uow:
            for number in numbers:
                try:
                    order = check_order(uow, page.user, load_order(uow, number))
                except DomainError as exc:
                    outcomes.append(Outcome(number[:40], "", False, exc.detail))
                    continue
                outcomes.append(_preview_one(order, action))
        return page.render("bulk_orders.html", numbers=numbers, action=action,
                           reason=reason or "", outcomes=outcomes, verbs=VERBS,
                           confirmed=False)
    for number in numbers:
        try:
            done = page.run(lambda uow, n=number: _run_one(uow, page, n, action, reason))
        except DomainError as exc:
            outcomes.append(Outcome(number[:40], "", False, exc.detail))
        else:
            outcomes.append(Outcome(done.number, done.status, True,
                                    f"{VERBS[action].lower()}: done as {page.user.actor}"))
    return page.render("bulk_orders.html", numbers=numbers, action=action,
                       reason=reason or "", outcomes=outcomes, verbs=VERBS, confirmed=True,
                       done=sum(o.ok for o in outcomes))
