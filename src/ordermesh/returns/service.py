"""Return use cases: request (with eligibility and a money preview), authorise, reject,
cancel; and the building blocks the flows use to receive and resolve a return.

Creating a return locks the order row first (``load_order(for_update=True)``), so two
requests racing for the last returnable unit are serialised: the second one counts the
first one's units as already in a return and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from ordermesh.catalog.service import find_skus, get_product
from ordermesh.channels.service import get_channel
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money, prorate
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import Order
from ordermesh.orders.queries import load_order
from ordermesh.orders.shipments import list_shipments
from ordermesh.returns.model import (
    CLOSED_WITHOUT_UNITS,
    AskedLine,
    Deduction,
    Judgement,
    LineFacts,
    Refusal,
    ReturnFees,
    ReturnPolicy,
    ReturnStatus,
    check_transition,
    deductions,
    judge,
    return_number,
    window_ends,
)
from ordermesh.returns.policies import policy_for, reason_codes
from ordermesh.returns.queries import get_return
from ordermesh.returns.tables import return_history, return_lines, returns

S = ReturnStatus
# units of returns in these states count as "in a return"; a resolved return's units
# count as refunded on the order instead
_HOLDING_UNITS = frozenset(S) - CLOSED_WITHOUT_UNITS - {S.RESOLVED}


@dataclass(frozen=True)
class RequestReturn:
    order: str  # id or number
    lines: list[AskedLine]
    override_reason: str | None = None  # an operator waives the window and final sale


def _in_returns(uow: UnitOfWork, order_id: str) -> dict[int, int]:
    rows = uow.execute(
        select(return_lines.c.order_line_no, func.sum(return_lines.c.quantity))
        .select_from(return_lines.join(returns, returns.c.id == return_lines.c.return_id))
        .where(returns.c.order_id == order_id,
               returns.c.status.in_([s.value for s in _HOLDING_UNITS]))
        .group_by(return_lines.c.order_line_no))
    return {no: int(q) for no, q in rows}


def _window_start(uow: UnitOfWork, order: Order):
    """The order's last delivery or shipment, whichever is later (None: nothing left)."""
    times = [s["shipped_at"] for s in list_shipments(uow, order.id)]
    times += [fo.delivered_at for fo in fulfilment_for_order(uow, order.id) if fo.delivered_at]
    return max(times) if times else None


def _facts(uow: UnitOfWork, order: Order) -> dict[int, LineFacts]:
    held = _in_returns(uow, order.id)
    return {ln.line_no: LineFacts(
        ln.line_no, ln.sku, get_product(uow, ln.product_id).category, ln.shipped_quantity,
        held.get(ln.line_no, 0), ln.refunded_quantity - ln.refunded_unshipped)
        for ln in order.lines}


def _refund_value(order: Order, line_no: int, quantity: int) -> Money:
    """What refunding ``quantity`` units of the line gives back now: their share of what
    was paid for the line (its discounts and tax included), as orders/refunds.py counts
    it."""
    line = next(ln for ln in order.lines if ln.line_no == line_no)
    zero = Money.zero(order.currency)
    if line.money is None or line.open_quantity == 0:
        return zero
    done = min(line.refunded_quantity + quantity, line.open_quantity)
    return max(prorate(line.money.gross, done, line.open_quantity)
               - (line.refunded or zero), zero)


def refund_money(order: Order, lines: list[tuple[int, int, str]], fees: ReturnFees,
                 ships_back: bool, exchanged: Deduction | None = None,
                 exchanged_lines: frozenset[int] = frozenset()) -> dict:
    """What refunding these (order line, units, reason) gives back now: their value per
    line and in all, what is kept back (``deductions``: what an exchange's replacement
    took, the policy's fees on the other lines) and the refund."""
    values = [(no, q, _refund_value(order, no, q)) for no, q, _ in lines]
    value = sum((v for _, _, v in values), Money.zero(order.currency))
    kept = deductions(fees, [(r, v) for (no, _, r), (_, _, v) in zip(lines, values, strict=True)
                             if no not in exchanged_lines], ships_back, order.currency)
    if exchanged is not None and exchanged.amount.amount:
        kept.insert(0, exchanged)
    refund = value - sum((d.amount for d in kept), Money.zero(order.currency))
    return {"currency": order.currency, "value": str(value.amount),
            "deductions": [{"kind": d.kind, "description": d.description,
                            "amount": str(d.amount.amount)} for d in kept],
            "refund": str(refund.amount),
            "lines": [{"order_line_no": no, "quantity": q, "refund": str(v.amount)}
                      for no, q, v in values]}


def _asked_money(order: Order, policy: ReturnPolicy, asked: list[AskedLine]) -> dict:
    """The money of a request: returnless when its value is below the policy's threshold
    (then no fee is kept back)."""
    lines = [(a.order_line_no, a.quantity, a.reason) for a in asked]
    value = sum((_refund_value(order, no, q) for no, q, _ in lines), Money.zero(order.currency))
    returnless = (policy.returnless_below is not None
                  and value.amount < policy.returnless_below)
    return {**refund_money(order, lines, policy.fees, not returnless), "returnless": returnless}


def _refused(judgement: Judgement) -> InvalidInput:
    errors = [FieldError(f"lines[{r.index}]", r.message, r.rule) for r in judgement.refusals]
    return InvalidInput(f"{len(errors)} rule(s) refuse this return: "
                        + "; ".join(e.message for e in errors), errors=errors)


def _check_override(cmd: RequestReturn) -> None:
    if cmd.override_reason is not None and not cmd.override_reason.strip():
        raise InvalidInput.for_field("override_reason", "say why the rules are waived")


def _judge(uow: UnitOfWork, order: Order, cmd: RequestReturn):
    policy = policy_for(uow, order.channel_id)
    start = _window_start(uow, order)
    judgement = judge(policy, cmd.lines, _facts(uow, order), reason_codes(uow), start,
                      uow.clock.now(), cmd.override_reason is not None)
    wanted = {a.exchange_for for a in cmd.lines if a.exchange_for}
    if unknown := wanted - set(find_skus(uow, wanted)):
        judgement.refusals += [Refusal(i, "unknown_sku", f"no product has the SKU "
                                       f"{a.exchange_for!r}")
                               for i, a in enumerate(cmd.lines) if a.exchange_for in unknown]
    return policy, judgement


def preview_return(uow: UnitOfWork, cmd: RequestReturn) -> dict:
    """What ``request_return`` would decide and refund, writing nothing."""
    _check_override(cmd)
    order = load_order(uow, cmd.order)
    policy, judgement = _judge(uow, order, cmd)
    money = _asked_money(order, policy, cmd.lines) if not judgement.refusals else None
    returnless = bool(money and money.pop("returnless"))
    return {"order_id": order.id, "order_number": order.number,
            "accepted": not judgement.refusals,
            "refusals": [{"line": r.index, "rule": r.rule, "message": r.message}
                         for r in judgement.refusals],
            "overridden": [{"line": r.index, "rule": r.rule, "message": r.message}
                           for r in judgement.overridden],
            "would_be": (S.AUTHORISED if policy.auto_authorise else S.REQUESTED).value
            if not judgement.refusals else None,
            "returnless": returnless, "money": money}


def transition(uow: UnitOfWork, ret: dict, target: ReturnStatus, reason: str | None) -> None:
    """Record a status change the caller has checked is allowed. Never commits."""
    now = uow.clock.now()
    seq = uow.execute(select(func.coalesce(func.max(return_history.c.seq), 0)).where(
        return_history.c.return_id == ret["id"])).scalar_one() + 1
    uow.execute(insert(return_history).values(
        return_id=ret["id"], seq=seq, from_status=ret["status"] if seq > 1 else None,
        to_status=target.value, reason=reason, actor=uow.actor, occurred_at=now))
    values = {"status": target.value, "updated_at": now}
    if target in (S.REJECTED, S.CANCELLED):
        values["status_reason"] = reason
    uow.execute(update(returns).where(returns.c.id == ret["id"]).values(**values))


def record_request(uow: UnitOfWork, cmd: RequestReturn,
                   idem: idempotency.IdempotencyKey | None = None) -> tuple[str, bool]:
    """A return for shipped units of an order; every line judged by the channel's policy.
    Authorised at once when the policy allows, else ``requested`` for review. For the
    request flow (``flows.returns_requests``): never commits. Returns the return's id and
    whether this call created it (False: a retry with the same Idempotency-Key)."""
    return_id = new_id("ret")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return prior.resource_id, False
    _check_override(cmd)
    order = load_order(uow, cmd.order, for_update=True)  # serialises racing returns
    policy, judgement = _judge(uow, order, cmd)
    if judgement.refusals:
        raise _refused(judgement)
    money = _asked_money(order, policy, cmd.lines)
    returnless = money.pop("returnless")
    nth = uow.execute(select(func.count()).select_from(returns)
                      .where(returns.c.order_id == order.id)).scalar_one() + 1
    now = uow.clock.now()
    number = return_number(order.number, nth)
    by_no = {ln.line_no: ln for ln in order.lines}
    uow.execute(insert(returns).values(
        id=return_id, number=number, order_id=order.id, order_number=order.number,
        channel_id=order.channel_id, status=S.REQUESTED.value, currency=order.currency,
        returnless=returnless, override_reason=cmd.override_reason,
        fees=policy.fees.as_json(), refund_release=policy.refund_release.value,
        exchange_reserve=policy.exchange_reserve.value,
        overridden=[{"line": r.index, "rule": r.rule, "message": r.message}
                    for r in judgement.overridden] or None,
        created_at=now, updated_at=now))
    uow.execute(insert(return_lines), [{
        "return_id": return_id, "line_no": i + 1, "order_line_no": a.order_line_no,
        "product_id": by_no[a.order_line_no].product_id, "sku": by_no[a.order_line_no].sku,
        "quantity": a.quantity, "received_quantity": 0, "reason": a.reason,
        "comment": a.comment, "resolution": a.resolution.value,
        "exchange_sku": a.exchange_for}
        for i, a in enumerate(cmd.lines)])
    ret = {"id": return_id, "status": None}
    transition(uow, ret, S.REQUESTED, cmd.override_reason)
    record_event(uow, "return.requested", "return", return_id, {
        "number": number, "order_id": order.id, "order_number": order.number,
        "returnless": returnless, "override_reason": cmd.override_reason,
        "lines": [{"order_line_no": a.order_line_no, "quantity": a.quantity,
                   "reason": a.reason, "resolution": a.resolution.value,
                   "exchange_for": a.exchange_for}
                  for a in cmd.lines], "money": money})
    if policy.auto_authorise:
        _authorise(uow, {"id": return_id, "status": S.REQUESTED.value, "number": number},
                   "the channel's policy authorises it")
    return return_id, True


def _authorise(uow: UnitOfWork, ret: dict, reason: str | None) -> None:
    transition(uow, ret, S.AUTHORISED, reason)
    record_event(uow, "return.authorised", "return", ret["id"],
                 {"number": ret["number"], "reason": reason})


def lock_return(uow: UnitOfWork, return_id: str) -> dict:
    """The return (by id or number), its row locked until the transaction ends."""
    row = uow.execute(select(returns).where(
        (returns.c.id == return_id) | (returns.c.number == return_id)).with_for_update()).first()
    if row is None:
        raise NotFound(f"No return with id or number '{return_id}'")
    return get_return(uow, row.id)


_DECIDED = {S.REJECTED: "return.rejected", S.CANCELLED: "return.cancelled"}


def record_decision(uow: UnitOfWork, return_id: str, target: ReturnStatus,
                    reason: str | None) -> str:
    """Authorise, reject or cancel a return; its id. For the decision flow
    (``flows.returns_requests``): never commits."""
    ret = lock_return(uow, return_id)
    check_transition(S(ret["status"]), target, ret["number"])
    if target is S.CANCELLED and ret["exchange_order_id"]:
        # the replacement was placed with the returned units' value off it
        raise Conflict(f"Return {ret['number']} was exchanged: its replacement order "
                       "counts on the units coming back, so it cannot be cancelled",
                       extra={"exchange_order_id": ret["exchange_order_id"]})
    if target is S.AUTHORISED:
        _authorise(uow, ret, reason)
    else:
        transition(uow, ret, target, reason)
        record_event(uow, _DECIDED[target], "return", ret["id"],
                     {"number": ret["number"], "reason": reason})
    return ret["id"]


def record_receipt_lines(uow: UnitOfWork, ret: dict, received: dict[int, int],
                         reason: str) -> ReturnStatus:
    """Count received units on the return's lines and move it to (partially) received.
    For the receiving flow: runs in its transaction, never commits."""
    for line_no, quantity in received.items():
        uow.execute(update(return_lines).where(
            return_lines.c.return_id == ret["id"], return_lines.c.line_no == line_no)
            .values(received_quantity=return_lines.c.received_quantity + quantity))
    left = sum(ln["quantity"] - ln["received_quantity"] - received.get(ln["line_no"], 0)
               for ln in ret["lines"])
    target = S.RECEIVED if left == 0 else S.PARTIALLY_RECEIVED
    check_transition(S(ret["status"]), target, ret["number"])
    transition(uow, ret, target, reason)
    return target


def mark_resolved(uow: UnitOfWork, ret: dict, refund_id: str, reason: str) -> None:
    """The return is resolved by the refund ``refund_id``. Never commits."""
    check_transition(S(ret["status"]), S.RESOLVED, ret["number"])
    transition(uow, ret, S.RESOLVED, reason)
    uow.execute(update(returns).where(returns.c.id == ret["id"]).values(refund_id=refund_id))


def return_window(uow: UnitOfWork, order_id: str) -> dict:
    """Per line of an order: what may be returned now, and until when."""
    order = load_order(uow, order_id)
    policy = policy_for(uow, order.channel_id)
    ends = window_ends(policy, _window_start(uow, order))
    return {"order_id": order.id, "order_number": order.number,
            "window_days": policy.window_days, "window_ends": ends,
            "channel": get_channel(uow, order.channel_id).code,
            "lines": [{"order_line_no": f.line_no, "sku": f.sku, "shipped": f.shipped,
                       "in_returns": f.in_returns, "refunded": f.refunded_shipped,
                       "returnable": f.returnable,
                       "final_sale": bool(f.category
                                          and f.category in policy.final_sale_categories)}
                      for f in _facts(uow, order).values()]}

